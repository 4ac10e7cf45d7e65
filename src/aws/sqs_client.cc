#include "aws/sqs_client.h"

#include <nlohmann/json.hpp>

#include "aws/protocol_json.h"
#include "base/base64.h"

namespace steady::aws {

using nlohmann::json;

namespace {

constexpr std::string_view kTarget = "AmazonSQS";

Result<json> Call(AwsTransport& t, std::string_view op, const json& body,
                  Duration timeout = Duration(0), std::stop_token stop = {}) {
  net::HttpRequest req = JsonRpcRequest(Protocol::kJson10, kTarget, op, body);
  req.timeout = timeout;
  SendOptions opts;
  opts.stop = std::move(stop);
  ASSIGN_OR_RETURN(net::HttpResponse resp, t.Send(op, std::move(req), opts));
  return ParseJsonBody(resp.body, op);
}

json AttrsJson(const MessageAttributes& attrs) {
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

Result<MessageAttributes> AttrsFrom(const json& j) {
  MessageAttributes out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    MessageAttributeValue a;
    a.data_type = v.value("DataType", "String");
    a.string_value = v.value("StringValue", "");
    if (v.contains("BinaryValue")) {
      ASSIGN_OR_RETURN(a.binary_value, Base64Decode(v["BinaryValue"].get<std::string>()));
    }
    out[k] = std::move(a);
  }
  return out;
}

std::vector<BatchResultErrorEntry> Failed(const json& j) {
  std::vector<BatchResultErrorEntry> out;
  for (const auto& f : j.value("Failed", json::array()))
    out.push_back({f.value("Id", ""), f.value("Code", ""), f.value("Message", ""),
                   f.value("SenderFault", true)});
  return out;
}

// Guards against a peer's answer of the wrong shape: a decoding problem is kDataLoss.
template <typename F>
auto Decode(std::string_view op, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const json::exception& e) {
    return DataLossError(std::string(op) + ": unexpected response shape: " + e.what());
  }
}

}  // namespace

ServiceInfo SqsService() { return {"SQS", "sqs", "sqs", Protocol::kJson10}; }

Result<std::string> SqsClient::CreateQueue(const std::string& name,
                                           const std::map<std::string, std::string>& attributes) {
  json body = {{"QueueName", name}};
  if (!attributes.empty()) body["Attributes"] = attributes;
  ASSIGN_OR_RETURN(json out, Call(transport_, "CreateQueue", body));
  return Decode("CreateQueue",
                [&]() -> Result<std::string> { return out.at("QueueUrl").get<std::string>(); });
}

Result<std::string> SqsClient::GetQueueUrl(const std::string& name) {
  ASSIGN_OR_RETURN(json out, Call(transport_, "GetQueueUrl", {{"QueueName", name}}));
  return Decode("GetQueueUrl",
                [&]() -> Result<std::string> { return out.at("QueueUrl").get<std::string>(); });
}

Result<std::vector<std::string>> SqsClient::ListQueues(const std::string& prefix) {
  std::vector<std::string> urls;
  std::string token;
  do {
    json body = {{"MaxResults", 1000}};
    if (!prefix.empty()) body["QueueNamePrefix"] = prefix;
    if (!token.empty()) body["NextToken"] = token;
    ASSIGN_OR_RETURN(json out, Call(transport_, "ListQueues", body));
    Status s = Decode("ListQueues", [&]() -> Status {
      for (const auto& u : out.value("QueueUrls", json::array()))
        urls.push_back(u.get<std::string>());
      token = out.value("NextToken", "");
      return Status::Ok();
    });
    RETURN_IF_ERROR(s);
  } while (!token.empty());
  return urls;
}

Result<std::map<std::string, std::string>> SqsClient::GetQueueAttributes(
    const std::string& queue_url, const std::vector<std::string>& names) {
  json body = {{"QueueUrl", queue_url}, {"AttributeNames", names}};
  ASSIGN_OR_RETURN(json out, Call(transport_, "GetQueueAttributes", body));
  return Decode("GetQueueAttributes", [&]() -> Result<std::map<std::string, std::string>> {
    return out.value("Attributes", json::object()).get<std::map<std::string, std::string>>();
  });
}

Status SqsClient::SetQueueAttributes(const std::string& queue_url,
                                     const std::map<std::string, std::string>& attributes) {
  return Call(transport_, "SetQueueAttributes",
              {{"QueueUrl", queue_url}, {"Attributes", attributes}})
      .status();
}

Status SqsClient::DeleteQueue(const std::string& queue_url) {
  return Call(transport_, "DeleteQueue", {{"QueueUrl", queue_url}}).status();
}

Status SqsClient::PurgeQueue(const std::string& queue_url) {
  return Call(transport_, "PurgeQueue", {{"QueueUrl", queue_url}}).status();
}

Result<SendMessageResult> SqsClient::SendMessage(const SendMessageRequest& request) {
  json body = {{"QueueUrl", request.queue_url}, {"MessageBody", request.message_body}};
  if (request.delay_seconds) body["DelaySeconds"] = *request.delay_seconds;
  if (!request.message_attributes.empty())
    body["MessageAttributes"] = AttrsJson(request.message_attributes);
  ASSIGN_OR_RETURN(json out, Call(transport_, "SendMessage", body));
  ASSIGN_OR_RETURN(SendMessageResult r, Decode("SendMessage", [&]() -> Result<SendMessageResult> {
                     return SendMessageResult{out.value("MessageId", ""),
                                              out.value("MD5OfMessageBody", ""),
                                              out.value("MD5OfMessageAttributes", "")};
                   }));
  // As the SDKs do: a body that arrived damaged is an error, not a silent success.
  if (r.md5_of_message_body != SqsMd5OfBody(request.message_body))
    return DataLossError("SendMessage: MD5OfMessageBody does not match the body sent");
  return r;
}

Result<SendMessageBatchResult> SqsClient::SendMessageBatch(
    const std::string& queue_url, const std::vector<SendMessageBatchEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    json j = {{"Id", e.id}, {"MessageBody", e.message_body}};
    if (e.delay_seconds) j["DelaySeconds"] = *e.delay_seconds;
    if (!e.message_attributes.empty()) j["MessageAttributes"] = AttrsJson(e.message_attributes);
    list.push_back(j);
  }
  ASSIGN_OR_RETURN(
      json out, Call(transport_, "SendMessageBatch", {{"QueueUrl", queue_url}, {"Entries", list}}));
  SendMessageBatchResult r;
  for (const auto& s : out.value("Successful", json::array()))
    r.successful.push_back({s.value("Id", ""), s.value("MessageId", ""),
                            s.value("MD5OfMessageBody", ""),
                            s.value("MD5OfMessageAttributes", "")});
  r.failed = Failed(out);
  return r;
}

Result<std::vector<SqsMessage>> SqsClient::ReceiveMessage(const ReceiveMessageRequest& request,
                                                          std::stop_token stop) {
  json body = {{"QueueUrl", request.queue_url},
               {"MaxNumberOfMessages", request.max_number_of_messages}};
  if (request.visibility_timeout) body["VisibilityTimeout"] = *request.visibility_timeout;
  if (request.wait_time_seconds) body["WaitTimeSeconds"] = *request.wait_time_seconds;
  if (!request.attribute_names.empty()) body["AttributeNames"] = request.attribute_names;
  if (!request.message_attribute_names.empty())
    body["MessageAttributeNames"] = request.message_attribute_names;
  // The HTTP timeout must outlast the long poll.
  Duration timeout = seconds(request.wait_time_seconds.value_or(20) + 10);
  Result<json> called = Call(transport_, "ReceiveMessage", body, timeout, stop);
  // As aws::Sqs promises (and the region's model does): a stop ends the poll with what it has,
  // here nothing. A message the server handed out meanwhile reappears after its visibility
  // timeout.
  if (!called.ok() && called.status().code() == StatusCode::kCancelled && stop.stop_requested())
    return std::vector<SqsMessage>{};
  ASSIGN_OR_RETURN(json out, std::move(called));
  return Decode("ReceiveMessage", [&]() -> Result<std::vector<SqsMessage>> {
    std::vector<SqsMessage> msgs;
    for (const auto& m : out.value("Messages", json::array())) {
      SqsMessage msg;
      msg.message_id = m.value("MessageId", "");
      msg.receipt_handle = m.value("ReceiptHandle", "");
      msg.body = m.value("Body", "");
      msg.md5_of_body = m.value("MD5OfBody", "");
      msg.md5_of_message_attributes = m.value("MD5OfMessageAttributes", "");
      if (m.contains("Attributes") && m["Attributes"].is_object())
        msg.attributes = m["Attributes"].get<std::map<std::string, std::string>>();
      ASSIGN_OR_RETURN(msg.message_attributes,
                       AttrsFrom(m.value("MessageAttributes", json::object())));
      if (msg.md5_of_body != SqsMd5OfBody(msg.body))
        return DataLossError("ReceiveMessage: MD5OfBody does not match message " + msg.message_id);
      msgs.push_back(std::move(msg));
    }
    return msgs;
  });
}

Status SqsClient::DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) {
  return Call(transport_, "DeleteMessage",
              {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}})
      .status();
}

Result<DeleteMessageBatchResult> SqsClient::DeleteMessageBatch(
    const std::string& queue_url, const std::vector<DeleteMessageBatchEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) list.push_back({{"Id", e.id}, {"ReceiptHandle", e.receipt_handle}});
  ASSIGN_OR_RETURN(json out, Call(transport_, "DeleteMessageBatch",
                                  {{"QueueUrl", queue_url}, {"Entries", list}}));
  DeleteMessageBatchResult r;
  for (const auto& s : out.value("Successful", json::array()))
    r.successful.push_back(s.value("Id", ""));
  r.failed = Failed(out);
  return r;
}

Status SqsClient::ChangeMessageVisibility(const std::string& queue_url,
                                          const std::string& receipt_handle,
                                          int visibility_timeout) {
  return Call(transport_, "ChangeMessageVisibility",
              {{"QueueUrl", queue_url},
               {"ReceiptHandle", receipt_handle},
               {"VisibilityTimeout", visibility_timeout}})
      .status();
}

}  // namespace steady::aws
