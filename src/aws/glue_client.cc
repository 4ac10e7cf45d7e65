#include "aws/glue_client.h"

#include <nlohmann/json.hpp>

#include "aws/glue_json.h"
#include "aws/protocol_json.h"

namespace steady::aws {

using nlohmann::json;

namespace {

constexpr std::string_view kTarget = "AWSGlue";

Result<json> Call(AwsTransport& t, std::string_view op, const json& body) {
  ASSIGN_OR_RETURN(net::HttpResponse resp,
                   t.Send(op, JsonRpcRequest(Protocol::kJson11, kTarget, op, body)));
  return ParseJsonBody(resp.body, op);
}

template <typename F>
auto Decode(std::string_view op, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return DataLossError(std::string(op) + ": unexpected response shape: " + e.what());
  }
}

template <class T>
void Opt(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}

void OptTime(const json& j, const char* key, Time& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  Result<Time> t = JsonTimestamp(*it);
  if (!t.ok()) throw std::runtime_error(std::string(key) + ": " + t.status().message());
  out = *t;
}

// A Table as GetTable/GetTables answer it: the TableInput shape plus the catalog's fields.
GlueTable TableFrom(const json& j) {
  GlueTable t = GlueTableFromJson(j);
  if (auto it = j.find("DatabaseName"); it != j.end() && !it->is_null())
    t.database_name = it->get<std::string>();
  OptTime(j, "CreateTime", t.create_time);
  OptTime(j, "UpdateTime", t.update_time);
  return t;
}

GluePartition PartitionFrom(const json& j) {
  GluePartition p = GluePartitionFromJson(j);
  OptTime(j, "CreationTime", p.creation_time);
  return p;
}

}  // namespace

ServiceInfo GlueService() { return {"Glue", "glue", "glue", Protocol::kJson11}; }

Status GlueClient::CreateDatabase(const std::string& name, const std::string& description) {
  json input = {{"Name", name}};
  if (!description.empty()) input["Description"] = description;
  return Call(transport_, "CreateDatabase", {{"DatabaseInput", input}}).status();
}

Status GlueClient::GetDatabase(const std::string& name) {
  return Call(transport_, "GetDatabase", {{"Name", name}}).status();
}

Status GlueClient::DeleteDatabase(const std::string& name) {
  return Call(transport_, "DeleteDatabase", {{"Name", name}}).status();
}

Status GlueClient::CreateTable(const std::string& database, const GlueTable& table) {
  return Call(transport_, "CreateTable",
              {{"DatabaseName", database}, {"TableInput", GlueTableInputJson(table)}})
      .status();
}

Status GlueClient::UpdateTable(const std::string& database, const GlueTable& table) {
  return Call(transport_, "UpdateTable",
              {{"DatabaseName", database}, {"TableInput", GlueTableInputJson(table)}})
      .status();
}

Result<GlueTable> GlueClient::GetTable(const std::string& database, const std::string& name) {
  ASSIGN_OR_RETURN(json out,
                   Call(transport_, "GetTable", {{"DatabaseName", database}, {"Name", name}}));
  return Decode("GetTable", [&]() -> Result<GlueTable> { return TableFrom(out.at("Table")); });
}

Result<std::vector<GlueTable>> GlueClient::GetTables(const std::string& database) {
  std::vector<GlueTable> all;
  std::string token;
  do {
    json body = {{"DatabaseName", database}};
    if (!token.empty()) body["NextToken"] = token;
    ASSIGN_OR_RETURN(json out, Call(transport_, "GetTables", body));
    Status s = Decode("GetTables", [&]() -> Status {
      for (const json& t : out.value("TableList", json::array())) all.push_back(TableFrom(t));
      token = out.value("NextToken", "");
      return Status::Ok();
    });
    RETURN_IF_ERROR(s);
  } while (!token.empty());
  return all;
}

Status GlueClient::DeleteTable(const std::string& database, const std::string& name) {
  return Call(transport_, "DeleteTable", {{"DatabaseName", database}, {"Name", name}}).status();
}

Result<std::vector<GluePartitionError>> GlueClient::BatchCreatePartition(
    const std::string& database, const std::string& table,
    const std::vector<GluePartition>& partitions) {
  json list = json::array();
  for (const auto& p : partitions) list.push_back(GluePartitionInputJson(p));
  ASSIGN_OR_RETURN(
      json out,
      Call(transport_, "BatchCreatePartition",
           {{"DatabaseName", database}, {"TableName", table}, {"PartitionInputList", list}}));
  return Decode("BatchCreatePartition", [&]() -> Result<std::vector<GluePartitionError>> {
    std::vector<GluePartitionError> errors;
    for (const json& e : out.value("Errors", json::array())) {
      GluePartitionError pe;
      Opt(e, "PartitionValues", pe.values);
      if (auto d = e.find("ErrorDetail"); d != e.end() && d->is_object()) {
        Opt(*d, "ErrorCode", pe.error_code);
        Opt(*d, "ErrorMessage", pe.error_message);
      }
      errors.push_back(std::move(pe));
    }
    return errors;
  });
}

Result<std::vector<GluePartition>> GlueClient::GetPartitions(const std::string& database,
                                                             const std::string& table) {
  std::vector<GluePartition> all;
  std::string token;
  do {
    json body = {{"DatabaseName", database}, {"TableName", table}};
    if (!token.empty()) body["NextToken"] = token;
    ASSIGN_OR_RETURN(json out, Call(transport_, "GetPartitions", body));
    Status s = Decode("GetPartitions", [&]() -> Status {
      for (const json& p : out.value("Partitions", json::array())) all.push_back(PartitionFrom(p));
      token = out.value("NextToken", "");
      return Status::Ok();
    });
    RETURN_IF_ERROR(s);
  } while (!token.empty());
  return all;
}

}  // namespace steady::aws
