// Fuzzes the Forward protocol decoder and the record encoder: every message the input holds is
// parsed, its events walked, each record encoded to a JSON line, acks and PONGs built. Nothing
// may crash, hang or read out of bounds whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "logs/forward_protocol.h"
#include "logs/log_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace steady::logs;
  using steady::Status;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ForwardLimits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_decompressed_bytes = 4 << 20;
  limits.max_nesting = 32;
  static const RecordEncoder encoder(RecordEncoderOptions{"_unrouted", 32});
  std::string scratch, line, ack, pong;
  Route route;
  while (!in.empty()) {
    ForwardMessage msg;
    size_t need = 0;
    auto n = ParseForwardMessage(in, limits, &msg, &need);
    if (!n.ok() || *n == 0) {
      // Incomplete: `need`, if given, must point past what is there.
      if (n.ok() && need != 0 && need <= in.size()) __builtin_trap();
      break;
    }
    if (*n > in.size()) __builtin_trap();
    if (msg.kind == ForwardMessage::Kind::kPing) {
      (void)VerifyPing(msg, HeloParams{"0123456789abcdef", "salt", true},
                       AuthConfig{"self", "key", {{"u", "p"}}}, &pong);
    } else {
      Status s = ForEachEvent(msg, limits, &scratch, [&](EventTime t, std::string_view record) {
        line.clear();
        return encoder.Encode(msg.tag, t, record, &route, &line);
      });
      (void)s;
      if (msg.has_chunk) {
        ack.clear();
        AppendAck(msg, &ack);
      }
    }
    in.remove_prefix(*n);
  }
  return 0;
}
