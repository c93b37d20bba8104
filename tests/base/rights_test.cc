// SPDX-License-Identifier: BSD-2-Clause
// The Capsicum rights table and RightSet algebra, checked against FreeBSD's reference table.

#include "stockade/base/rights.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "testing/test_util.h"

namespace stockade {
namespace {

uint64_t Right(std::string_view name) {
  const RightInfo* right = FindRight(name);
  EXPECT_NE(right, nullptr) << name;
  return right ? right->value : 0;
}

TEST(RightsTest, MatchesReferenceTable) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  testing::Table table = testing::ReadTsv(*reference / "freebsd" / "cap_rights.tsv");
  ASSERT_FALSE(table.rows.empty());
  std::set<std::string_view> seen;
  for (const auto& row : table.rows) {
    const RightInfo* right = FindRight(row.at("name"));
    ASSERT_NE(right, nullptr) << "missing right " << row.at("name");
    EXPECT_EQ(right->value, std::stoull(row.at("value"), nullptr, 16)) << row.at("name");
    EXPECT_EQ(right->word(), std::stoi(row.at("index"))) << row.at("name");
    seen.insert(right->name);
  }
  EXPECT_EQ(seen.size(), AllRights().size()) << "the table has rights the reference lacks";
}

TEST(RightsTest, CompositesAreTheUnionOfTheirParts) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  testing::Table table = testing::ReadTsv(*reference / "freebsd" / "cap_rights.tsv");
  for (const auto& row : table.rows) {
    if (row.at("composite_of").empty()) continue;
    uint64_t parts = 0;
    std::string list = row.at("composite_of");
    size_t start = 0;
    while (start <= list.size()) {
      size_t bar = list.find('|', start);
      parts |= Right(list.substr(start, bar == std::string::npos ? bar : bar - start));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    const uint64_t own =
        row.at("own_bit").empty() ? 0 : std::stoull(row.at("own_bit"), nullptr, 16);
    EXPECT_EQ(Right(row.at("name")), parts | own) << row.at("name");
  }
}

TEST(RightsTest, OwnBitsAreDistinctWithinAWord) {
  std::map<std::pair<int, uint64_t>, std::string_view> owner;
  STOCKADE_REQUIRE_REFERENCE(reference);
  testing::Table table = testing::ReadTsv(*reference / "freebsd" / "cap_rights.tsv");
  for (const auto& row : table.rows) {
    if (row.at("own_bit").empty()) continue;
    auto key =
        std::make_pair(std::stoi(row.at("index")), std::stoull(row.at("own_bit"), nullptr, 16));
    auto [it, inserted] = owner.emplace(key, FindRight(row.at("name"))->name);
    EXPECT_TRUE(inserted) << row.at("name") << " shares a bit with " << it->second;
  }
}

TEST(RightSetTest, LayoutMatchesCapRightsInit) {
  RightSet empty;
  // cap_rights_init: version 0 in the top two bits, index markers 1<<57 and 1<<58.
  EXPECT_EQ(empty.word(0), uint64_t{1} << 57);
  EXPECT_EQ(empty.word(1), uint64_t{1} << 58);
  EXPECT_TRUE(empty.empty());
}

TEST(RightSetTest, CompositeAddsAllParts) {
  RightSet set;
  set.Add(Right("CAP_MMAP_RW"));
  EXPECT_TRUE(set.Has(Right("CAP_MMAP")));
  EXPECT_TRUE(set.Has(Right("CAP_READ")));
  EXPECT_TRUE(set.Has(Right("CAP_WRITE")));
  EXPECT_TRUE(set.Has(Right("CAP_SEEK")));
  EXPECT_FALSE(set.Has(Right("CAP_MMAP_X")));
  EXPECT_FALSE(set.Has(Right("CAP_FSTAT")));
}

TEST(RightSetTest, WordsAreIndependent) {
  RightSet set;
  set.Add(Right("CAP_READ"));
  // CAP_MAC_GET has the same low bit as CAP_READ, in the other word.
  EXPECT_FALSE(set.Has(Right("CAP_MAC_GET")));
  set.Add(Right("CAP_MAC_GET"));
  set.Remove(Right("CAP_READ"));
  EXPECT_FALSE(set.Has(Right("CAP_READ")));
  EXPECT_TRUE(set.Has(Right("CAP_MAC_GET")));
}

TEST(RightSetTest, RemoveCompositeRemovesItsParts) {
  RightSet set;
  set.Add(Right("CAP_PREAD")).Add(Right("CAP_FSTAT"));
  set.Remove(Right("CAP_SEEK"));
  EXPECT_FALSE(set.Has(Right("CAP_SEEK_TELL")));
  EXPECT_TRUE(set.Has(Right("CAP_READ")));
  EXPECT_TRUE(set.Has(Right("CAP_FSTAT")));
}

TEST(RightSetTest, ContainsIsSubset) {
  RightSet big, small;
  big.Add(Right("CAP_READ")).Add(Right("CAP_WRITE")).Add(Right("CAP_EVENT"));
  small.Add(Right("CAP_READ")).Add(Right("CAP_EVENT"));
  EXPECT_TRUE(big.Contains(small));
  EXPECT_FALSE(small.Contains(big));
  EXPECT_TRUE(big.Contains(RightSet()));
}

TEST(RightSetTest, AllDependsOnRelease) {
  EXPECT_TRUE(RightSet::All(RightRelease::kFreeBsd15).Has(Right("CAP_FCHROOT")));
  EXPECT_FALSE(RightSet::All(RightRelease::kAll).Has(Right("CAP_FCHROOT")));
  EXPECT_FALSE(RightSet::All(RightRelease::kFreeBsd15).Has(Right("CAP_PDDUPFD")));
  // CAP_ALL0 of 15.x is CAPRIGHT(0, 0x00000FFFFFFFFFFF).
  EXPECT_EQ(RightSet::All(RightRelease::kFreeBsd15).word(0),
            (uint64_t{1} << 57) | 0x00000FFFFFFFFFFFULL);
  EXPECT_EQ(RightSet::All(RightRelease::kAll).word(0), (uint64_t{1} << 57) | 0x000007FFFFFFFFFFULL);
  // CAP_ALL1: 0x1FFFFF in 14.x, 0x7FFFFF in 15.x.
  EXPECT_EQ(RightSet::All(RightRelease::kAll).word(1), (uint64_t{1} << 58) | 0x1FFFFFULL);
  EXPECT_EQ(RightSet::All(RightRelease::kFreeBsd15).word(1), (uint64_t{1} << 58) | 0x7FFFFFULL);
}

TEST(RightSetTest, NamesListOneNamePerBit) {
  RightSet set;
  set.Add(Right("CAP_MKDIRAT")).Add(Right("CAP_PREAD"));
  std::array<std::string_view, 16> names;
  const size_t count = RightNames(set, names);
  ASSERT_EQ(count, 5u);
  EXPECT_EQ(names[0], "CAP_READ");
  EXPECT_EQ(names[1], "CAP_SEEK_TELL");
  EXPECT_EQ(names[2], "CAP_SEEK");
  EXPECT_EQ(names[3], "CAP_LOOKUP");
  EXPECT_EQ(names[4], "CAP_MKDIRAT");
}

TEST(FcntlRightsTest, MatchReferenceTable) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  testing::Table table = testing::ReadTsv(*reference / "freebsd" / "cap_fcntl_rights.tsv");
  ASSERT_EQ(table.rows.size(), kFcntlRights.size());
  for (const auto& row : table.rows) {
    const FcntlRightInfo* right = FindFcntlRight(row.at("name"));
    ASSERT_NE(right, nullptr) << row.at("name");
    EXPECT_EQ(right->mask, std::stoul(row.at("mask"), nullptr, 16)) << row.at("name");
  }
}

}  // namespace
}  // namespace stockade
