#include "aws/sns_envelope.h"

#include <nlohmann/json.hpp>

namespace steady::aws {

namespace {

using nlohmann::json;

// The Message of an SNS Notification envelope, or nullptr when `o` is not one.
const std::string* EnvelopeMessage(const json& o) {
  if (!o.is_object()) return nullptr;
  auto type = o.find("Type");
  auto message = o.find("Message");
  if (type == o.end() || !type->is_string() || *type != "Notification") return nullptr;
  if (message == o.end() || !message->is_string() || !o.contains("TopicArn")) return nullptr;
  return message->get_ptr<const std::string*>();
}

}  // namespace

Result<SnsPayload> UnwrapSnsNotification(std::string_view body, int max_layers) {
  SnsPayload out;
  json o = json::parse(body, nullptr, /*allow_exceptions=*/false);
  const std::string* inner = o.is_discarded() ? nullptr : EnvelopeMessage(o);
  if (inner == nullptr) {
    out.message = std::string(body);
    return out;
  }
  while (inner != nullptr) {
    if (++out.layers > max_layers) return InvalidArgumentError("SNS envelopes nested too deep");
    json next = json::parse(*inner, nullptr, /*allow_exceptions=*/false);
    const std::string* deeper = next.is_discarded() ? nullptr : EnvelopeMessage(next);
    if (deeper == nullptr) {
      out.message = *inner;
      return out;
    }
    o = std::move(next);
    inner = EnvelopeMessage(o);
  }
  return out;
}

}  // namespace steady::aws
