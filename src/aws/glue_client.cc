#include "aws/glue_client.h"

#include <nlohmann/json.hpp>

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

// ---- writing -------------------------------------------------------------------------------

json ColumnsJson(const std::vector<GlueColumn>& cols) {
  json out = json::array();
  for (const auto& c : cols) {
    json j = {{"Name", c.name}, {"Type", c.type}};
    if (!c.comment.empty()) j["Comment"] = c.comment;
    out.push_back(std::move(j));
  }
  return out;
}

json StorageJson(const GlueStorageDescriptor& s) {
  json j = {{"Columns", ColumnsJson(s.columns)}, {"Compressed", s.compressed}};
  if (!s.location.empty()) j["Location"] = s.location;
  if (!s.input_format.empty()) j["InputFormat"] = s.input_format;
  if (!s.output_format.empty()) j["OutputFormat"] = s.output_format;
  json serde = json::object();
  if (!s.serde_info.serialization_library.empty())
    serde["SerializationLibrary"] = s.serde_info.serialization_library;
  if (!s.serde_info.parameters.empty()) serde["Parameters"] = s.serde_info.parameters;
  j["SerdeInfo"] = std::move(serde);
  return j;
}

json TableInputJson(const GlueTable& t) {
  json j = {{"Name", t.name}, {"StorageDescriptor", StorageJson(t.storage_descriptor)}};
  if (!t.description.empty()) j["Description"] = t.description;
  if (!t.table_type.empty()) j["TableType"] = t.table_type;
  if (!t.parameters.empty()) j["Parameters"] = t.parameters;
  if (!t.partition_keys.empty()) j["PartitionKeys"] = ColumnsJson(t.partition_keys);
  return j;
}

// ---- reading -------------------------------------------------------------------------------

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

std::vector<GlueColumn> ColumnsFrom(const json& j, const char* key) {
  std::vector<GlueColumn> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  for (const json& c : it->get_ref<const json::array_t&>()) {
    GlueColumn col;
    Opt(c, "Name", col.name);
    Opt(c, "Type", col.type);
    Opt(c, "Comment", col.comment);
    out.push_back(std::move(col));
  }
  return out;
}

GlueStorageDescriptor StorageFrom(const json& j) {
  GlueStorageDescriptor s;
  if (j.is_null()) return s;
  s.columns = ColumnsFrom(j, "Columns");
  Opt(j, "Location", s.location);
  Opt(j, "InputFormat", s.input_format);
  Opt(j, "OutputFormat", s.output_format);
  Opt(j, "Compressed", s.compressed);
  if (auto it = j.find("SerdeInfo"); it != j.end() && it->is_object()) {
    Opt(*it, "SerializationLibrary", s.serde_info.serialization_library);
    Opt(*it, "Parameters", s.serde_info.parameters);
  }
  return s;
}

GlueTable TableFrom(const json& j) {
  GlueTable t;
  Opt(j, "Name", t.name);
  Opt(j, "DatabaseName", t.database_name);
  Opt(j, "Description", t.description);
  Opt(j, "TableType", t.table_type);
  Opt(j, "Parameters", t.parameters);
  t.partition_keys = ColumnsFrom(j, "PartitionKeys");
  if (auto it = j.find("StorageDescriptor"); it != j.end()) t.storage_descriptor = StorageFrom(*it);
  OptTime(j, "CreateTime", t.create_time);
  OptTime(j, "UpdateTime", t.update_time);
  return t;
}

GluePartition PartitionFrom(const json& j) {
  GluePartition p;
  Opt(j, "Values", p.values);
  Opt(j, "Parameters", p.parameters);
  if (auto it = j.find("StorageDescriptor"); it != j.end()) p.storage_descriptor = StorageFrom(*it);
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
              {{"DatabaseName", database}, {"TableInput", TableInputJson(table)}})
      .status();
}

Status GlueClient::UpdateTable(const std::string& database, const GlueTable& table) {
  return Call(transport_, "UpdateTable",
              {{"DatabaseName", database}, {"TableInput", TableInputJson(table)}})
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
  for (const auto& p : partitions) {
    json j = {{"Values", p.values}, {"StorageDescriptor", StorageJson(p.storage_descriptor)}};
    if (!p.parameters.empty()) j["Parameters"] = p.parameters;
    list.push_back(std::move(j));
  }
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
