// Glue's wire shapes (PascalCase, as in the API reference) for the catalog's structures
// (aws/glue.h), shared by the HTTP client (aws/glue_client.cc) and the local region's front and
// journal (region/glue_model.h). Timestamps, DatabaseName and CatalogId are not part of these
// (callers add or read them). The readers throw nlohmann::json exceptions for a wrong type and
// std::invalid_argument for a value Glue would refuse.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "aws/glue.h"

namespace steady::aws {

nlohmann::json GlueStorageDescriptorJson(const GlueStorageDescriptor& sd);
GlueStorageDescriptor GlueStorageDescriptorFromJson(const nlohmann::json& in);
nlohmann::json GlueTableInputJson(const GlueTable& table);
GlueTable GlueTableFromJson(const nlohmann::json& in);
nlohmann::json GluePartitionInputJson(const GluePartition& partition);
GluePartition GluePartitionFromJson(const nlohmann::json& in);

}  // namespace steady::aws
