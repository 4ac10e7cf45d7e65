#include "region/glue_front.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.1";

struct BadInput {
  std::string message;
};

std::string Str(const json& in, const char* key, bool required = false) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) {
    if (required) throw BadInput{std::string(key) + " is required."};
    return "";
  }
  if (!it->is_string()) throw BadInput{std::string(key) + " must be a string."};
  return it->get<std::string>();
}

int MaxResults(const json& in) {
  auto it = in.find("MaxResults");
  if (it == in.end() || it->is_null()) return 0;
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 100000)
    throw BadInput{"MaxResults must be a positive integer."};
  return it->get<int>();
}

const json& Object(const json& in, const char* key) {
  auto it = in.find(key);
  if (it == in.end() || !it->is_object()) throw BadInput{std::string(key) + " is required."};
  return *it;
}

// A list of strings: PartitionValues, PartitionValueList, a PartitionValueList's Values.
std::vector<std::string> Strings(const json& in, const char* key) {
  auto it = in.find(key);
  if (it == in.end() || !it->is_array()) throw BadInput{std::string(key) + " is required."};
  std::vector<std::string> out;
  for (const json& v : *it) {
    if (!v.is_string()) throw BadInput{std::string(key) + " must hold strings."};
    out.push_back(v.get<std::string>());
  }
  return out;
}

// A list of PartitionValueList objects ({"Values": [...]}): PartitionsToGet, PartitionsToDelete.
std::vector<std::vector<std::string>> ValueLists(const json& in, const char* key) {
  auto it = in.find(key);
  if (it == in.end() || !it->is_array()) throw BadInput{std::string(key) + " is required."};
  std::vector<std::vector<std::string>> out;
  for (const json& v : *it) {
    if (!v.is_object()) throw BadInput{std::string(key) + " must hold objects with Values."};
    out.push_back(Strings(v, "Values"));
  }
  return out;
}

json ErrorsJson(const std::vector<aws::GluePartitionError>& errors) {
  json out = json::array();
  for (const auto& e : errors)
    out.push_back(
        {{"PartitionValues", e.values},
         {"ErrorDetail", {{"ErrorCode", e.error_code}, {"ErrorMessage", e.error_message}}}});
  return out;
}

double Seconds(Time t) { return ToUnixSeconds(t); }

json DatabaseJson(const GlueDatabase& d, const std::string& catalog_id) {
  json out = {{"Name", d.name}, {"CreateTime", Seconds(d.create_time)}, {"CatalogId", catalog_id}};
  if (!d.description.empty()) out["Description"] = d.description;
  return out;
}

json TableJson(const aws::GlueTable& t, const std::string& catalog_id) {
  json out = GlueTableInputJson(t);
  out["DatabaseName"] = t.database_name;
  out["CreateTime"] = Seconds(t.create_time);
  out["UpdateTime"] = Seconds(t.update_time);
  out["CatalogId"] = catalog_id;
  out["IsRegisteredWithLakeFormation"] = false;
  return out;
}

json PartitionJson(const aws::GluePartition& p, const std::string& database,
                   const std::string& table, const std::string& catalog_id) {
  json out = GluePartitionInputJson(p);
  out["DatabaseName"] = database;
  out["TableName"] = table;
  out["CreationTime"] = Seconds(p.creation_time);
  out["CatalogId"] = catalog_id;
  return out;
}

}  // namespace

std::unique_ptr<ServiceFront> GlueModel::MakeFront() { return std::make_unique<GlueFront>(*this); }

net::HttpResponse GlueFront::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  return JsonErrorResponse(error, request.request_id, "com.amazonaws.glue", kContentType);
}

void GlueFront::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string& op = request.operation;
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    respond(ErrorResponse(request, {p.http_status, p.code, p.message, p.sender_fault}));
  };
  auto answer = [&](const json& out) {
    respond(JsonResponse(out, request.request_id, kContentType));
  };
  auto done = [&](const Status& s) {
    if (s.ok())
      answer(json::object());
    else
      fail(s);
  };
  auto check = [&](const auto& r) {
    if (!r.ok()) fail(r.status());
    return r.ok();
  };
  json in;
  try {
    in = json::parse(request.http.body.empty() ? "{}" : request.http.body);
    if (!in.is_object()) throw json::type_error::create(302, "expected an object", nullptr);
  } catch (const json::exception&) {
    return respond(ErrorResponse(
        request, {400, "SerializationException", "The request body is not valid JSON.", true}));
  }

  try {
    // One catalog per account, as Glue: CatalogId defaults to the caller's account.
    std::string catalog = Str(in, "CatalogId");
    if (catalog.empty()) catalog = model_.account_id();
    if (op == "CreateDatabase") {
      const json& input = Object(in, "DatabaseInput");
      done(model_.CreateDatabase(Str(input, "Name", true), Str(input, "Description")));
    } else if (op == "GetDatabase") {
      auto r = model_.DescribeDatabase(Str(in, "Name", true));
      if (check(r)) answer({{"Database", DatabaseJson(*r, catalog)}});
    } else if (op == "GetDatabases") {
      auto r = model_.GetDatabasesPage(Str(in, "NextToken"), MaxResults(in));
      if (check(r)) {
        json out = {{"DatabaseList", json::array()}};
        for (const auto& d : r->items) out["DatabaseList"].push_back(DatabaseJson(d, catalog));
        if (!r->next_token.empty()) out["NextToken"] = r->next_token;
        answer(out);
      }
    } else if (op == "DeleteDatabase") {
      done(model_.DeleteDatabase(Str(in, "Name", true)));
    } else if (op == "CreateTable" || op == "UpdateTable") {
      const std::string database = Str(in, "DatabaseName", true);
      aws::GlueTable t = GlueTableFromJson(Object(in, "TableInput"));
      done(op == "CreateTable" ? model_.CreateTable(database, t) : model_.UpdateTable(database, t));
    } else if (op == "GetTable") {
      auto r = model_.GetTable(Str(in, "DatabaseName", true), Str(in, "Name", true));
      if (check(r)) answer({{"Table", TableJson(*r, catalog)}});
    } else if (op == "GetTables") {
      auto r = model_.GetTablesPage(Str(in, "DatabaseName", true), Str(in, "NextToken"),
                                    MaxResults(in), Str(in, "Expression"));
      if (check(r)) {
        json out = {{"TableList", json::array()}};
        for (const auto& t : r->items) out["TableList"].push_back(TableJson(t, catalog));
        if (!r->next_token.empty()) out["NextToken"] = r->next_token;
        answer(out);
      }
    } else if (op == "DeleteTable") {
      done(model_.DeleteTable(Str(in, "DatabaseName", true), Str(in, "Name", true)));
    } else if (op == "BatchCreatePartition") {
      std::vector<aws::GluePartition> parts;
      auto it = in.find("PartitionInputList");
      if (it == in.end() || !it->is_array()) throw BadInput{"PartitionInputList is required."};
      for (const json& p : *it) parts.push_back(GluePartitionFromJson(p));
      auto r = model_.BatchCreatePartition(Str(in, "DatabaseName", true),
                                           Str(in, "TableName", true), parts);
      if (check(r)) answer({{"Errors", ErrorsJson(*r)}});
    } else if (op == "CreatePartition") {
      done(model_.CreatePartition(Str(in, "DatabaseName", true), Str(in, "TableName", true),
                                  GluePartitionFromJson(Object(in, "PartitionInput"))));
    } else if (op == "UpdatePartition") {
      done(model_.UpdatePartition(Str(in, "DatabaseName", true), Str(in, "TableName", true),
                                  Strings(in, "PartitionValueList"),
                                  GluePartitionFromJson(Object(in, "PartitionInput"))));
    } else if (op == "DeletePartition") {
      done(model_.DeletePartition(Str(in, "DatabaseName", true), Str(in, "TableName", true),
                                  Strings(in, "PartitionValues")));
    } else if (op == "BatchDeletePartition") {
      auto r =
          model_.BatchDeletePartition(Str(in, "DatabaseName", true), Str(in, "TableName", true),
                                      ValueLists(in, "PartitionsToDelete"));
      if (check(r)) answer({{"Errors", ErrorsJson(*r)}});
    } else if (op == "GetPartition" || op == "GetPartitions" || op == "BatchGetPartition") {
      const std::string database = Str(in, "DatabaseName", true);
      const std::string table_name = Str(in, "TableName", true);
      // Partitions name their table as stored, as Glue answers them.
      const std::string stored_db = GlueModel::StoredName(database);
      const std::string stored_table = GlueModel::StoredName(table_name);
      auto as_json = [&](const aws::GluePartition& p) {
        return PartitionJson(p, stored_db, stored_table, catalog);
      };
      if (op == "GetPartition") {
        auto r = model_.GetPartition(database, table_name, Strings(in, "PartitionValues"));
        if (check(r)) answer({{"Partition", as_json(*r)}});
      } else if (op == "BatchGetPartition") {
        auto r = model_.BatchGetPartition(database, table_name, ValueLists(in, "PartitionsToGet"));
        if (check(r)) {
          json out = {{"Partitions", json::array()}, {"UnprocessedKeys", json::array()}};
          for (const auto& p : *r) out["Partitions"].push_back(as_json(p));
          answer(out);
        }
      } else {
        auto r = model_.GetPartitionsPage(database, table_name, Str(in, "NextToken"),
                                          MaxResults(in), Str(in, "Expression"));
        if (check(r)) {
          json out = {{"Partitions", json::array()}};
          for (const auto& p : r->items) out["Partitions"].push_back(as_json(p));
          if (!r->next_token.empty()) out["NextToken"] = r->next_token;
          answer(out);
        }
      }
    } else {
      respond(ErrorResponse(request,
                            {400, "UnknownOperationException", "Unknown operation " + op, true}));
    }
  } catch (const BadInput& b) {
    respond(ErrorResponse(request, {400, "InvalidInputException", b.message, true}));
  } catch (const std::exception& e) {
    respond(ErrorResponse(request, {400, "InvalidInputException",
                                    std::string("Invalid request: ") + e.what(), true}));
  }
}

}  // namespace steady::region
