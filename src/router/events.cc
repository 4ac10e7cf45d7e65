#include "router/events.h"

#include <nlohmann/json.hpp>

#include "aws/sns_envelope.h"

namespace steady::router {

using nlohmann::json;

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A string member of an object, or nullptr.
const std::string* StringAt(const json& j, const char* name) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

const json* ObjectAt(const json& j, const char* name) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(name);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

uint64_t SizeAt(const json* object) {
  if (object == nullptr) return 0;
  auto it = object->find("size");
  if (it == object->end()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer() && it->get<int64_t>() > 0)
    return static_cast<uint64_t>(it->get<int64_t>());
  return 0;
}

// {"bucket":{"name":...},"object":{"key":...,"size":...}}: the shape S3 records and
// EventBridge details share.
Result<CreatedObject> ObjectFrom(const json& holder, std::string_view where) {
  const json* bucket = ObjectAt(holder, "bucket");
  const json* object = ObjectAt(holder, "object");
  const std::string* name = bucket ? StringAt(*bucket, "name") : nullptr;
  const std::string* key = object ? StringAt(*object, "key") : nullptr;
  if (name == nullptr || name->empty())
    return InvalidArgumentError(std::string(where) + ": no bucket name");
  if (key == nullptr || key->empty())
    return InvalidArgumentError(std::string(where) + ": no object key");
  CreatedObject out;
  out.bucket = *name;
  ASSIGN_OR_RETURN(out.key, DecodeS3EventKey(*key));
  if (out.key.empty()) return InvalidArgumentError(std::string(where) + ": empty object key");
  out.size = SizeAt(object);
  return out;
}

}  // namespace

Result<std::string> DecodeS3EventKey(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      int hi = i + 1 < encoded.size() ? HexValue(encoded[i + 1]) : -1;
      int lo = i + 2 < encoded.size() ? HexValue(encoded[i + 2]) : -1;
      if (hi < 0 || lo < 0) return InvalidArgumentError("bad %-escape in event key");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<RouterMessage> ParseRouterMessage(std::string_view body) {
  ASSIGN_OR_RETURN(aws::SnsPayload payload, aws::UnwrapSnsNotification(body));
  json doc = json::parse(payload.message, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError("message body is not JSON");
  if (!doc.is_object()) return InvalidArgumentError("message body is not a JSON object");
  RouterMessage msg;
  msg.sns_layers = payload.layers;

  if (const std::string* ev = StringAt(doc, "Event"); ev != nullptr && *ev == "s3:TestEvent") {
    msg.kind = RouterMessage::Kind::kTestEvent;
    return msg;
  }
  if (auto it = doc.find("Records"); it != doc.end()) {
    if (!it->is_array()) return InvalidArgumentError("Records is not an array");
    if (it->empty()) return InvalidArgumentError("Records is empty");
    int index = 0;
    for (const json& rec : *it) {
      std::string where = "Records[" + std::to_string(index++) + "]";
      const std::string* name = StringAt(rec, "eventName");
      if (name == nullptr) return InvalidArgumentError(where + ": no eventName");
      if (!name->starts_with("ObjectCreated:")) {
        ++msg.ignored;
        continue;
      }
      const json* s3 = ObjectAt(rec, "s3");
      if (s3 == nullptr) return InvalidArgumentError(where + ": no s3 member");
      ASSIGN_OR_RETURN(CreatedObject obj, ObjectFrom(*s3, where));
      msg.objects.push_back(std::move(obj));
    }
    return msg;
  }
  if (const std::string* type = StringAt(doc, "detail-type"); type != nullptr) {
    const json* detail = ObjectAt(doc, "detail");
    if (detail == nullptr) return InvalidArgumentError("EventBridge event without detail");
    if (*type != "Object Created") {
      ++msg.ignored;
      return msg;
    }
    ASSIGN_OR_RETURN(CreatedObject obj, ObjectFrom(*detail, "detail"));
    msg.objects.push_back(std::move(obj));
    return msg;
  }
  return InvalidArgumentError(
      "not an S3 event, an S3 test event or an EventBridge event (no Records, Event or "
      "detail-type)");
}

}  // namespace steady::router
