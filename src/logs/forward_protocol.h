// The fluentd Forward protocol v1
// (https://github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1), server side, as pure
// functions on byte buffers: no sockets here (logs/forward_server.h owns those). Hand-written
// because this is the aggregator's hot path: msgpack-cxx builds an object tree per message, which
// costs more than the whole budget of ~1.5 µs per record; the tests keep msgpack-cxx as the
// reference encoder and check the two against each other.
//
// Messages a client sends (each one msgpack array):
//   Message                 [tag, time, record]              or [tag, time, record, option]
//   Forward                 [tag, [[time, record], ...]]     or [..., option]
//   PackedForward           [tag, bin|str of concatenated [time, record]] or [..., option]
//   CompressedPackedForward PackedForward with option {"compressed": "gzip"}: the entries are
//                           one or more gzip members
//   PING (handshake)        ["PING", hostname, shared_key_salt, shared_key_hexdigest,
//                            username, password_digest]
// `time` is an integer (seconds), an EventTime (ext type 0: fixext8 or ext8 of 8 bytes, seconds
// and nanoseconds as big-endian uint32), or (leniently, as fluentd does) a float.
// `option` is a map with "size", "chunk", "compressed" ("gzip" or "text"), or nil (the
// fluent-logger-golang quirk). Quirks accepted: str8/16/32 for packed entries (fluentd's
// out_forward), "text" compression, chunk ids with a trailing newline (echoed byte for byte).
//
// Thread safety: everything here is a pure function or a value type.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace steady::logs {

enum class EventMode { kMessage, kForward, kPackedForward, kCompressedPackedForward };
std::string_view EventModeName(EventMode mode);

struct EventTime {
  int64_t seconds = 0;
  uint32_t nanos = 0;
};

// One decoded top-level message. string_views point into the buffer given to
// ParseForwardMessage and stay valid as long as it does.
struct ForwardMessage {
  enum class Kind { kEvents, kPing };
  Kind kind = Kind::kEvents;

  // kEvents
  std::string_view tag;
  EventMode mode = EventMode::kMessage;
  // kMessage: the time and the record (a msgpack map, raw bytes).
  EventTime time;
  std::string_view record;
  // kForward: the raw msgpack bytes of the array of [time, record] entries (with its header);
  // kPackedForward / kCompressedPackedForward: the payload of the bin/str (concatenated
  // entries, gzip members for the compressed mode).
  std::string_view entries;
  // Number of events the message declares: 1 for kMessage, the array length for kForward;
  // for packed modes the option's "size" if given, else 0 (unknown until decoded).
  uint64_t declared_size = 0;
  // Options. `chunk` is echoed in the ack exactly as received (bytes, including a trailing
  // newline); `chunk_is_bin` says whether it came as bin (then the ack echoes it as bin).
  bool has_chunk = false;
  std::string_view chunk;
  bool chunk_is_bin = false;

  // kPing
  std::string_view ping_hostname, ping_shared_key_salt, ping_shared_key_digest, ping_username,
      ping_password_digest;
};

// Limits that protect the process from hostile or broken peers.
struct ForwardLimits {
  size_t max_message_bytes = 64 << 20;        // a message larger than this is malformed
  size_t max_decompressed_bytes = 256 << 20;  // CompressedPackedForward after inflating
  size_t max_nesting = 64;                    // map/array depth inside records
};

// Parses the first message in `input`.
//   - OK with n > 0: a complete message of n bytes was decoded into `*msg`.
//   - OK with 0: `input` holds only the beginning of a message; `*need` (if given) receives the
//     total size the message needs when the header already tells it (packed modes), else 0.
//   - kInvalidArgument: the bytes are not a valid message (the connection must be closed); the
//     message says what is wrong and at which byte offset.
Result<size_t> ParseForwardMessage(std::string_view input, const ForwardLimits& limits,
                                   ForwardMessage* msg, size_t* need = nullptr);

// Calls `fn(time, record)` for each event of an events message, in order; `record` is the raw
// msgpack map. For kCompressedPackedForward the members are inflated into `*scratch` first
// (reused between calls to avoid allocations). Stops at and returns the first error: a malformed
// entry (kInvalidArgument), a bad gzip payload (kDataLoss), too large (kResourceExhausted), or
// what `fn` returned. A record that is not a map is malformed.
Status ForEachEvent(const ForwardMessage& msg, const ForwardLimits& limits, std::string* scratch,
                    const std::function<Status(EventTime, std::string_view record)>& fn);

// The ack for a message that carried a chunk id: the msgpack map {"ack": chunk}, the chunk
// encoded with the same type (str or bin) as received. Appended to `*out`.
void AppendAck(const ForwardMessage& msg, std::string* out);

// --- handshake (shared_key and optional user authentication) ---

struct HeloParams {
  std::string nonce;      // random bytes (16), sent as bin
  std::string auth_salt;  // empty when user authentication is off
  bool keepalive = true;
};
// ["HELO", {"nonce": ..., "auth": ..., "keepalive": ...}]
std::string EncodeHelo(const HeloParams& params);

struct AuthConfig {
  std::string self_hostname;  // what PONG reports
  std::string shared_key;
  // username → password; empty map: no user authentication.
  std::vector<std::pair<std::string, std::string>> users;
};

// Checks a PING against the HELO that was sent. On success `*pong` is the PONG
// ["PONG", true, "", self_hostname, digest] to send and the result is OK; on failure `*pong` is
// ["PONG", false, reason, "", ""] and the result is kUnauthenticated with the reason.
// shared_key digest: hex(sha512(salt + hostname + nonce + shared_key)); password digest:
// hex(sha512(auth_salt + username + password)); PONG digest:
// hex(sha512(salt + self_hostname + nonce + shared_key)).
Status VerifyPing(const ForwardMessage& ping, const HeloParams& helo, const AuthConfig& auth,
                  std::string* pong);

// --- client side, for the load generator, tests and benchmarks ---

// Encodes records (each a msgpack map, raw) as one PackedForward message with option
// {"size": n, "chunk": chunk} (chunk omitted when empty); `compress` gzips the entries and adds
// "compressed": "gzip".
std::string EncodePackedForward(std::string_view tag,
                                const std::vector<std::pair<EventTime, std::string>>& events,
                                std::string_view chunk, bool compress);

}  // namespace steady::logs
