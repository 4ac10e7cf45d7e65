#include "base/base64.h"

#include <gtest/gtest.h>

namespace steady {
namespace {

TEST(Base64, RoundTripsRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    EXPECT_EQ(Base64Encode(plain), enc);
    EXPECT_EQ(*Base64Decode(enc), plain);
  }
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  EXPECT_EQ(*Base64Decode(Base64Encode(bytes)), bytes);
  EXPECT_EQ(*Base64Decode("Zm8"), "fo");  // unpadded
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"Z", "Zm9v!", "Zm 9v", "Zg===", "=Zg="})
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
}

}  // namespace
}  // namespace steady
