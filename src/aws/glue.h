// AWS Glue Data Catalog as steady uses it (the tables Athena reads, `steady logs catalog
// --apply`): one abstract interface, implemented in-process by the local region's model
// (region/glue_model.h) and over HTTP by a client (aws/glue_client.h). Names follow the Glue API
// reference (JSON 1.1, target prefix "AWSGlue").
//
// Errors: kNotFound (code EntityNotFoundException) for an unknown database, table or partition;
// kAlreadyExists (code AlreadyExistsException) when creating what exists; kInvalidArgument
// (code InvalidInputException) for bad input; retryable codes for transient failures.
// Thread safety: implementations are thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct GlueColumn {
  std::string name;
  std::string type;  // Hive type: string, int, bigint, ...
  std::string comment;
  friend bool operator==(const GlueColumn&, const GlueColumn&) = default;
};

struct GlueSerDeInfo {
  std::string serialization_library;  // org.openx.data.jsonserde.JsonSerDe
  std::map<std::string, std::string> parameters;
  friend bool operator==(const GlueSerDeInfo&, const GlueSerDeInfo&) = default;
};

struct GlueStorageDescriptor {
  std::vector<GlueColumn> columns;
  std::string location;  // s3://bucket/prefix/
  std::string input_format;
  std::string output_format;
  bool compressed = false;
  GlueSerDeInfo serde_info;
  friend bool operator==(const GlueStorageDescriptor&, const GlueStorageDescriptor&) = default;
};

// TableInput of CreateTable/UpdateTable, and what GetTable answers (plus the catalog's own
// fields below).
struct GlueTable {
  std::string name;
  std::string database_name;  // GetTable only
  std::string description;
  std::string table_type;                         // EXTERNAL_TABLE
  std::map<std::string, std::string> parameters;  // EXTERNAL, classification, projection.*
  std::vector<GlueColumn> partition_keys;
  GlueStorageDescriptor storage_descriptor;
  Time create_time{}, update_time{};  // GetTable only
};

struct GluePartition {
  std::vector<std::string> values;  // one per partition key, in order
  GlueStorageDescriptor storage_descriptor;
  std::map<std::string, std::string> parameters;
  Time creation_time{};  // GetPartitions only
};

// BatchCreatePartition answers the partitions it could not create, each with its error.
struct GluePartitionError {
  std::vector<std::string> values;
  std::string error_code;  // AlreadyExistsException, EntityNotFoundException, ...
  std::string error_message;
};

class Glue {
 public:
  virtual ~Glue() = default;

  virtual Status CreateDatabase(const std::string& name, const std::string& description) = 0;
  virtual Status GetDatabase(const std::string& name) = 0;     // OK if it exists
  virtual Status DeleteDatabase(const std::string& name) = 0;  // with its tables

  virtual Status CreateTable(const std::string& database, const GlueTable& table) = 0;
  virtual Status UpdateTable(const std::string& database, const GlueTable& table) = 0;
  virtual Result<GlueTable> GetTable(const std::string& database, const std::string& name) = 0;
  virtual Result<std::vector<GlueTable>> GetTables(const std::string& database) = 0;  // all pages
  virtual Status DeleteTable(const std::string& database, const std::string& name) = 0;

  // At most 100 partitions per call (InvalidInputException beyond).
  virtual Result<std::vector<GluePartitionError>> BatchCreatePartition(
      const std::string& database, const std::string& table,
      const std::vector<GluePartition>& partitions) = 0;
  virtual Result<std::vector<GluePartition>> GetPartitions(const std::string& database,
                                                           const std::string& table) = 0;  // all
};

}  // namespace steady::aws
