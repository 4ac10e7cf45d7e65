#include "region/sns_message.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "aws/sigv4.h"
#include "base/base64.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kOp = "Publish";
constexpr size_t kMaxMessageBytes = 262144;

Status InvalidParameter(const std::string& what) {
  return ServiceError(kOp, "InvalidParameter", "Invalid parameter: " + what);
}
Status InvalidValue(const std::string& what) {
  return ServiceError(kOp, "ParameterValueInvalid", what);
}

Status CheckMessageAttributes(const aws::MessageAttributes& attrs) {
  for (const auto& [name, v] : attrs) {
    bool name_ok = !name.empty() && name.size() <= 256 && name.front() != '.' &&
                   name.back() != '.' && name.find("..") == std::string::npos &&
                   name.rfind("AWS.", 0) != 0 && name.rfind("Amazon.", 0) != 0;
    for (char c : name)
      name_ok = name_ok &&
                (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
    if (!name_ok) return InvalidValue("The message attribute name '" + name + "' is invalid.");
    std::string base = v.data_type.substr(0, v.data_type.find('.'));
    if (base != "String" && base != "Number" && base != "Binary")
      return InvalidValue("The message attribute '" + name +
                          "' has an invalid message attribute type, the set of supported type "
                          "prefixes is Binary, Number, and String.");
    bool empty = base == "Binary" ? v.binary_value.empty() : v.string_value.empty();
    if (empty)
      return InvalidValue("The message attribute '" + name +
                          "' must contain non-empty message attribute value for message "
                          "attribute type '" +
                          v.data_type + "'.");
    if (base == "Number") {
      double d;
      const std::string& s = v.string_value;
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size())
        return InvalidValue("Could not cast message attribute '" + name + "' value to number.");
    }
    if (v.data_type == "String.Array" && !json::parse(v.string_value, nullptr, false).is_array())
      return InvalidValue("The message attribute '" + name +
                          "' with type 'String.Array' has an invalid value.");
  }
  return Status::Ok();
}

// SNS signs with its private key (SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2); the
// local region has no such key, so this is only a well-formed base64 value of a real
// signature's length (256 bytes) derived from the signed fields. Consumers that verify SNS
// signatures cannot verify the region's.
std::string PseudoSignature(const std::string& string_to_sign) {
  std::string bytes;
  for (int i = 0; bytes.size() < 256; ++i)
    bytes += aws::HmacSha256("steady-region-has-no-sns-key-" + std::to_string(i), string_to_sign);
  bytes.resize(256);
  return Base64Encode(bytes);
}

}  // namespace

Result<std::string> SnsCheckPublish(const aws::PublishRequest& req) {
  if (req.message.empty()) return InvalidParameter("Empty message");
  size_t size = req.message.size();
  for (const auto& [k, v] : req.message_attributes)
    size += k.size() + v.data_type.size() + v.string_value.size() + v.binary_value.size();
  if (size > kMaxMessageBytes) return InvalidParameter("Message too long");
  if (!req.subject.empty()) {
    bool ok = req.subject.size() < 100 && req.subject[0] != ' ';
    for (char c : req.subject) ok = ok && c >= 0x20 && c < 0x7f;
    if (!ok) return InvalidParameter("Subject");
  }
  RETURN_IF_ERROR(CheckMessageAttributes(req.message_attributes));
  if (req.message_structure.empty()) return req.message;
  // MessageStructure=json: a message per protocol, "default" for the others.
  if (req.message_structure != "json") return InvalidParameter("MessageStructure");
  json m = json::parse(req.message, nullptr, false);
  if (!m.is_object())
    return InvalidParameter("Message Structure - JSON message body failed to parse");
  auto def = m.find("default");
  if (def == m.end() || !def->is_string())
    return InvalidParameter("Message Structure - No default entry in JSON message body");
  auto sqs = m.find("sqs");
  return sqs != m.end() && sqs->is_string() ? sqs->get<std::string>() : def->get<std::string>();
}

json SnsFilterView(const aws::MessageAttributes& attrs) {
  json out = json::object();
  for (const auto& [name, v] : attrs) {
    if (v.data_type.rfind("Binary", 0) == 0) continue;
    if (v.data_type.rfind("Number", 0) == 0) {
      json n = json::parse(v.string_value, nullptr, false);
      out[name] = n.is_number() ? n : json(v.string_value);
    } else if (v.data_type == "String.Array") {
      json a = json::parse(v.string_value, nullptr, false);
      out[name] = a.is_array() ? a : json(v.string_value);
    } else {
      out[name] = v.string_value;
    }
  }
  return out;
}

std::string SnsNotificationJson(const SnsNotification& n) {
  ordered_json env;
  env["Type"] = "Notification";
  env["MessageId"] = n.message_id;
  if (!n.sequence_number.empty()) env["SequenceNumber"] = n.sequence_number;
  env["TopicArn"] = n.topic_arn;
  if (!n.subject.empty()) env["Subject"] = n.subject;
  env["Message"] = n.message;
  env["Timestamp"] = n.timestamp;
  env["SignatureVersion"] = n.signature_version;
  // SNS's string to sign for a Notification: these fields, in this order, as name\nvalue\n.
  std::string to_sign = "Message\n" + n.message + "\nMessageId\n" + n.message_id + "\n" +
                        (n.subject.empty() ? "" : "Subject\n" + n.subject + "\n") + "Timestamp\n" +
                        n.timestamp + "\nTopicArn\n" + n.topic_arn + "\nType\nNotification\n";
  env["Signature"] = PseudoSignature(to_sign);
  env["SigningCertURL"] = n.endpoint + "/SimpleNotificationService-steady-region.pem";
  env["UnsubscribeURL"] = n.endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + n.subscription_arn;
  if (n.attributes && !n.attributes->empty()) {
    ordered_json ma = ordered_json::object();
    for (const auto& [name, v] : *n.attributes) {
      bool binary = v.data_type.rfind("Binary", 0) == 0;
      ma[name] = {{"Type", v.data_type},
                  {"Value", binary ? Base64Encode(v.binary_value) : v.string_value}};
    }
    env["MessageAttributes"] = std::move(ma);
  }
  return env.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace steady::region
