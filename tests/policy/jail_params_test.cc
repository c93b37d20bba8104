// SPDX-License-Identifier: BSD-2-Clause
// Jail parameters and rctl resources against ../shared/reference/freebsd/jail_params.tsv and
// rctl_resources.tsv, plus the facts the policy checker relies on.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::policy {
namespace {

JailParamLayer LayerOf(const std::string& layer) {
  if (layer == "kernel") return JailParamLayer::kKernel;
  if (layer == "kernel-module") return JailParamLayer::kKernelModule;
  EXPECT_EQ(layer, "jail8-pseudo");
  return JailParamLayer::kJailPseudo;
}

JailParamType TypeOf(const std::string& type) {
  if (type == "bool") return JailParamType::kBool;
  if (type == "ulong") return JailParamType::kUlong;
  if (type.starts_with("int")) return JailParamType::kInt;
  if (type.starts_with("string")) return JailParamType::kString;
  if (type.starts_with("jailsys")) return JailParamType::kJailSys;
  EXPECT_TRUE(type.starts_with("list of")) << type;
  return JailParamType::kIpList;
}

TEST(JailParamsTest, MatchTheReferenceTable) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "jail_params.tsv");
  ASSERT_GT(table.rows.size(), 90u);
  std::set<std::string> names;
  for (const auto& row : table.rows) {
    const std::string& name = row.at("name");
    names.insert(name);
    const JailParamInfo* param = FindJailParam(name);
    ASSERT_NE(param, nullptr) << "missing " << name;
    EXPECT_EQ(param->layer, LayerOf(row.at("layer"))) << name;
    EXPECT_EQ(param->type, TypeOf(row.at("type"))) << name;
    EXPECT_EQ(param->jailsys_disable, row.at("type").find("disable") != std::string::npos) << name;
    const std::string& settable = row.at("settable");
    EXPECT_EQ(param->settable, settable != "read-only") << name;
    EXPECT_EQ(param->create_only, settable == "create-only") << name;
    if (settable.starts_with("n/a")) {
      EXPECT_EQ(param->layer, JailParamLayer::kJailPseudo) << name;
    }
    EXPECT_EQ(param->deprecated, row.at("notes").starts_with("deprecated") ||
                                     row.at("seen").find("deprecated") != std::string::npos)
        << name;
    const std::string& seen = row.at("seen");
    EXPECT_EQ(param->freebsd15_only,
              seen.starts_with("15") || seen.find("post-15.0") != std::string::npos)
        << name << " seen " << seen;
    EXPECT_EQ(param->meaning, row.at("notes")) << name;
    // "int 0..2" and "int 0|1" carry their range in the type column.
    const std::pair<int64_t, int64_t> range(param->min, param->max);
    if (row.at("type") == "int 0..2") {
      EXPECT_EQ(range, std::make_pair(int64_t{0}, int64_t{2})) << name;
    }
    if (row.at("type") == "int 0|1") {
      EXPECT_EQ(range, std::make_pair(int64_t{0}, int64_t{1})) << name;
    }
  }
  EXPECT_EQ(names.size(), JailParams().size()) << "the table has parameters the reference lacks";
}

TEST(JailParamsTest, StringLengthsFollowTheKernelBuffers) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "jail_params.tsv");
  const std::map<std::string, size_t> buffers = {{"string(MAXHOSTNAMELEN)", 256},
                                                 {"string(MAXPATHLEN)", 1024},
                                                 {"string(OSRELEASELEN)", 32},
                                                 {"string(HOSTUUIDLEN)", 64}};
  for (const auto& row : table.rows) {
    const auto it = buffers.find(row.at("type"));
    if (it == buffers.end()) continue;
    EXPECT_EQ(FindJailParam(row.at("name"))->max_length, it->second - 1) << row.at("name");
  }
}

TEST(JailParamsTest, RangesAndOwners) {
  auto range = [](std::string_view name) {
    const JailParamInfo* param = FindJailParam(name);
    EXPECT_NE(param, nullptr) << name;
    EXPECT_EQ(param->type, JailParamType::kInt) << name;
    return std::make_pair(param->min, param->max);
  };
  EXPECT_EQ(range("securelevel"), std::make_pair(int64_t{-1}, int64_t{3}));
  EXPECT_EQ(range("enforce_statfs"), std::make_pair(int64_t{0}, int64_t{2}));
  EXPECT_EQ(range("devfs_ruleset"), std::make_pair(int64_t{0}, int64_t{65535}));
  EXPECT_EQ(range("children.max").first, 0);
  EXPECT_EQ(range("children.max").second, 2147483647);
  EXPECT_GT(range("children.cur").first, range("children.cur").second);  // read-only, unbounded

  for (std::string_view name :
       {"name",        "path",          "host.hostname", "host",     "vnet",
        "ip4",         "ip4.addr",      "ip6",           "ip6.addr", "sysvshm",
        "sysvmsg",     "sysvsem",       "allow.sysvipc", "mount",    "mount.fstab",
        "mount.devfs", "mount.fdescfs", "mount.procfs",  "command",  "persist",
        "jid"}) {
    EXPECT_FALSE(FindJailParam(name)->owner.empty()) << name << " is owned by another clause";
  }
  for (const JailParamInfo& param : JailParams()) {
    if (param.name.starts_with("exec.")) {
      EXPECT_FALSE(param.owner.empty()) << param.name;
    }
    if (!param.settable) {
      EXPECT_TRUE(param.owner.empty()) << param.name;
    }
    EXPECT_EQ(FindJailParam(param.name), &param);
  }
  for (std::string_view name : {"parent", "dying", "children.cur", "cpuset.id"}) {
    EXPECT_FALSE(FindJailParam(name)->settable) << name;
  }
  for (std::string_view name : {"securelevel", "children.max", "allow.raw_sockets", "osrelease"}) {
    EXPECT_TRUE(FindJailParam(name)->owner.empty()) << name;
    EXPECT_TRUE(FindJailParam(name)->settable) << name;
  }
  EXPECT_EQ(FindJailParam("sysvshm")->owner, "ipc.sysvshm");
  EXPECT_TRUE(FindJailParam("sysvshm")->jailsys_disable);
  EXPECT_FALSE(FindJailParam("vnet")->jailsys_disable);
  EXPECT_TRUE(FindJailParam("allow.sysvipc")->deprecated);
  EXPECT_TRUE(FindJailParam("allow.dying")->deprecated);
  EXPECT_TRUE(FindJailParam("meta")->freebsd15_only);
  EXPECT_TRUE(FindJailParam("allow.routing")->freebsd15_only);
  EXPECT_FALSE(FindJailParam("allow.nfsd")->freebsd15_only);
  EXPECT_EQ(FindJailParam("host.hostname")->max_length, 255u);
  EXPECT_EQ(FindJailParam("allow.nosuchthing"), nullptr);
}

TEST(RctlResourcesTest, MatchTheReferenceTable) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "rctl_resources.tsv");
  const std::map<std::string, RctlUnit> units = {{"bytes", RctlUnit::kBytes},
                                                 {"count", RctlUnit::kCount},
                                                 {"seconds", RctlUnit::kSeconds},
                                                 {"percent of one core", RctlUnit::kPercent},
                                                 {"bytes/second", RctlUnit::kBytesPerSecond},
                                                 {"operations/second", RctlUnit::kOpsPerSecond}};
  ASSERT_EQ(table.rows.size(), RctlResources().size());
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const auto& row = table.rows[i];
    const RctlResourceInfo& resource = RctlResources()[i];
    EXPECT_EQ(resource.name, row.at("resource"));
    EXPECT_EQ(std::stoul(row.at("index")), i) << "racct index order";
    EXPECT_EQ(resource.unit, units.at(row.at("unit"))) << resource.name;
    EXPECT_EQ(resource.deny_supported, row.at("deny_supported") == "yes") << resource.name;
    EXPECT_EQ(resource.throttle_supported, row.at("throttle_supported") == "yes") << resource.name;
    EXPECT_EQ(resource.meaning, row.at("meaning")) << resource.name;
  }
}

TEST(RctlResourcesTest, ActionsFollowRctl8) {
  for (const RctlResourceInfo& resource : RctlResources()) {
    EXPECT_EQ(FindRctlResource(resource.name), &resource);
    const bool io = resource.name == "readbps" || resource.name == "writebps" ||
                    resource.name == "readiops" || resource.name == "writeiops";
    EXPECT_EQ(resource.throttle_supported, io) << resource.name;
    const bool no_deny = io || resource.name == "cputime" || resource.name == "wallclock";
    EXPECT_EQ(resource.deny_supported, !no_deny) << resource.name;
  }
  EXPECT_EQ(FindRctlResource("memoryuse")->unit, RctlUnit::kBytes);
  EXPECT_EQ(FindRctlResource("pcpu")->unit, RctlUnit::kPercent);
  EXPECT_EQ(FindRctlResource("memory"), nullptr);
}

}  // namespace
}  // namespace stockade::policy
