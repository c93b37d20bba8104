// SPDX-License-Identifier: BSD-2-Clause
// Expected<T> and Error.

#include "stockade/base/expected.h"

#include <errno.h>
#include <gtest/gtest.h>

namespace stockade {
namespace {

Expected<int> Half(int x) {
  if (x % 2) return Error(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

Expected<int> Quarter(int x) {
  STOCKADE_ASSIGN_OR_RETURN(int half, Half(x));
  return Half(half);
}

TEST(ExpectedTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  Expected<int> odd = Quarter(6);
  ASSERT_FALSE(odd.has_value());
  EXPECT_EQ(odd.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(odd.error().message(), "odd");
}

TEST(ExpectedTest, ErrorFromErrnoPicksCode) {
  Error error = Error::FromErrno("open /x", ENOENT);
  EXPECT_EQ(error.code(), ErrorCode::kNotFound);
  EXPECT_EQ(error.os_errno(), ENOENT);
  EXPECT_EQ(error.message(), "open /x: No such file or directory");
  EXPECT_EQ(Error::FromErrno("x", EPERM).code(), ErrorCode::kPermissionDenied);
}

TEST(ExpectedTest, VoidStatus) {
  Status ok;
  EXPECT_TRUE(ok.has_value());
  Status bad = Error(ErrorCode::kUnsupported, "no landlock");
  EXPECT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "no landlock");
}

TEST(CheckDeathTest, AbortsWithLocation) {
  EXPECT_DEATH(STOCKADE_CHECK(1 + 1 == 3) << "arithmetic",
               "check failed: 1 \\+ 1 == 3: arithmetic");
}

}  // namespace
}  // namespace stockade
