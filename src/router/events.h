// The messages the router consumes from SQS: which objects were created.
//
// Three shapes reach the queue, and each may arrive wrapped in one or more SNS notification
// envelopes (aws/sns_envelope.h):
//   - S3 event notification: {"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":
//     {"name":"b"},"object":{"key":"service-logs/a+b/...","size":123}}}, ...]}. The key is
//     form-URL-encoded ('+' for space, %XX for other bytes).
//   - S3's configuration test message: {"Service":"Amazon S3","Event":"s3:TestEvent",...}.
//   - EventBridge: {"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":
//     {"name":"b"},"object":{"key":"...","size":123}}}. The key is decoded the same way: AWS
//     documents it as URL-encoded like the S3 event's, and the keys of the steady layout hold
//     neither '%' nor '+' so decoding a key that was not encoded changes nothing for them.
//
// Records whose eventName is not ObjectCreated:* (ObjectRemoved, ...) and EventBridge events of
// another detail-type are ignored (they carry nothing for the router), which is not an error.
//
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace steady::router {

struct CreatedObject {
  std::string bucket;
  std::string key;  // decoded
  uint64_t size = 0;
  friend bool operator==(const CreatedObject&, const CreatedObject&) = default;
};

struct RouterMessage {
  enum class Kind {
    kObjects,    // `objects` holds the created objects (possibly none, when all were ignored)
    kTestEvent,  // s3:TestEvent: nothing to do
  };
  Kind kind = Kind::kObjects;
  std::vector<CreatedObject> objects;
  int ignored = 0;     // records or events that were not ObjectCreated
  int sns_layers = 0;  // SNS envelopes peeled
};

// kInvalidArgument (naming what is wrong) for a body that is none of the shapes above, or a
// record without a bucket name or key, or a key that does not decode.
Result<RouterMessage> ParseRouterMessage(std::string_view body);

// Decodes S3's form-URL-encoding of keys in events: '+' → ' ', %XX → the byte. kInvalidArgument
// for a '%' not followed by two hex digits.
Result<std::string> DecodeS3EventKey(std::string_view encoded);

}  // namespace steady::router
