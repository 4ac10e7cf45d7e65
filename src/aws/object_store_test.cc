#include "aws/object_store.h"

#include <vector>

#include "gtest/gtest.h"

namespace steady::aws {
namespace {

TEST(StoreSpecTest, LocalDirectories) {
  for (std::string dir : {"./var", "/var/lib/steady", "relative/dir", "C:weird"}) {
    auto spec = ParseStoreSpec(dir);
    ASSERT_TRUE(spec.ok()) << dir;
    EXPECT_EQ(spec->kind, StoreSpec::Kind::kLocal);
    EXPECT_EQ(spec->dir, dir);
  }
}

TEST(StoreSpecTest, S3BucketAndPrefix) {
  struct Case {
    std::string spec, bucket, prefix;
  };
  for (const Case& c :
       {Case{"s3://logs", "logs", ""}, Case{"s3://logs/", "logs", ""},
        Case{"s3://logs/prod", "logs", "prod/"}, Case{"s3://logs/prod/", "logs", "prod/"},
        Case{"s3://my.bucket-1/a/b/c", "my.bucket-1", "a/b/c/"},
        Case{"s3://logs//x", "logs", "x/"}}) {
    auto spec = ParseStoreSpec(c.spec);
    ASSERT_TRUE(spec.ok()) << c.spec;
    EXPECT_EQ(spec->kind, StoreSpec::Kind::kS3) << c.spec;
    EXPECT_EQ(spec->bucket, c.bucket) << c.spec;
    EXPECT_EQ(spec->prefix, c.prefix) << c.spec;
  }
}

TEST(StoreSpecTest, Rejects) {
  for (std::string bad :
       {"", "s3://", "s3:///prefix", "gs://bucket/x", "s3://bad bucket/x", "http://host/x"}) {
    EXPECT_EQ(ParseStoreSpec(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ValidateObjectKeyTest, AcceptsAndRejects) {
  for (std::string ok : std::vector<std::string>{"a", "a/b/c.gz", "a b", "..a", "a..", "a/.b",
                                                 ".hidden", "x/y.", std::string(1024, 'k')}) {
    EXPECT_TRUE(ValidateObjectKey(ok).ok()) << ok;
  }
  for (std::string bad : std::vector<std::string>{"", "/a", "a/", "a//b", ".", "..", "a/./b",
                                                  "a/..", "../a", ".steady-tmp.1", "a/.steady-tmp",
                                                  std::string("a\0b", 3), std::string(1025, 'k')}) {
    EXPECT_EQ(ValidateObjectKey(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace steady::aws
