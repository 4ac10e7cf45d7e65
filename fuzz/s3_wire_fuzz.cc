// Fuzzes the region's S3 request decoders on raw bytes: the first byte picks the decoder
// (aws-chunked body, DeleteObjects, CompleteMultipartUpload, NotificationConfiguration,
// CreateBucketConfiguration, Range header, Host header, checksum header), the rest is its input.
// Any error is fine; a crash, a hang or a sanitizer report is not. Decoded values are checked
// for the invariants the front relies on.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "region/s3_model.h"
#include "region/s3_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace steady::region;  // NOLINT: a fuzz target
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      auto d = DecodeAwsChunked(in);
      if (d.ok() && d->data.size() > in.size()) std::abort();  // decoding never grows
      break;
    }
    case 1: {
      auto d = ParseDeleteRequest(in);
      if (d.ok() && (d->keys.empty() || d->keys.size() > 1000)) std::abort();
      break;
    }
    case 2: {
      auto p = ParseCompleteMultipartUpload(in);
      if (p.ok() && p->empty()) std::abort();
      break;
    }
    case 3: {
      auto q = ParseNotificationConfiguration(in);
      if (q.ok()) {
        // What we write back must parse to the same configuration.
        auto again = ParseNotificationConfiguration(NotificationConfigurationXml(*q));
        if (!again.ok() || again->size() != q->size()) std::abort();
      }
      break;
    }
    case 4: (void)ParseCreateBucketConfiguration(in); break;
    case 5: {
      auto r = ParseS3Range(in);
      if (r && r->first && r->last && *r->last < *r->first) std::abort();
      break;
    }
    case 6:
      (void)VirtualHostBucket(in);
      (void)S3EventKeyEncode(in);
      break;
    case 7: {
      size_t colon = in.find(':');
      if (colon != std::string_view::npos)
        (void)VerifyChecksum(in.substr(0, colon), in.substr(colon + 1), "payload");
      (void)VerifyContentMd5(in, "payload");
      break;
    }
  }
  return 0;
}
