// The local region's Glue Data Catalog: databases, tables and their partitions, as Athena and
// `steady logs catalog --apply` use them. Names of databases and tables are stored lower-cased,
// as Glue stores them, so "Logs" and "logs" are one database. Every mutation is a journal
// record applied through one path (live and on replay), so the catalog survives restarts.
//
// Beyond aws::Glue, the model answers the wire's richer reads (a database's description and
// creation time, single pages of GetDatabases/GetTables/GetPartitions) for the HTTP front.
//
// Errors (Glue's codes): EntityNotFoundException (kNotFound), AlreadyExistsException
// (kAlreadyExists), InvalidInputException (kInvalidArgument).
// Thread safety: all methods may be called from any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/glue.h"
#include "aws/glue_json.h"
#include "region/region_context.h"
#include "region/service_model.h"

namespace steady::region {

struct GlueDatabase {
  std::string name;
  std::string description;
  Time create_time{};
};

template <typename T>
struct GluePage {
  std::vector<T> items;
  std::string next_token;  // empty on the last page
};

class GlueModel final : public aws::Glue, public ServiceModel {
 public:
  // Page sizes: GetDatabases and GetTables answer at most 100 (Glue's CatalogGetterPageSize),
  // GetPartitions at most 1000 (its PageSize); MaxResults 0 means the largest.
  static constexpr int kMaxCatalogPage = 100;
  static constexpr int kMaxPartitionPage = 1000;
  static constexpr size_t kMaxBatchPartitions = 100;

  // A database or table name as Glue stores and answers it: lower-cased.
  static std::string StoredName(std::string name);

  explicit GlueModel(RegionContext& ctx);
  ~GlueModel() override;

  // aws::Glue.
  Status CreateDatabase(const std::string& name, const std::string& description) override;
  Status GetDatabase(const std::string& name) override;
  Status DeleteDatabase(const std::string& name) override;
  Status CreateTable(const std::string& database, const aws::GlueTable& table) override;
  Status UpdateTable(const std::string& database, const aws::GlueTable& table) override;
  Result<aws::GlueTable> GetTable(const std::string& database, const std::string& name) override;
  Result<std::vector<aws::GlueTable>> GetTables(const std::string& database) override;
  Status DeleteTable(const std::string& database, const std::string& name) override;
  Result<std::vector<aws::GluePartitionError>> BatchCreatePartition(
      const std::string& database, const std::string& table,
      const std::vector<aws::GluePartition>& partitions) override;
  Result<std::vector<aws::GluePartition>> GetPartitions(const std::string& database,
                                                        const std::string& table) override;

  // The wire's reads. `next_token` is one this model handed out (else InvalidInputException);
  // `max_results` 0 means the page's maximum, beyond it is InvalidInputException. `expression`
  // filters as GetTables' and GetPartitions' Expression do (glue_expression.h); a page may hold
  // fewer than `max_results` only when it is the last.
  Result<GlueDatabase> DescribeDatabase(const std::string& name);
  Result<GluePage<GlueDatabase>> GetDatabasesPage(const std::string& next_token, int max_results);
  Result<GluePage<aws::GlueTable>> GetTablesPage(const std::string& database,
                                                 const std::string& next_token, int max_results,
                                                 const std::string& expression = "");
  Result<GluePage<aws::GluePartition>> GetPartitionsPage(const std::string& database,
                                                         const std::string& table,
                                                         const std::string& next_token,
                                                         int max_results,
                                                         const std::string& expression = "");

  // The wire's single-partition operations and batch reads and deletes. A partition is named by
  // its values, one per partition key. Missing: EntityNotFoundException; CreatePartition of one
  // that exists: AlreadyExistsException. UpdatePartition replaces the partition's input (its
  // storage descriptor and parameters) and may give it new values, keeping its creation time.
  // BatchGetPartition answers the partitions found, in the order asked, at most 1000 asked;
  // BatchDeletePartition deletes at most 25 and answers one error per partition not deleted.
  static constexpr size_t kMaxBatchGet = 1000;
  static constexpr size_t kMaxBatchDelete = 25;
  Status CreatePartition(const std::string& database, const std::string& table,
                         const aws::GluePartition& partition);
  Result<aws::GluePartition> GetPartition(const std::string& database, const std::string& table,
                                          const std::vector<std::string>& values);
  Status UpdatePartition(const std::string& database, const std::string& table,
                         const std::vector<std::string>& values,
                         const aws::GluePartition& partition);
  Status DeletePartition(const std::string& database, const std::string& table,
                         const std::vector<std::string>& values);
  Result<std::vector<aws::GluePartition>> BatchGetPartition(
      const std::string& database, const std::string& table,
      const std::vector<std::vector<std::string>>& values);
  Result<std::vector<aws::GluePartitionError>> BatchDeletePartition(
      const std::string& database, const std::string& table,
      const std::vector<std::vector<std::string>>& values);

  // The catalog's id (the region's account), as GetDatabase/GetTable answer it.
  const std::string& account_id() const { return ctx_.account_id; }

  // ServiceModel.
  std::string service() const override { return "glue"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

 private:
  struct Table;
  struct Database;

  Status ApplyLocked(const nlohmann::json& record);
  uint64_t RecordLocked(nlohmann::json record);
  Result<Database*> FindDatabaseLocked(std::string_view op, const std::string& name);
  Result<Table*> FindTableLocked(std::string_view op, const std::string& database,
                                 const std::string& name);

  RegionContext& ctx_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Database>> databases_;  // by lower-cased name
};

// The wire shapes, shared with the HTTP client.
using aws::GluePartitionFromJson;
using aws::GluePartitionInputJson;
using aws::GlueStorageDescriptorFromJson;
using aws::GlueStorageDescriptorJson;
using aws::GlueTableFromJson;
using aws::GlueTableInputJson;

}  // namespace steady::region
