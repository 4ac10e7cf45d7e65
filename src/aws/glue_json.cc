#include "aws/glue_json.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace steady::aws {

using nlohmann::json;

namespace {

constexpr size_t kMaxNameLength = 255;

std::string Str(const json& in, const char* key) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return "";
  return it->get<std::string>();  // throws type_error for a non-string
}

std::map<std::string, std::string> StrMap(const json& in, const char* key) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return {};
  if (!it->is_object()) throw std::invalid_argument(std::string(key) + " must be a map.");
  return it->get<std::map<std::string, std::string>>();
}

std::vector<GlueColumn> Columns(const json& in, const char* key) {
  std::vector<GlueColumn> out;
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return out;
  if (!it->is_array()) throw std::invalid_argument(std::string(key) + " must be a list.");
  for (const json& c : *it) {
    if (!c.is_object()) throw std::invalid_argument(std::string(key) + " must hold columns.");
    GlueColumn col{Str(c, "Name"), Str(c, "Type"), Str(c, "Comment")};
    if (col.name.empty() || col.name.size() > kMaxNameLength)
      throw std::invalid_argument("Column name must be between 1 and 255 characters long.");
    out.push_back(std::move(col));
  }
  return out;
}

json ColumnsJson(const std::vector<GlueColumn>& cols) {
  json out = json::array();
  for (const auto& c : cols) {
    json j = {{"Name", c.name}};
    if (!c.type.empty()) j["Type"] = c.type;
    if (!c.comment.empty()) j["Comment"] = c.comment;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

json GlueStorageDescriptorJson(const GlueStorageDescriptor& sd) {
  json serde = {{"Parameters", sd.serde_info.parameters}};
  if (!sd.serde_info.serialization_library.empty())
    serde["SerializationLibrary"] = sd.serde_info.serialization_library;
  json out = {
      {"Columns", ColumnsJson(sd.columns)}, {"Compressed", sd.compressed}, {"SerdeInfo", serde}};
  if (!sd.location.empty()) out["Location"] = sd.location;
  if (!sd.input_format.empty()) out["InputFormat"] = sd.input_format;
  if (!sd.output_format.empty()) out["OutputFormat"] = sd.output_format;
  return out;
}

GlueStorageDescriptor GlueStorageDescriptorFromJson(const json& in) {
  GlueStorageDescriptor sd;
  if (in.is_null()) return sd;
  if (!in.is_object()) throw std::invalid_argument("StorageDescriptor must be a structure.");
  sd.columns = Columns(in, "Columns");
  sd.location = Str(in, "Location");
  sd.input_format = Str(in, "InputFormat");
  sd.output_format = Str(in, "OutputFormat");
  if (auto it = in.find("Compressed"); it != in.end() && !it->is_null())
    sd.compressed = it->get<bool>();
  if (auto it = in.find("SerdeInfo"); it != in.end() && !it->is_null()) {
    if (!it->is_object()) throw std::invalid_argument("SerdeInfo must be a structure.");
    sd.serde_info.serialization_library = Str(*it, "SerializationLibrary");
    sd.serde_info.parameters = StrMap(*it, "Parameters");
  }
  return sd;
}

json GlueTableInputJson(const GlueTable& t) {
  json out = {{"Name", t.name},
              {"PartitionKeys", ColumnsJson(t.partition_keys)},
              {"Parameters", t.parameters},
              {"StorageDescriptor", GlueStorageDescriptorJson(t.storage_descriptor)}};
  if (!t.description.empty()) out["Description"] = t.description;
  if (!t.table_type.empty()) out["TableType"] = t.table_type;
  return out;
}

GlueTable GlueTableFromJson(const json& in) {
  if (!in.is_object()) throw std::invalid_argument("TableInput must be a structure.");
  GlueTable t;
  t.name = Str(in, "Name");
  t.description = Str(in, "Description");
  t.table_type = Str(in, "TableType");
  t.parameters = StrMap(in, "Parameters");
  t.partition_keys = Columns(in, "PartitionKeys");
  if (auto it = in.find("StorageDescriptor"); it != in.end())
    t.storage_descriptor = GlueStorageDescriptorFromJson(*it);
  return t;
}

json GluePartitionInputJson(const GluePartition& p) {
  return {{"Values", p.values},
          {"Parameters", p.parameters},
          {"StorageDescriptor", GlueStorageDescriptorJson(p.storage_descriptor)}};
}

GluePartition GluePartitionFromJson(const json& in) {
  if (!in.is_object()) throw std::invalid_argument("PartitionInput must be a structure.");
  GluePartition p;
  if (auto it = in.find("Values"); it != in.end() && !it->is_null()) {
    if (!it->is_array()) throw std::invalid_argument("Values must be a list.");
    p.values = it->get<std::vector<std::string>>();
  }
  p.parameters = StrMap(in, "Parameters");
  if (auto it = in.find("StorageDescriptor"); it != in.end())
    p.storage_descriptor = GlueStorageDescriptorFromJson(*it);
  return p;
}

}  // namespace steady::aws
