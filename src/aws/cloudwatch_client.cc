#include "aws/cloudwatch_client.h"

#include <algorithm>
#include <charconv>

#include "aws/protocol_query.h"
#include "aws/protocol_xml.h"
#include "base/time_format.h"

namespace steady::aws {

namespace {

constexpr std::string_view kVersion = "2010-08-01";

Status Malformed(std::string_view op, std::string_view what) {
  return DataLossError(std::string(op) + ": unexpected response shape: " + std::string(what));
}

// Sends `params` and returns the <ActionResult> element of the <ActionResponse> document.
// Another document → kDataLoss.
Result<XmlElement> Call(AwsTransport& transport, const QueryParams& params) {
  const std::string& op = params.action();
  ASSIGN_OR_RETURN(net::HttpResponse resp, transport.Send(op, params.ToRequest()));
  Result<XmlElement> root = ParseXml(resp.body);
  if (!root.ok()) return root.status().WithContext(op);
  if (root->name != op + "Response")
    return Malformed(op, "root element <" + root->name + ">, expected <" + op + "Response>");
  const XmlElement* result = root->Child(op + "Result");
  if (!result) return Malformed(op, "no <" + op + "Result>");
  return *result;
}

Result<double> Number(std::string_view op, const XmlElement& e) {
  double d = 0;
  const std::string& s = e.text;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    return Malformed(op, "<" + e.name + "> is not a number: \"" + s + "\"");
  return d;
}

// An optional numeric member: absent → nullopt, present but not a number → kDataLoss.
Result<std::optional<double>> OptNumber(std::string_view op, const XmlElement& parent,
                                        std::string_view name) {
  const XmlElement* e = parent.Child(name);
  if (!e) return std::optional<double>();
  ASSIGN_OR_RETURN(double d, Number(op, *e));
  return std::optional<double>(d);
}

Result<Time> Timestamp(std::string_view op, const XmlElement& e) {
  Result<Time> t = ParseRfc3339(e.text);
  if (!t.ok()) return Malformed(op, "<" + e.name + "> is not a timestamp: \"" + e.text + "\"");
  return *t;
}

// Dimensions.member.N.Name / .Value under `prefix` (nothing for an empty list: an absent list
// and an empty one mean the same here).
void AddDimensions(QueryParams& p, const std::string& prefix, const std::vector<Dimension>& dims) {
  for (size_t i = 0; i < dims.size(); ++i) {
    std::string d = QueryParams::ListKey(prefix + "Dimensions", i + 1, QueryListStyle::kMember);
    p.Add(d + ".Name", dims[i].name).Add(d + ".Value", dims[i].value);
  }
}

void AddNumbers(QueryParams& p, const std::string& name, const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i)
    p.AddDouble(QueryParams::ListKey(name, i + 1, QueryListStyle::kMember), values[i]);
}

void AddStrings(QueryParams& p, const std::string& name, const std::vector<std::string>& values) {
  if (!values.empty()) p.AddList(name, values, QueryListStyle::kMember);
}

std::vector<Dimension> DimensionsFrom(const XmlElement& parent) {
  std::vector<Dimension> out;
  for (const XmlElement* d : parent.List("Dimensions"))
    out.push_back({d->ChildText("Name"), d->ChildText("Value")});
  return out;
}

}  // namespace

ServiceInfo CloudWatchService() {
  return {"CloudWatch", "monitoring", "monitoring", Protocol::kQuery};
}

Status CloudWatchClient::PutMetricData(const PutMetricDataRequest& request) {
  QueryParams p("PutMetricData", kVersion);
  p.Add("Namespace", request.namespace_);
  // An empty MetricData goes out as "MetricData=" (awsQuery's empty list); the service then
  // answers with its own error rather than the client inventing one.
  if (request.metric_data.empty()) p.Add("MetricData", "");
  for (size_t i = 0; i < request.metric_data.size(); ++i) {
    const MetricDatum& m = request.metric_data[i];
    std::string k = QueryParams::ListKey("MetricData", i + 1, QueryListStyle::kMember);
    p.Add(k + ".MetricName", m.metric_name);
    AddDimensions(p, k + ".", m.dimensions);
    if (m.timestamp) p.AddTimestamp(k + ".Timestamp", *m.timestamp);
    if (m.value) p.AddDouble(k + ".Value", *m.value);
    if (m.statistic_values) {
      const StatisticSet& s = *m.statistic_values;
      p.AddDouble(k + ".StatisticValues.SampleCount", s.sample_count)
          .AddDouble(k + ".StatisticValues.Sum", s.sum)
          .AddDouble(k + ".StatisticValues.Minimum", s.minimum)
          .AddDouble(k + ".StatisticValues.Maximum", s.maximum);
    }
    AddNumbers(p, k + ".Values", m.values);
    AddNumbers(p, k + ".Counts", m.counts);
    if (!m.unit.empty()) p.Add(k + ".Unit", m.unit);
    if (m.storage_resolution) p.AddInt(k + ".StorageResolution", *m.storage_resolution);
  }
  // PutMetricData answers nothing but ResponseMetadata; the body is not read.
  return transport_.Send(p.action(), p.ToRequest()).status();
}

Result<GetMetricStatisticsResult> CloudWatchClient::GetMetricStatistics(
    const GetMetricStatisticsRequest& request) {
  QueryParams p("GetMetricStatistics", kVersion);
  p.Add("Namespace", request.namespace_).Add("MetricName", request.metric_name);
  AddDimensions(p, "", request.dimensions);
  p.AddTimestamp("StartTime", request.start_time)
      .AddTimestamp("EndTime", request.end_time)
      .AddInt("Period", request.period);
  AddStrings(p, "Statistics", request.statistics);
  AddStrings(p, "ExtendedStatistics", request.extended_statistics);
  if (!request.unit.empty()) p.Add("Unit", request.unit);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  const std::string& op = p.action();
  GetMetricStatisticsResult out;
  out.label = r.ChildText("Label");
  for (const XmlElement* m : r.List("Datapoints")) {
    Datapoint d;
    const XmlElement* ts = m->Child("Timestamp");
    if (!ts) return Malformed(op, "a datapoint without a Timestamp");
    ASSIGN_OR_RETURN(d.timestamp, Timestamp(op, *ts));
    ASSIGN_OR_RETURN(d.sample_count, OptNumber(op, *m, "SampleCount"));
    ASSIGN_OR_RETURN(d.average, OptNumber(op, *m, "Average"));
    ASSIGN_OR_RETURN(d.sum, OptNumber(op, *m, "Sum"));
    ASSIGN_OR_RETURN(d.minimum, OptNumber(op, *m, "Minimum"));
    ASSIGN_OR_RETURN(d.maximum, OptNumber(op, *m, "Maximum"));
    d.unit = m->ChildText("Unit");
    for (const XmlElement* e : m->List("ExtendedStatistics", "entry")) {
      const XmlElement* key = e->Child("key");
      const XmlElement* value = e->Child("value");
      if (!key || !value) return Malformed(op, "an ExtendedStatistics entry without key or value");
      ASSIGN_OR_RETURN(d.extended_statistics[key->text], Number(op, *value));
    }
    out.datapoints.push_back(std::move(d));
  }
  // The interface promises oldest first; CloudWatch itself answers in no particular order.
  std::stable_sort(
      out.datapoints.begin(), out.datapoints.end(),
      [](const Datapoint& a, const Datapoint& b) { return a.timestamp < b.timestamp; });
  return out;
}

Result<GetMetricDataResult> CloudWatchClient::GetMetricData(const GetMetricDataRequest& request) {
  QueryParams p("GetMetricData", kVersion);
  if (request.metric_data_queries.empty()) p.Add("MetricDataQueries", "");
  for (size_t i = 0; i < request.metric_data_queries.size(); ++i) {
    const MetricDataQuery& q = request.metric_data_queries[i];
    std::string k = QueryParams::ListKey("MetricDataQueries", i + 1, QueryListStyle::kMember);
    p.Add(k + ".Id", q.id);
    if (q.metric_stat) {
      const MetricStat& s = *q.metric_stat;
      std::string m = k + ".MetricStat.Metric.";
      if (!s.metric.namespace_.empty()) p.Add(m + "Namespace", s.metric.namespace_);
      if (!s.metric.metric_name.empty()) p.Add(m + "MetricName", s.metric.metric_name);
      AddDimensions(p, m, s.metric.dimensions);
      p.AddInt(k + ".MetricStat.Period", s.period).Add(k + ".MetricStat.Stat", s.stat);
      if (!s.unit.empty()) p.Add(k + ".MetricStat.Unit", s.unit);
    }
    if (!q.expression.empty()) p.Add(k + ".Expression", q.expression);
    if (!q.label.empty()) p.Add(k + ".Label", q.label);
    // ReturnData defaults to true on the service side; only "false" needs saying.
    if (!q.return_data) p.AddBool(k + ".ReturnData", false);
    if (q.period) p.AddInt(k + ".Period", *q.period);
  }
  p.AddTimestamp("StartTime", request.start_time).AddTimestamp("EndTime", request.end_time);
  if (!request.next_token.empty()) p.Add("NextToken", request.next_token);
  if (!request.scan_by.empty()) p.Add("ScanBy", request.scan_by);
  if (request.max_datapoints) p.AddInt("MaxDatapoints", *request.max_datapoints);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  const std::string& op = p.action();
  GetMetricDataResult out;
  for (const XmlElement* m : r.List("MetricDataResults")) {
    MetricDataResult res;
    res.id = m->ChildText("Id");
    if (res.id.empty()) return Malformed(op, "a MetricDataResult without an Id");
    res.label = m->ChildText("Label");
    for (const XmlElement* t : m->List("Timestamps")) {
      ASSIGN_OR_RETURN(Time ts, Timestamp(op, *t));
      res.timestamps.push_back(ts);
    }
    for (const XmlElement* v : m->List("Values")) {
      ASSIGN_OR_RETURN(double d, Number(op, *v));
      res.values.push_back(d);
    }
    if (res.timestamps.size() != res.values.size())
      return Malformed(op, "result " + res.id + " has " + std::to_string(res.timestamps.size()) +
                               " timestamps but " + std::to_string(res.values.size()) + " values");
    res.status_code = m->ChildText("StatusCode", "Complete");
    out.metric_data_results.push_back(std::move(res));
  }
  out.next_token = r.ChildText("NextToken");
  return out;
}

Result<ListMetricsResult> CloudWatchClient::ListMetrics(const ListMetricsRequest& request) {
  QueryParams p("ListMetrics", kVersion);
  if (!request.namespace_.empty()) p.Add("Namespace", request.namespace_);
  if (!request.metric_name.empty()) p.Add("MetricName", request.metric_name);
  for (size_t i = 0; i < request.dimensions.size(); ++i) {
    std::string d = QueryParams::ListKey("Dimensions", i + 1, QueryListStyle::kMember);
    p.Add(d + ".Name", request.dimensions[i].name);
    if (request.dimensions[i].value) p.Add(d + ".Value", *request.dimensions[i].value);
  }
  if (!request.next_token.empty()) p.Add("NextToken", request.next_token);
  if (!request.recently_active.empty()) p.Add("RecentlyActive", request.recently_active);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  ListMetricsResult out;
  for (const XmlElement* m : r.List("Metrics")) {
    Metric metric{m->ChildText("Namespace"), m->ChildText("MetricName"), DimensionsFrom(*m)};
    if (metric.metric_name.empty()) return Malformed(p.action(), "a metric without a MetricName");
    out.metrics.push_back(std::move(metric));
  }
  out.next_token = r.ChildText("NextToken");
  return out;
}

}  // namespace steady::aws
