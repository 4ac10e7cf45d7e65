#include "region/cloudwatch_front.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <set>

#include "base/time_format.h"
#include "net/http.h"
#include "region/cloudwatch_wire.h"
#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr std::string_view kXmlns = "http://monitoring.amazonaws.com/doc/2010-08-01/";
constexpr std::string_view kTypeNamespace = "com.amazonaws.cloudwatch";
// PutMetricData takes at most 1 MB; a gzip body may not inflate to much more than that.
constexpr size_t kMaxInflatedBytes = 16 * 1024 * 1024;

const char* const kActions[] = {"PutMetricData", "GetMetricStatistics", "GetMetricData",
                                "ListMetrics"};

// Response members that are timestamps (epoch seconds in the document).
const std::set<std::string, std::less<>> kTimestampMembers = {"Timestamp", "Timestamps"};

// The error shape (JSON and CBOR __type) behind each query code of the models.
std::string ShapeName(const std::string& code) {
  static const std::map<std::string, std::string> kShapes = {
      {"InvalidParameterValue", "InvalidParameterValueException"},
      {"MissingParameter", "MissingRequiredParameterException"},
      {"InvalidParameterCombination", "InvalidParameterCombinationException"},
      {"InternalServiceError", "InternalServiceFault"},
      {"LimitExceeded", "LimitExceededFault"},
      {"InvalidFormat", "InvalidFormatFault"},
      {"Throttling", "ThrottlingException"},
  };
  auto it = kShapes.find(code);
  return it == kShapes.end() ? code : it->second;
}

// A request that cannot be read: the wire error to answer.
struct BadRequest {
  WireError error;
};

BadRequest Missing(const std::string& param) {
  return {{400, "MissingParameter", "The parameter " + param + " is required.", true}};
}

// Typed members of the request document. The JSON protocols carry typed values; awsQuery
// carries strings, parsed here. Errors name the member the way CloudWatch's messages do
// ("MetricData.member.1.Value") whatever the protocol.
class Reader {
 public:
  explicit Reader(bool query) : query_(query) {}

  const json* Get(const json& in, const char* name) const {
    if (!in.is_object()) return nullptr;
    auto it = in.find(name);
    return it == in.end() || it->is_null() ? nullptr : &*it;
  }

  std::string Str(const json& in, const char* name, const std::string& path) const {
    const json* v = Get(in, name);
    if (!v) return "";
    if (!v->is_string()) throw Malformed(path, "a string", *v);
    return v->get<std::string>();
  }

  std::optional<double> Double(const json& in, const char* name, const std::string& path) const {
    const json* v = Get(in, name);
    return v ? std::optional<double>(ToDouble(*v, path)) : std::nullopt;
  }

  double ToDouble(const json& v, const std::string& path) const {
    if (v.is_number()) return v.get<double>();
    if (query_ && v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      double d = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return d;
    }
    throw Malformed(path, "a number", v);
  }

  std::optional<int64_t> Int(const json& in, const char* name, const std::string& path) const {
    const json* v = Get(in, name);
    if (!v) return std::nullopt;
    if (v->is_number_integer()) return v->get<int64_t>();
    if (query_ && v->is_string()) {
      const std::string& s = v->get_ref<const std::string&>();
      int64_t i = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), i);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return i;
    }
    throw Malformed(path, "an integer", *v);
  }

  std::optional<bool> Bool(const json& in, const char* name, const std::string& path) const {
    const json* v = Get(in, name);
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>();
    if (query_ && *v == "true") return true;
    if (query_ && *v == "false") return false;
    throw Malformed(path, "a boolean", *v);
  }

  // Epoch seconds (JSON, CBOR) or ISO 8601 (query; accepted everywhere).
  std::optional<Time> Timestamp(const json& in, const char* name, const std::string& path) const {
    const json* v = Get(in, name);
    if (!v) return std::nullopt;
    if (v->is_number()) return FromUnixSeconds(v->get<double>());
    if (v->is_string()) {
      const std::string& s = v->get_ref<const std::string&>();
      if (auto t = ParseRfc3339(s); t.ok()) return *t;
      double d = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return FromUnixSeconds(d);
    }
    throw Malformed(path, "a timestamp", *v);
  }

  // A list member (absent → empty).
  const json& List(const json& in, const char* name, const std::string& path) const {
    static const json kEmpty = json::array();
    const json* v = Get(in, name);
    if (!v) return kEmpty;
    if (!v->is_array()) throw Malformed(path, "a list", *v);
    return *v;
  }

  const json* Struct(const json& in, const char* name, const std::string& path) const {
    const json* v = Get(in, name);
    if (v && !v->is_object()) throw Malformed(path, "a structure", *v);
    return v;
  }

 private:
  BadRequest Malformed(const std::string& path, const char* expected, const json& got) const {
    if (query_) {
      std::string text = got.is_string() ? got.get<std::string>() : got.dump();
      return {{400, "InvalidParameterValue",
               "The value " + text + " for parameter " + path + " is invalid.", true}};
    }
    return {{400, "SerializationException",
             "Expected " + std::string(expected) + " for " + path + ", got " +
                 std::string(got.type_name()) + ".",
             true}};
  }

  bool query_;
};

std::vector<aws::Dimension> ReadDimensions(const Reader& r, const json& in,
                                           const std::string& path) {
  std::vector<aws::Dimension> out;
  const json& list = r.List(in, "Dimensions", path + "Dimensions");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = path + "Dimensions.member." + std::to_string(i + 1);
    if (!list[i].is_object()) throw Missing(p + ".Name");
    out.push_back({r.Str(list[i], "Name", p + ".Name"), r.Str(list[i], "Value", p + ".Value")});
  }
  return out;
}

std::vector<std::string> ReadStrings(const Reader& r, const json& in, const char* name) {
  std::vector<std::string> out;
  const json& list = r.List(in, name, name);
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = std::string(name) + ".member." + std::to_string(i + 1);
    if (!list[i].is_string())
      throw BadRequest{
          {400, "InvalidParameterValue", "The parameter " + p + " must be a string.", true}};
    out.push_back(list[i].get<std::string>());
  }
  return out;
}

aws::MetricDatum ReadDatum(const Reader& r, const json& d, const std::string& p) {
  aws::MetricDatum m;
  if (!d.is_object()) throw Missing(p + ".MetricName");
  m.metric_name = r.Str(d, "MetricName", p + ".MetricName");
  m.dimensions = ReadDimensions(r, d, p + ".");
  m.timestamp = r.Timestamp(d, "Timestamp", p + ".Timestamp");
  m.value = r.Double(d, "Value", p + ".Value");
  const json& values = r.List(d, "Values", p + ".Values");
  for (size_t i = 0; i < values.size(); ++i)
    m.values.push_back(r.ToDouble(values[i], p + ".Values.member." + std::to_string(i + 1)));
  const json& counts = r.List(d, "Counts", p + ".Counts");
  for (size_t i = 0; i < counts.size(); ++i)
    m.counts.push_back(r.ToDouble(counts[i], p + ".Counts.member." + std::to_string(i + 1)));
  if (const json* s = r.Struct(d, "StatisticValues", p + ".StatisticValues")) {
    const std::string sp = p + ".StatisticValues";
    auto need = [&](const char* name) {
      auto v = r.Double(*s, name, sp + "." + name);
      if (!v) throw Missing(sp + "." + name);
      return *v;
    };
    m.statistic_values =
        aws::StatisticSet{need("SampleCount"), need("Sum"), need("Minimum"), need("Maximum")};
  }
  m.unit = r.Str(d, "Unit", p + ".Unit");
  if (auto res = r.Int(d, "StorageResolution", p + ".StorageResolution"))
    m.storage_resolution = static_cast<int>(std::clamp<int64_t>(*res, INT32_MIN, INT32_MAX));
  return m;
}

Time RequiredTime(const Reader& r, const json& in, const char* name) {
  auto t = r.Timestamp(in, name, name);
  if (!t) throw Missing(name);
  return *t;
}

int ClampInt(int64_t v) { return static_cast<int>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)); }

int64_t EpochSeconds(Time t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

json MetricJson(const aws::Metric& m) {
  json dims = json::array();
  for (const auto& d : m.dimensions) dims.push_back({{"Name", d.name}, {"Value", d.value}});
  return {{"Namespace", m.namespace_}, {"MetricName", m.metric_name}, {"Dimensions", dims}};
}

// The operations: request document in, response document out (or a model error).
Result<json> Run(CloudWatchModel& model, const std::string& op, const Reader& r, const json& in) {
  if (op == "PutMetricData") {
    aws::PutMetricDataRequest req;
    req.namespace_ = r.Str(in, "Namespace", "Namespace");
    const json& data = r.List(in, "MetricData", "MetricData");
    for (size_t i = 0; i < data.size(); ++i)
      req.metric_data.push_back(
          ReadDatum(r, data[i], "MetricData.member." + std::to_string(i + 1)));
    // Entity data is accepted and its metrics stored; the entity itself is not kept.
    const json& entities = r.List(in, "EntityMetricData", "EntityMetricData");
    for (size_t i = 0; i < entities.size(); ++i) {
      const std::string p = "EntityMetricData.member." + std::to_string(i + 1);
      const json& list = r.List(entities[i], "MetricData", p + ".MetricData");
      for (size_t k = 0; k < list.size(); ++k)
        req.metric_data.push_back(
            ReadDatum(r, list[k], p + ".MetricData.member." + std::to_string(k + 1)));
    }
    RETURN_IF_ERROR(model.PutMetricData(req));
    return json::object();
  }
  if (op == "GetMetricStatistics") {
    aws::GetMetricStatisticsRequest req;
    req.namespace_ = r.Str(in, "Namespace", "Namespace");
    req.metric_name = r.Str(in, "MetricName", "MetricName");
    req.dimensions = ReadDimensions(r, in, "");
    req.start_time = RequiredTime(r, in, "StartTime");
    req.end_time = RequiredTime(r, in, "EndTime");
    auto period = r.Int(in, "Period", "Period");
    if (!period) throw Missing("Period");
    req.period = ClampInt(*period);
    req.statistics = ReadStrings(r, in, "Statistics");
    req.extended_statistics = ReadStrings(r, in, "ExtendedStatistics");
    req.unit = r.Str(in, "Unit", "Unit");
    ASSIGN_OR_RETURN(aws::GetMetricStatisticsResult res, model.GetMetricStatistics(req));
    json points = json::array();
    for (const aws::Datapoint& d : res.datapoints) {
      json p = {{"Timestamp", EpochSeconds(d.timestamp)}};
      if (d.sample_count) p["SampleCount"] = *d.sample_count;
      if (d.average) p["Average"] = *d.average;
      if (d.sum) p["Sum"] = *d.sum;
      if (d.minimum) p["Minimum"] = *d.minimum;
      if (d.maximum) p["Maximum"] = *d.maximum;
      p["Unit"] = d.unit;
      if (!d.extended_statistics.empty()) p["ExtendedStatistics"] = d.extended_statistics;
      points.push_back(std::move(p));
    }
    return json{{"Label", res.label}, {"Datapoints", std::move(points)}};
  }
  if (op == "GetMetricData") {
    aws::GetMetricDataRequest req;
    const json& queries = r.List(in, "MetricDataQueries", "MetricDataQueries");
    for (size_t i = 0; i < queries.size(); ++i) {
      const std::string p = "MetricDataQueries.member." + std::to_string(i + 1);
      const json& q = queries[i];
      if (!q.is_object()) throw Missing(p + ".Id");
      aws::MetricDataQuery mq;
      mq.id = r.Str(q, "Id", p + ".Id");
      if (const json* ms = r.Struct(q, "MetricStat", p + ".MetricStat")) {
        const std::string mp = p + ".MetricStat";
        aws::MetricStat stat;
        const json* metric = r.Struct(*ms, "Metric", mp + ".Metric");
        if (!metric) throw Missing(mp + ".Metric");
        stat.metric.namespace_ = r.Str(*metric, "Namespace", mp + ".Metric.Namespace");
        stat.metric.metric_name = r.Str(*metric, "MetricName", mp + ".Metric.MetricName");
        stat.metric.dimensions = ReadDimensions(r, *metric, mp + ".Metric.");
        auto period = r.Int(*ms, "Period", mp + ".Period");
        if (!period) throw Missing(mp + ".Period");
        stat.period = ClampInt(*period);
        stat.stat = r.Str(*ms, "Stat", mp + ".Stat");
        stat.unit = r.Str(*ms, "Unit", mp + ".Unit");
        mq.metric_stat = std::move(stat);
      }
      mq.expression = r.Str(q, "Expression", p + ".Expression");
      mq.label = r.Str(q, "Label", p + ".Label");
      mq.return_data = r.Bool(q, "ReturnData", p + ".ReturnData").value_or(true);
      if (auto period = r.Int(q, "Period", p + ".Period")) mq.period = ClampInt(*period);
      req.metric_data_queries.push_back(std::move(mq));
    }
    req.start_time = RequiredTime(r, in, "StartTime");
    req.end_time = RequiredTime(r, in, "EndTime");
    req.next_token = r.Str(in, "NextToken", "NextToken");
    req.scan_by = r.Str(in, "ScanBy", "ScanBy");
    if (auto max = r.Int(in, "MaxDatapoints", "MaxDatapoints")) req.max_datapoints = ClampInt(*max);
    ASSIGN_OR_RETURN(aws::GetMetricDataResult res, model.GetMetricData(req));
    json results = json::array();
    for (const aws::MetricDataResult& m : res.metric_data_results) {
      json ts = json::array();
      for (Time t : m.timestamps) ts.push_back(EpochSeconds(t));
      results.push_back({{"Id", m.id},
                         {"Label", m.label},
                         {"Timestamps", std::move(ts)},
                         {"Values", m.values},
                         {"StatusCode", m.status_code}});
    }
    json out = {{"MetricDataResults", std::move(results)}, {"Messages", json::array()}};
    if (!res.next_token.empty()) out["NextToken"] = res.next_token;
    return out;
  }
  if (op == "ListMetrics") {
    aws::ListMetricsRequest req;
    req.namespace_ = r.Str(in, "Namespace", "Namespace");
    req.metric_name = r.Str(in, "MetricName", "MetricName");
    const json& filters = r.List(in, "Dimensions", "Dimensions");
    for (size_t i = 0; i < filters.size(); ++i) {
      const std::string p = "Dimensions.member." + std::to_string(i + 1);
      if (!filters[i].is_object()) throw Missing(p + ".Name");
      aws::DimensionFilter f{r.Str(filters[i], "Name", p + ".Name"), std::nullopt};
      if (r.Get(filters[i], "Value")) f.value = r.Str(filters[i], "Value", p + ".Value");
      req.dimensions.push_back(std::move(f));
    }
    req.next_token = r.Str(in, "NextToken", "NextToken");
    req.recently_active = r.Str(in, "RecentlyActive", "RecentlyActive");
    ASSIGN_OR_RETURN(aws::ListMetricsResult res, model.ListMetrics(req));
    json metrics = json::array();
    for (const aws::Metric& m : res.metrics) metrics.push_back(MetricJson(m));
    json out = {{"Metrics", std::move(metrics)}};
    if (!res.next_token.empty()) out["NextToken"] = res.next_token;
    return out;
  }
  return InternalError("CloudWatch operation " + op + " has no handler");
}

std::string XmlNumber(const json& v) {
  if (v.is_number_float()) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v.get<double>());
    return std::string(buf, r.ptr);
  }
  return v.dump();
}

// The document as awsQuery XML: lists as <Name><member>…</member></Name>, maps as
// <entry><key/><value/></entry>, timestamps in ISO 8601.
void WriteXml(XmlWriter& x, const std::string& name, const json& v, bool timestamp) {
  if (v.is_array()) {
    x.Open(name);
    for (const json& e : v) WriteXml(x, "member", e, timestamp);
    x.Close(name);
  } else if (v.is_object()) {
    x.Open(name);
    for (const auto& [k, e] : v.items()) {
      if (name == "ExtendedStatistics") {
        x.Open("entry").Text("key", k).Text("value", XmlNumber(e)).Close("entry");
      } else {
        WriteXml(x, k, e, kTimestampMembers.count(k) > 0);
      }
    }
    x.Close(name);
  } else if (timestamp && v.is_number()) {
    x.Text(name, FormatIso8601(FromUnixSeconds(v.get<double>())));
  } else if (v.is_string()) {
    x.Text(name, v.get<std::string>());
  } else if (v.is_boolean()) {
    x.Text(name, v.get<bool>() ? "true" : "false");
  } else {
    x.Text(name, XmlNumber(v));
  }
}

net::HttpResponse CborResponse(const json& body, const std::string& request_id, int status) {
  net::HttpResponse resp;
  resp.status = status;
  resp.headers.Set("Content-Type", "application/cbor");
  resp.headers.Set("smithy-protocol", "rpc-v2-cbor");
  resp.headers.Set("x-amzn-RequestId", request_id);
  resp.body = EncodeRpcV2Cbor(body, kTimestampMembers);
  return resp;
}

net::HttpResponse ErrorFor(const std::string& wire, const std::string& request_id,
                           const WireError& error) {
  if (wire != "json" && wire != "cbor") return QueryErrorResponse(error, request_id, kXmlns);
  WireError shaped = error;
  shaped.code = ShapeName(error.code);
  if (wire == "json")
    return JsonErrorResponse(shaped, request_id, kTypeNamespace, "application/x-amz-json-1.0",
                             error.code);
  net::HttpResponse resp = CborResponse(
      {{"__type", std::string(kTypeNamespace) + "#" + shaped.code}, {"message", error.message}},
      request_id, error.http_status);
  resp.headers.Set("x-amzn-query-error",
                   error.code + (error.sender_fault ? ";Sender" : ";Receiver"));
  return resp;
}

net::HttpResponse Answer(const std::string& wire, const std::string& op,
                         const std::string& request_id, const json& result) {
  if (wire == "json") return JsonResponse(result, request_id);
  if (wire == "cbor") return CborResponse(result, request_id, 200);
  XmlWriter x;
  x.Open(op + "Response", kXmlns);
  if (op != "PutMetricData") WriteXml(x, op + "Result", result, false);
  x.Open("ResponseMetadata").Text("RequestId", request_id).Close("ResponseMetadata");
  x.Close(op + "Response");
  return XmlResponse(std::move(x).str(), request_id);
}

bool IsFormContent(const net::ServerRequest& req) {
  return req.headers.Get("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
}

}  // namespace

std::unique_ptr<ServiceFront> CloudWatchModel::MakeFront() {
  return std::make_unique<CloudWatchFront>(*this);
}

bool CloudWatchFront::OwnsAction(const std::string& action) const {
  for (const char* a : kActions)
    if (action == a) return true;
  return false;
}

net::HttpResponse CloudWatchFront::ErrorResponse(const RoutedRequest& request,
                                                 const WireError& error) {
  return ErrorFor(request.wire, request.request_id, error);
}

void CloudWatchFront::Handle(const RoutedRequest& request, net::Responder respond) {
  std::string wire = request.wire;
  std::string op = request.operation;
  const std::string& id = request.request_id;
  auto fail = [&](const WireError& e) { respond(ErrorFor(wire, id, e)); };

  // botocore gzips large PutMetricData bodies (the operation is modeled with compression).
  std::string inflated;
  const std::string* body = &request.http.body;
  if (request.http.headers.Get("Content-Encoding").find("gzip") != std::string::npos) {
    auto raw = Gunzip(*body, kMaxInflatedBytes);
    if (!raw.ok()) {
      if (raw.status().code() == StatusCode::kResourceExhausted)
        return fail({413, "RequestEntityTooLarge", raw.status().message(), true});
      return fail({400,
                   wire == "query" || wire == "rest" ? "MalformedInput" : "SerializationException",
                   "The request body is not valid gzip.", true});
    }
    inflated = std::move(*raw);
    body = &inflated;
  }

  json in;
  if (wire == "rest" || wire == "query") {
    // A gzipped query form reaches us as "rest" (the router could not read its Action).
    FormParams form;
    for (auto& [k, v] : net::ParseQuery(request.http.query, true)) form[k] = v;
    if (request.http.method == "POST" && (IsFormContent(request.http) || wire == "query"))
      for (auto& [k, v] : net::ParseQuery(*body, true)) form[k] = v;
    wire = "query";
    if (op.empty()) op = form.count("Action") ? form["Action"] : "";
    if (op.empty())
      return fail({400, "MissingAction", "The request must contain the parameter Action.", true});
    auto tree = QueryFormToJson(form);
    if (!tree.ok()) return fail({400, "MalformedQueryString", tree.status().message(), true});
    in = std::move(*tree);
  } else if (wire == "cbor") {
    auto doc = DecodeRpcV2Cbor(*body);
    if (!doc.ok()) return fail({400, "SerializationException", doc.status().message(), true});
    in = std::move(*doc);
  } else {
    in = json::parse(body->empty() ? std::string_view("{}") : std::string_view(*body), nullptr,
                     false);
    if (in.is_discarded() || !in.is_object())
      return fail({400, "SerializationException", "The request body is not a JSON object.", true});
  }

  if (!OwnsAction(op)) {
    if (wire == "query")
      return fail(
          {400, "InvalidAction", "The action " + op + " is not valid for this web service.", true});
    return fail({400, "UnknownOperationException", "Unknown operation " + op, true});
  }

  Result<json> result = json();
  try {
    result = Run(model_, op, Reader(wire == "query"), in);
  } catch (const BadRequest& b) {
    return fail(b.error);
  }
  if (!result.ok()) {
    ErrorParts p = SplitServiceError(result.status());
    // What no model made (a journal write failing) is CloudWatch's InternalServiceError.
    if (p.code == "InternalError" || p.code == "ServiceUnavailable")
      p.code = "InternalServiceError";
    return fail({p.http_status, p.code, p.message, p.sender_fault});
  }
  respond(Answer(wire, op, id, *result));
}

}  // namespace steady::region
