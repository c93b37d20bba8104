// SPDX-License-Identifier: BSD-2-Clause
// libstockade-capsicum outside a sandbox: the generated <sys/capsicum.h> against base's tables,
// FreeBSD's reference tables and the FreeBSD test headers; the cap_rights_t algebra against
// RightSet; the calls failing closed where nothing enforces them; process descriptors.

#include <sys/capsicum.h>
// Keep the line above first: the header must compile on its own.
#include <capsicum_helpers.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/procdesc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "freebsd_header_values.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/base/rights.h"
#include "testing/test_util.h"

namespace stockade {
namespace {

struct HeaderValue {
  std::string_view name;
  uint64_t value;
};

// Every right of rights.def, with the value the C header gives its name.
constexpr HeaderValue kHeaderRights[] = {
#define STOCKADE_RIGHT(name, word, bits, kind, release, allows) {#name, name},
#include "stockade/base/rights.def"
#undef STOCKADE_RIGHT
};

constexpr HeaderValue kHeaderFcntls[] = {
#define STOCKADE_FCNTL_RIGHT(name, command, value) {#name, name},
#include "stockade/base/fcntl_rights.def"
#undef STOCKADE_FCNTL_RIGHT
    {"CAP_FCNTL_ALL", CAP_FCNTL_ALL},
};

const HeaderValue* HeaderRight(std::string_view name) {
  for (const HeaderValue& right : kHeaderRights) {
    if (right.name == name) return &right;
  }
  return nullptr;
}

TEST(CapsicumHeaderTest, EveryRightHasBasesValue) {
  ASSERT_EQ(std::size(kHeaderRights), AllRights().size());
  for (const HeaderValue& right : kHeaderRights) {
    const RightInfo* info = FindRight(right.name);
    ASSERT_NE(info, nullptr) << right.name;
    EXPECT_EQ(right.value, info->value) << right.name;
  }
}

TEST(CapsicumHeaderTest, AllIsEveryRightOfEveryRelease) {
  const RightSet all = RightSet::All(RightRelease::kMainOnly);
  EXPECT_EQ(static_cast<uint64_t>(CAP_ALL0), all.word(0));
  EXPECT_EQ(static_cast<uint64_t>(CAP_ALL1), all.word(1));
  cap_rights_t rights;
  CAP_ALL(&rights);
  EXPECT_TRUE(cap_rights_is_valid(&rights));
  CAP_NONE(&rights);
  EXPECT_TRUE(cap_rights_is_empty(&rights));
  EXPECT_EQ(rights.cr_rights[0], RightSet().word(0));
  EXPECT_EQ(rights.cr_rights[1], RightSet().word(1));
}

TEST(CapsicumHeaderTest, FcntlMasksAreFreeBsdsNotLinuxs) {
  for (const HeaderValue& mask : kHeaderFcntls) {
    const FcntlRightInfo* info = FindFcntlRight(mask.name);
    ASSERT_NE(info, nullptr) << mask.name;
    EXPECT_EQ(mask.value, info->mask) << mask.name;
  }
  // FreeBSD's F_GETOWN is 5; Linux's is 9. The mask follows FreeBSD.
  EXPECT_EQ(CAP_FCNTL_GETOWN, 1 << 5);
  EXPECT_EQ(CAP_FCNTL_SETOWN, 1 << 6);
  EXPECT_EQ(static_cast<uint32_t>(CAP_FCNTL_ALL), kFcntlAll);
}

TEST(CapsicumHeaderTest, ErrnoValuesAreTheAbisAndCollideWithNothing) {
  EXPECT_EQ(ENOTCAPABLE, STOCKADE_ENOTCAPABLE);
  EXPECT_EQ(ECAPMODE, STOCKADE_ECAPMODE);
  // A seccomp filter returns them in SECCOMP_RET_DATA's low 12 bits (errno values up to 4095).
  EXPECT_LT(ENOTCAPABLE, 4096);
  EXPECT_LT(ECAPMODE, 4096);
  // glibc knows every Linux errno; these two are not among them.
  EXPECT_EQ(std::string(strerror(ENOTCAPABLE)), "Unknown error " + std::to_string(ENOTCAPABLE));
  EXPECT_EQ(std::string(strerror(ECAPMODE)), "Unknown error " + std::to_string(ECAPMODE));
  EXPECT_STREQ(capsicum_strerror(ENOTCAPABLE), "Capabilities insufficient");
  EXPECT_STREQ(capsicum_strerror(ECAPMODE), "Not permitted in capability mode");
  EXPECT_STREQ(capsicum_strerror(ENOENT), strerror(ENOENT));
}

TEST(CapsicumHeaderTest, MatchesFreeBsdReferenceTables) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  testing::Table rights = testing::ReadTsv(*reference / "freebsd" / "cap_rights.tsv");
  ASSERT_FALSE(rights.rows.empty());
  for (const auto& row : rights.rows) {
    const HeaderValue* right = HeaderRight(row.at("name"));
    ASSERT_NE(right, nullptr) << "<sys/capsicum.h> lacks " << row.at("name");
    EXPECT_EQ(right->value, std::stoull(row.at("value"), nullptr, 16)) << row.at("name");
  }
  testing::Table fcntls = testing::ReadTsv(*reference / "freebsd" / "cap_fcntl_rights.tsv");
  ASSERT_FALSE(fcntls.rows.empty());
  for (const auto& row : fcntls.rows) {
    bool found = false;
    for (const HeaderValue& mask : kHeaderFcntls) {
      if (mask.name != row.at("name")) continue;
      found = true;
      EXPECT_EQ(mask.value, std::stoull(row.at("mask"), nullptr, 16)) << row.at("name");
    }
    EXPECT_TRUE(found) << "<sys/capsicum.h> lacks " << row.at("name");
  }
}

TEST(CapsicumHeaderTest, MatchesTheFreeBsdTestHeaders) {
  // tests/freebsd/freebsd_headers/sys/capsicum.h, compiled in a translation unit of its own.
  const std::vector<testing::FreeBsdHeaderValue> values = testing::FreeBsdHeaderValues();
  ASSERT_FALSE(values.empty());
  for (const testing::FreeBsdHeaderValue& value : values) {
    bool found = false;
    for (const HeaderValue& right : kHeaderRights) {
      if (right.name == value.name) {
        found = true;
        EXPECT_EQ(right.value, value.value) << value.name;
      }
    }
    for (const HeaderValue& mask : kHeaderFcntls) {
      if (mask.name == value.name) {
        found = true;
        EXPECT_EQ(mask.value, value.value) << value.name;
      }
    }
    EXPECT_TRUE(found) << value.name;
  }
  EXPECT_EQ(testing::FreeBsdRightsVersion(), CAP_RIGHTS_VERSION);
  EXPECT_EQ(testing::FreeBsdRightsWords(), std::size(cap_rights_t{}.cr_rights));
}

// ---- the algebra ------------------------------------------------------------------------

RightSet ToSet(const cap_rights_t& rights) {
  return RightSet(rights.cr_rights[0], rights.cr_rights[1]);
}

TEST(CapsicumRightsTest, InitSetClearFollowRightSet) {
  cap_rights_t rights;
  cap_rights_init(&rights);
  EXPECT_TRUE(cap_rights_is_empty(&rights));
  EXPECT_EQ(ToSet(rights), RightSet());

  cap_rights_init(&rights, CAP_MMAP_RW, CAP_EVENT);
  RightSet expected;
  expected.Add(FindRight("CAP_MMAP_RW")->value).Add(FindRight("CAP_EVENT")->value);
  EXPECT_EQ(ToSet(rights), expected);
  EXPECT_TRUE(cap_rights_is_set(&rights, CAP_READ, CAP_WRITE, CAP_SEEK, CAP_EVENT));
  EXPECT_FALSE(cap_rights_is_set(&rights, CAP_READ, CAP_MMAP_X));

  // Clearing a composite clears all of its bits (CAP_SEEK takes CAP_SEEK_TELL along).
  cap_rights_clear(&rights, CAP_SEEK);
  expected.Remove(FindRight("CAP_SEEK")->value);
  EXPECT_EQ(ToSet(rights), expected);
  EXPECT_FALSE(cap_rights_is_set(&rights, CAP_SEEK_TELL));
  EXPECT_TRUE(cap_rights_is_set(&rights, CAP_READ, CAP_WRITE, CAP_MMAP, CAP_EVENT));
  EXPECT_TRUE(cap_rights_is_valid(&rights));
}

TEST(CapsicumRightsTest, RandomSetsAgreeWithRightSet) {
  std::mt19937 random(4093);
  const std::span<const RightInfo> all = AllRights();
  for (int round = 0; round < 500; ++round) {
    cap_rights_t a, b;
    cap_rights_init(&a);
    cap_rights_init(&b);
    RightSet sa, sb;
    for (int i = 0; i < 6; ++i) {
      const RightInfo& ra = all[random() % all.size()];
      const RightInfo& rb = all[random() % all.size()];
      cap_rights_set(&a, ra.value);
      cap_rights_set(&b, rb.value);
      sa.Add(ra.value);
      sb.Add(rb.value);
      EXPECT_EQ(cap_rights_is_set(&a, ra.value), true);
    }
    ASSERT_EQ(ToSet(a), sa);
    EXPECT_EQ(cap_rights_contains(&a, &b), sa.Contains(sb));
    cap_rights_t merged = a;
    cap_rights_merge(&merged, &b);
    EXPECT_EQ(ToSet(merged), RightSet(sa).Merge(sb));
    EXPECT_TRUE(cap_rights_contains(&merged, &a));
    EXPECT_TRUE(cap_rights_contains(&merged, &b));
    cap_rights_t removed = merged;
    cap_rights_remove(&removed, &b);
    RightSet expected = RightSet(sa).Merge(sb);
    expected = RightSet(expected.word(0) & ~(sb.word(0) & 0x01FFFFFFFFFFFFFFULL),
                        expected.word(1) & ~(sb.word(1) & 0x01FFFFFFFFFFFFFFULL));
    EXPECT_EQ(ToSet(removed), expected);
    EXPECT_TRUE(cap_rights_is_valid(&removed));
  }
}

TEST(CapsicumRightsTest, IsValidChecksVersionIndexAndBits) {
  cap_rights_t rights;
  cap_rights_init(&rights, CAP_READ, CAP_IOCTL);
  EXPECT_TRUE(cap_rights_is_valid(&rights));
  cap_rights_t bad = rights;
  bad.cr_rights[0] |= uint64_t{1} << 62;  // version 1
  EXPECT_FALSE(cap_rights_is_valid(&bad));
  bad = rights;
  std::swap(bad.cr_rights[0], bad.cr_rights[1]);  // index markers in the wrong words
  EXPECT_FALSE(cap_rights_is_valid(&bad));
  bad = rights;
  bad.cr_rights[1] |= uint64_t{1} << 40;  // a bit no right uses
  EXPECT_FALSE(cap_rights_is_valid(&bad));
  bad = rights;
  bad.cr_rights[1] = 0;  // no index marker
  EXPECT_FALSE(cap_rights_is_valid(&bad));
}

TEST(CapsicumRightsDeathTest, MalformedRightsAbortLikeFreeBsdsAsserts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  cap_rights_t garbage;
  memset(&garbage, 0, sizeof(garbage));
  EXPECT_DEATH(cap_rights_set(&garbage, CAP_READ), "not initialized");
  cap_rights_t rights;
  cap_rights_init(&rights);
  EXPECT_DEATH(cap_rights_set(&rights, 0x1234ULL), "not a capability right");
}

// ---- the calls, outside any sandbox -------------------------------------------------------

TEST(CapsicumCallsTest, LimitsFailWithEopnotsuppOutsideASandbox) {
  cap_rights_t rights;
  cap_rights_init(&rights, CAP_READ);
  errno = 0;
  EXPECT_EQ(cap_rights_limit(0, &rights), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(cap_enter(), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  const cap_ioctl_t commands[] = {TIOCGWINSZ};
  EXPECT_EQ(cap_ioctls_limit(0, commands, 1), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(cap_fcntls_limit(0, CAP_FCNTL_GETFL), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  // Never ENOSYS: that is what FreeBSD programs take for "no Capsicum here, carry on".
  EXPECT_NE(EOPNOTSUPP, ENOSYS);
}

TEST(CapsicumCallsTest, MalformedArgumentsAreEinval) {
  cap_rights_t rights;
  cap_rights_init(&rights, CAP_READ);
  rights.cr_rights[0] |= uint64_t{1} << 62;
  EXPECT_EQ(cap_rights_limit(0, &rights), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(cap_rights_limit(0, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);
  std::vector<cap_ioctl_t> many(STOCKADE_CAPSICUM_MAX_IOCTLS + 1, TIOCGWINSZ);
  EXPECT_EQ(cap_ioctls_limit(0, many.data(), many.size()), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(cap_fcntls_limit(0, 1u << 7), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST(CapsicumCallsTest, QueriesTellTheTruthOutsideASandbox) {
  unsigned int mode = 7;
  EXPECT_EQ(cap_getmode(&mode), 0);
  EXPECT_EQ(mode, 0u);
  EXPECT_FALSE(cap_sandboxed());
  cap_rights_t rights;
  ASSERT_EQ(cap_rights_get(0, &rights), 0);
  cap_rights_t all;
  CAP_ALL(&all);
  EXPECT_TRUE(cap_rights_contains(&rights, &all));
  EXPECT_EQ(cap_ioctls_get(0, nullptr, 0), CAP_IOCTLS_ALL);
  uint32_t fcntls = 0;
  EXPECT_EQ(cap_fcntls_get(0, &fcntls), 0);
  EXPECT_EQ(fcntls, static_cast<uint32_t>(CAP_FCNTL_ALL));

  const int closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(closed, 0);
  close(closed);
  EXPECT_EQ(cap_rights_get(closed, &rights), -1);
  EXPECT_EQ(errno, EBADF);
  EXPECT_EQ(cap_ioctls_get(closed, nullptr, 0), -1);
  EXPECT_EQ(errno, EBADF);
  EXPECT_EQ(cap_fcntls_get(closed, &fcntls), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(CapsicumCallsTest, HelpersFailClosed) {
  errno = 0;
  EXPECT_EQ(caph_enter(), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(caph_enter_casper(), -1);
  EXPECT_EQ(caph_limit_stdio(), -1);
  EXPECT_EQ(caph_limit_stream(0, CAPH_READ), -1);
  cap_rights_t rights;
  cap_rights_init(&rights, CAP_READ);
  EXPECT_EQ(caph_rights_limit(0, &rights), -1);
  EXPECT_EQ(caph_fcntls_limit(0, CAP_FCNTL_GETFL), -1);
  caph_stream_rights(&rights, CAPH_READ | CAPH_LOOKUP);
  EXPECT_TRUE(cap_rights_is_set(&rights, CAP_READ, CAP_LOOKUP, CAP_EVENT, CAP_FSTAT, CAP_IOCTL,
                                CAP_SEEK, CAP_FCNTL));
  EXPECT_FALSE(cap_rights_is_set(&rights, CAP_WRITE));
}

// ---- process descriptors ------------------------------------------------------------------

TEST(ProcdescTest, PdforkGivesAPidfdOfTheChild) {
  int fd = -1;
  const pid_t child = pdfork(&fd, 0);
  if (child == 0) _exit(7);
  ASSERT_GT(child, 0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "no PD_CLOEXEC: the descriptor survives exec";
  pid_t pid = -1;
  EXPECT_EQ(pdgetpid(fd, &pid), 0);
  EXPECT_EQ(pid, child);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  close(fd);
}

TEST(ProcdescTest, PdkillSignalsTheChild) {
  int fd = -1;
  const pid_t child = pdfork(&fd, PD_CLOEXEC);
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(pdkill(fd, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  close(fd);
}

TEST(ProcdescTest, PdforkRefusesUnknownFlags) {
  int fd = -1;
  EXPECT_EQ(pdfork(&fd, 0x100), -1);
  EXPECT_EQ(errno, EINVAL);
}

}  // namespace
}  // namespace stockade
