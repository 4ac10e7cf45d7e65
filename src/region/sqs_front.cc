#include "region/sqs_front.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "base/base64.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr std::string_view kXmlns = "http://queue.amazonaws.com/doc/2012-11-05/";

const char* const kActions[] = {"CreateQueue",
                                "GetQueueUrl",
                                "ListQueues",
                                "GetQueueAttributes",
                                "SetQueueAttributes",
                                "DeleteQueue",
                                "PurgeQueue",
                                "SendMessage",
                                "SendMessageBatch",
                                "ReceiveMessage",
                                "DeleteMessage",
                                "DeleteMessageBatch",
                                "ChangeMessageVisibility",
                                "ChangeMessageVisibilityBatch"};

// Models speak SQS's query-protocol codes (what SDK users see, and what the JSON protocol's
// x-amzn-query-error header carries); the JSON protocol's __type names the error shape.
std::string ShapeName(const std::string& code) {
  static const std::map<std::string, std::string> kShapes = {
      {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"},
      {"QueueAlreadyExists", "QueueNameExists"},
      {"AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress"},
      {"AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight"},
      {"AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest"},
      {"AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest"},
      {"AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct"},
      {"AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId"},
      {"AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong"},
      {"AWS.SimpleQueueService.UnsupportedOperation", "UnsupportedOperation"},
      {"AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"},
  };
  auto it = kShapes.find(code);
  return it == kShapes.end() ? code : it->second;
}

// A request that cannot be read: the wire error to answer.
struct BadRequest {
  WireError error;
};

BadRequest Missing(const std::string& name) {
  return {{400, "MissingParameter", "The request must contain the parameter " + name + ".", true}};
}
BadRequest Invalid(const std::string& name, const std::string& why) {
  return {{400, "InvalidParameterValue",
           "Value for parameter " + name + " is invalid. Reason: " + why + ".", true}};
}

int ToInt(const std::string& name, const std::string& v) {
  int out = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) throw Invalid(name, "not an integer");
  return out;
}

json MessageAttributesFromForm(const FormParams& form, const std::string& prefix) {
  json out = json::object();
  for (const auto& [n, sub] : FormList(form, prefix)) {
    auto name = sub.find("Name");
    if (name == sub.end()) throw Missing(prefix + "." + std::to_string(n) + ".Name");
    json v = json::object();
    for (const auto& [k, val] : sub) {
      if (k == "Value.DataType") v["DataType"] = val;
      if (k == "Value.StringValue") v["StringValue"] = val;
      if (k == "Value.BinaryValue") v["BinaryValue"] = val;
    }
    out[name->second] = v;
  }
  return out;
}

// The query form as the JSON protocol's request document.
json FormToJson(const FormParams& form) {
  json j = json::object();
  static const char* const kStrings[] = {"QueueName",   "QueueUrl",      "QueueNamePrefix",
                                         "MessageBody", "ReceiptHandle", "NextToken"};
  static const char* const kInts[] = {"DelaySeconds", "MaxNumberOfMessages", "VisibilityTimeout",
                                      "WaitTimeSeconds", "MaxResults"};
  for (const char* k : kStrings)
    if (auto it = form.find(k); it != form.end()) j[k] = it->second;
  for (const char* k : kInts)
    if (auto it = form.find(k); it != form.end()) j[k] = ToInt(k, it->second);
  json attrs = json::object();
  for (const auto& [n, sub] : FormList(form, "Attribute")) {
    auto name = sub.find("Name");
    if (name == sub.end()) throw Missing("Attribute." + std::to_string(n) + ".Name");
    auto value = sub.find("Value");
    attrs[name->second] = value == sub.end() ? "" : value->second;
  }
  if (!attrs.empty()) j["Attributes"] = attrs;
  for (const auto& [list, key] : std::vector<std::pair<std::string, std::string>>{
           {"AttributeName", "AttributeNames"},
           {"MessageAttributeName", "MessageAttributeNames"},
           {"MessageSystemAttributeName", "MessageSystemAttributeNames"}}) {
    json names = json::array();
    for (const auto& [n, sub] : FormList(form, list))
      if (auto it = sub.find(""); it != sub.end()) names.push_back(it->second);
    if (!names.empty()) j[key] = names;
  }
  json mattrs = MessageAttributesFromForm(form, "MessageAttribute");
  if (!mattrs.empty()) j["MessageAttributes"] = mattrs;
  for (const std::string prefix : {"SendMessageBatchRequestEntry", "DeleteMessageBatchRequestEntry",
                                   "ChangeMessageVisibilityBatchRequestEntry"}) {
    auto entries = FormList(form, prefix);
    if (entries.empty()) continue;
    json list = json::array();
    for (const auto& [n, sub] : entries) {
      json e = json::object();
      FormParams inner;
      for (const auto& [k, v] : sub) {
        if (k == "Id" || k == "MessageBody" || k == "ReceiptHandle")
          e[k] = v;
        else if (k == "DelaySeconds" || k == "VisibilityTimeout")
          e[k] = ToInt(k, v);
        else
          inner[k] = v;
      }
      json ma = MessageAttributesFromForm(inner, "MessageAttribute");
      if (!ma.empty()) e["MessageAttributes"] = ma;
      list.push_back(e);
    }
    j["Entries"] = list;
  }
  return j;
}

std::string Str(const json& in, const char* name, bool required = true) {
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) {
    if (required) throw Missing(name);
    return "";
  }
  if (!it->is_string()) throw Invalid(name, "expected a string");
  return it->get<std::string>();
}

std::optional<int> OptInt(const json& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw Invalid(name, "expected an integer");
  return it->get<int>();
}

std::vector<std::string> StrList(const json& in, const char* name) {
  std::vector<std::string> out;
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) return out;
  if (!it->is_array()) throw Invalid(name, "expected a list");
  for (const auto& v : *it) {
    if (!v.is_string()) throw Invalid(name, "expected a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> StrMap(const json& in, const char* name) {
  std::map<std::string, std::string> out;
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) return out;
  if (!it->is_object()) throw Invalid(name, "expected a map");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) throw Invalid(name, "expected string values");
    out[k] = v.get<std::string>();
  }
  return out;
}

aws::MessageAttributes MsgAttrs(const json& in) {
  aws::MessageAttributes out;
  auto it = in.find("MessageAttributes");
  if (it == in.end() || it->is_null()) return out;
  if (!it->is_object()) throw Invalid("MessageAttributes", "expected a map");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_object()) throw Invalid("MessageAttributes", "expected a map of values");
    aws::MessageAttributeValue a;
    a.data_type = Str(v, "DataType");
    a.string_value = Str(v, "StringValue", false);
    std::string b64 = Str(v, "BinaryValue", false);
    if (!b64.empty()) {
      auto bin = Base64Decode(b64);
      if (!bin.ok()) throw Invalid("MessageAttributes." + k + ".BinaryValue", "not base64");
      a.binary_value = *bin;
    }
    out[k] = std::move(a);
  }
  return out;
}

json MsgAttrsJson(const aws::MessageAttributes& attrs) {
  json out = json::object();
  for (const auto& [k, v] : attrs) {
    json a = {{"DataType", v.data_type}};
    if (v.data_type.rfind("Binary", 0) == 0)
      a["BinaryValue"] = Base64Encode(v.binary_value);
    else
      a["StringValue"] = v.string_value;
    out[k] = a;
  }
  return out;
}

json BatchErrors(const std::vector<aws::BatchResultErrorEntry>& failed) {
  json out = json::array();
  for (const auto& f : failed)
    out.push_back(
        {{"Id", f.id}, {"Code", f.code}, {"Message", f.message}, {"SenderFault", f.sender_fault}});
  return out;
}

// Writes a JSON result as the query protocol's XML: lists and maps flattened the way SQS's
// query responses flatten them.
void WriteXml(XmlWriter& x, const std::string& op, const std::string& key, const json& v) {
  if (key == "QueueUrls") {
    for (const auto& u : v) x.Text("QueueUrl", u.get<std::string>());
  } else if (key == "Attributes") {
    for (const auto& [k, val] : v.items())
      x.Open("Attribute").Text("Name", k).Text("Value", val.get<std::string>()).Close("Attribute");
  } else if (key == "MessageAttributes") {
    for (const auto& [k, val] : v.items()) {
      x.Open("MessageAttribute").Text("Name", k).Open("Value");
      for (const auto& [f, fv] : val.items()) x.Text(f, fv.get<std::string>());
      x.Close("Value").Close("MessageAttribute");
    }
  } else if (key == "Messages") {
    for (const auto& m : v) {
      x.Open("Message");
      for (const auto& [k, val] : m.items()) WriteXml(x, op, k, val);
      x.Close("Message");
    }
  } else if (key == "Successful" || key == "Failed") {
    std::string entry = key == "Failed" ? "BatchResultErrorEntry" : op + "ResultEntry";
    for (const auto& e : v) {
      x.Open(entry);
      for (const auto& [k, val] : e.items()) WriteXml(x, op, k, val);
      x.Close(entry);
    }
  } else if (v.is_string()) {
    x.Text(key, v.get<std::string>());
  } else if (v.is_boolean()) {
    x.Text(key, v.get<bool>() ? "true" : "false");
  } else {
    x.Text(key, v.dump());
  }
}

net::HttpResponse ErrorFor(const std::string& wire, const std::string& request_id,
                           const WireError& error) {
  if (wire == "query") return QueryErrorResponse(error, request_id, kXmlns);
  WireError shaped = error;
  shaped.code = ShapeName(error.code);
  return JsonErrorResponse(shaped, request_id, "com.amazonaws.sqs", "application/x-amz-json-1.0",
                           error.code);
}

// A result in the request's wire protocol: JSON as is, or the query protocol's XML envelope.
net::HttpResponse ResultFor(const std::string& wire, const std::string& op,
                            const std::string& request_id, const json& result) {
  if (wire != "query") return JsonResponse(result, request_id);
  XmlWriter x;
  x.Open(op + "Response", kXmlns).Open(op + "Result");
  for (const auto& [k, v] : result.items()) WriteXml(x, op, k, v);
  x.Close(op + "Result")
      .Open("ResponseMetadata")
      .Text("RequestId", request_id)
      .Close("ResponseMetadata")
      .Close(op + "Response");
  return XmlResponse(std::move(x).str(), request_id);
}

}  // namespace

std::unique_ptr<ServiceFront> SqsModel::MakeFront() { return std::make_unique<SqsFront>(*this); }

bool SqsFront::OwnsAction(const std::string& action) const {
  for (const char* a : kActions)
    if (action == a) return true;
  return false;
}

net::HttpResponse SqsFront::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  return ErrorFor(request.wire, request.request_id, error);
}

void SqsFront::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string op = request.operation;
  const std::string wire = request.wire;
  const std::string request_id = request.request_id;
  // Copies only: a long poll answers after `request` is gone.
  auto error_response = [wire, request_id](const WireError& e) {
    return ErrorFor(wire, request_id, e);
  };
  auto answer = [&](const json& result) { respond(ResultFor(wire, op, request_id, result)); };
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    respond(error_response({p.http_status, p.code, p.message, p.sender_fault}));
  };

  json in;
  try {
    if (wire == "query") {
      in = FormToJson(ParseForm(request.http));
    } else {
      in = json::parse(request.http.body.empty() ? "{}" : request.http.body);
      if (!in.is_object())
        throw BadRequest{{400, "SerializationException", "Expected an object", true}};
    }
  } catch (const BadRequest& b) {
    return respond(error_response(b.error));
  } catch (const json::exception&) {
    return respond(error_response(
        {400, "SerializationException", "The request body is not valid JSON.", true}));
  }

  try {
    if (op == "CreateQueue") {
      auto url = model_.CreateQueue(Str(in, "QueueName"), StrMap(in, "Attributes"));
      if (!url.ok()) return fail(url.status());
      return answer({{"QueueUrl", *url}});
    }
    if (op == "GetQueueUrl") {
      auto url = model_.GetQueueUrl(Str(in, "QueueName"));
      if (!url.ok()) return fail(url.status());
      return answer({{"QueueUrl", *url}});
    }
    if (op == "ListQueues") {
      auto urls = model_.ListQueues(Str(in, "QueueNamePrefix", false));
      if (!urls.ok()) return fail(urls.status());
      json out = json::object();
      if (!urls->empty()) out["QueueUrls"] = *urls;
      return answer(out);
    }
    if (op == "GetQueueAttributes") {
      auto names = StrList(in, "AttributeNames");
      if (names.empty()) names = {"All"};  // SQS's default when none are named
      auto attrs = model_.GetQueueAttributes(Str(in, "QueueUrl"), names);
      if (!attrs.ok()) return fail(attrs.status());
      json out = json::object();
      if (!attrs->empty()) out["Attributes"] = *attrs;
      return answer(out);
    }
    if (op == "SetQueueAttributes") {
      Status s = model_.SetQueueAttributes(Str(in, "QueueUrl"), StrMap(in, "Attributes"));
      if (!s.ok()) return fail(s);
      return answer(json::object());
    }
    if (op == "DeleteQueue" || op == "PurgeQueue") {
      std::string url = Str(in, "QueueUrl");
      Status s = op == "DeleteQueue" ? model_.DeleteQueue(url) : model_.PurgeQueue(url);
      if (!s.ok()) return fail(s);
      return answer(json::object());
    }
    if (op == "SendMessage") {
      aws::SendMessageRequest req{Str(in, "QueueUrl"), Str(in, "MessageBody", false),
                                  OptInt(in, "DelaySeconds"), MsgAttrs(in)};
      auto r = model_.SendMessage(req);
      if (!r.ok()) return fail(r.status());
      json out = {{"MessageId", r->message_id}, {"MD5OfMessageBody", r->md5_of_message_body}};
      if (!r->md5_of_message_attributes.empty())
        out["MD5OfMessageAttributes"] = r->md5_of_message_attributes;
      return answer(out);
    }
    if (op == "SendMessageBatch") {
      std::vector<aws::SendMessageBatchEntry> entries;
      if (in.contains("Entries") && !in["Entries"].is_array())
        throw Invalid("Entries", "expected a list");
      for (const auto& e : in.value("Entries", json::array())) {
        if (!e.is_object()) throw Invalid("Entries", "expected a list of entries");
        entries.push_back(
            {Str(e, "Id"), Str(e, "MessageBody", false), OptInt(e, "DelaySeconds"), MsgAttrs(e)});
      }
      auto r = model_.SendMessageBatch(Str(in, "QueueUrl"), entries);
      if (!r.ok()) return fail(r.status());
      json ok = json::array();
      for (const auto& s : r->successful) {
        json e = {
            {"Id", s.id}, {"MessageId", s.message_id}, {"MD5OfMessageBody", s.md5_of_message_body}};
        if (!s.md5_of_message_attributes.empty())
          e["MD5OfMessageAttributes"] = s.md5_of_message_attributes;
        ok.push_back(e);
      }
      json out = {{"Successful", ok}};
      if (!r->failed.empty()) out["Failed"] = BatchErrors(r->failed);
      return answer(out);
    }
    if (op == "ReceiveMessage") {
      aws::ReceiveMessageRequest req;
      req.queue_url = Str(in, "QueueUrl");
      req.max_number_of_messages = OptInt(in, "MaxNumberOfMessages").value_or(1);
      req.visibility_timeout = OptInt(in, "VisibilityTimeout");
      req.wait_time_seconds = OptInt(in, "WaitTimeSeconds");
      req.attribute_names = StrList(in, "AttributeNames");
      for (auto& n : StrList(in, "MessageSystemAttributeNames")) req.attribute_names.push_back(n);
      req.message_attribute_names = StrList(in, "MessageAttributeNames");
      auto run = [this, req, answer_wire = wire, op, request_id, respond,
                  error_response](std::stop_token stop) {
        auto got = model_.ReceiveMessage(req, stop);
        if (!got.ok()) {
          ErrorParts p = SplitServiceError(got.status());
          return respond(error_response({p.http_status, p.code, p.message, p.sender_fault}));
        }
        json msgs = json::array();
        for (const auto& m : *got) {
          json j = {{"MessageId", m.message_id},
                    {"ReceiptHandle", m.receipt_handle},
                    {"MD5OfBody", m.md5_of_body},
                    {"Body", m.body}};
          if (!m.attributes.empty()) j["Attributes"] = m.attributes;
          if (!m.message_attributes.empty()) {
            j["MD5OfMessageAttributes"] = m.md5_of_message_attributes;
            j["MessageAttributes"] = MsgAttrsJson(m.message_attributes);
          }
          msgs.push_back(j);
        }
        json out = json::object();
        if (!msgs.empty()) out["Messages"] = msgs;
        respond(ResultFor(answer_wire, op, request_id, out));
      };
      if (req.wait_time_seconds == 0) return run(std::stop_token());
      // A long poll must not hold an I/O thread: it waits on its own thread.
      waiters_.Spawn(std::move(run));
      return;
    }
    if (op == "DeleteMessage") {
      Status s = model_.DeleteMessage(Str(in, "QueueUrl"), Str(in, "ReceiptHandle"));
      if (!s.ok()) return fail(s);
      return answer(json::object());
    }
    if (op == "DeleteMessageBatch") {
      std::vector<aws::DeleteMessageBatchEntry> entries;
      for (const auto& e : in.value("Entries", json::array()))
        entries.push_back({Str(e, "Id"), Str(e, "ReceiptHandle")});
      auto r = model_.DeleteMessageBatch(Str(in, "QueueUrl"), entries);
      if (!r.ok()) return fail(r.status());
      json ok = json::array();
      for (const auto& id : r->successful) ok.push_back({{"Id", id}});
      json out = {{"Successful", ok}};
      if (!r->failed.empty()) out["Failed"] = BatchErrors(r->failed);
      return answer(out);
    }
    if (op == "ChangeMessageVisibility") {
      auto vis = OptInt(in, "VisibilityTimeout");
      if (!vis) throw Missing("VisibilityTimeout");
      Status s =
          model_.ChangeMessageVisibility(Str(in, "QueueUrl"), Str(in, "ReceiptHandle"), *vis);
      if (!s.ok()) return fail(s);
      return answer(json::object());
    }
    if (op == "ChangeMessageVisibilityBatch") {
      std::string url = Str(in, "QueueUrl");
      json ok = json::array(), failed = json::array();
      auto entries = in.value("Entries", json::array());
      if (entries.empty())
        return respond(
            error_response({400, "AWS.SimpleQueueService.EmptyBatchRequest",
                            "There should be at least one entry in the request.", true}));
      for (const auto& e : entries) {
        auto vis = OptInt(e, "VisibilityTimeout");
        Status s = model_.ChangeMessageVisibility(url, Str(e, "ReceiptHandle"), vis.value_or(0));
        if (s.ok()) {
          ok.push_back({{"Id", Str(e, "Id")}});
        } else {
          ErrorParts p = SplitServiceError(s);
          if (s.code() == StatusCode::kNotFound) return fail(s);
          failed.push_back({{"Id", Str(e, "Id")},
                            {"Code", p.code},
                            {"Message", p.message},
                            {"SenderFault", true}});
        }
      }
      json out = {{"Successful", ok}};
      if (!failed.empty()) out["Failed"] = failed;
      return answer(out);
    }
  } catch (const BadRequest& b) {
    return respond(error_response(b.error));
  } catch (const json::exception& e) {
    return respond(error_response({400, "InvalidParameterValue", e.what(), true}));
  }
  if (wire == "query")
    return respond(error_response(
        {400, "InvalidAction", "The action " + op + " is not valid for this endpoint.", true}));
  respond(error_response({400, "UnknownOperationException", "Unknown operation " + op, true}));
}

}  // namespace steady::region
