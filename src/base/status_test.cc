#include "base/status.h"

#include <gtest/gtest.h>

namespace steady {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x));
  return Status::Ok();
}

TEST(Status, CodesSayWhetherRetryHelps) {
  EXPECT_TRUE(ThrottledError("slow down").retryable());
  EXPECT_TRUE(UnavailableError("reset").retryable());
  EXPECT_TRUE(DeadlineExceededError("timeout").retryable());
  EXPECT_FALSE(InvalidArgumentError("bad").retryable());
  EXPECT_FALSE(NotFoundError("gone").retryable());
  EXPECT_FALSE(Status::Ok().retryable());
}

TEST(Status, ToStringAndContext) {
  Status s = NotFoundError("no such key").WithContext("get s3://b/k");
  EXPECT_EQ(s.ToString(), "NotFound: get s3://b/k: no such key");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(Status::Ok().WithContext("x"), Status::Ok());
}

TEST(Result, MacrosKeepTheHappyPathFlat) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(3).message(), "odd");
  EXPECT_EQ(Half(3).value_or(-1), -1);
}

}  // namespace
}  // namespace steady
