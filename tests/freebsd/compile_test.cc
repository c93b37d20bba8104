// SPDX-License-Identifier: BSD-2-Clause
// The FreeBSD generator: hostile values survive jail.conf and sh, jail.conf and the `jail -c`
// argv say the same, every parameter is a real one of the right type, the hooks really build
// what they claim (run here on the parts that need no root), and impossible views are refused.

#include "stockade/freebsd/compile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "freebsd_test_util.h"
#include "jail_conf_reader.h"
#include "stockade/freebsd/quoting.h"
#include "stockade/launch/manifest.h"
#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::freebsd {
namespace {

using testing::CheckYaml;
using testing::JailConfParam;
using testing::ReadJailConf;
using testing::RunShell;

std::string YamlQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

const std::string kHostileSource = "/srv/it's \"quoted\" $x;{}\\ \xc3\xbc";
const std::string kHostileTarget = "/data dir/\xc3\xbc 'q' $(id)";
const std::string kHostileScratch = "/tmp/sp ace\nnl";
const std::string kHostileLink = "/lnk 'a' \\b";
const std::string kHostileLinkTarget = "../what \"ever\" $y\nz";
const std::string kHostileDomain = "dom'ain \"x\" $y ;{} \\ \n // # /*";
const std::string kHostileEnv = "it's \"$HOME\" \\ ;{} \n new line \xc3\xaf";
const std::vector<std::string> kHostileArgs = {
    "/bin/prog", "arg with space", "it's", "$(id)", "back\\slash", "new\nline", "\xe2\x98\x83"};

std::string HostilePolicy(const std::string& root) {
  std::string args;
  for (const std::string& arg : kHostileArgs) args += (args.empty() ? "" : ", ") + YamlQuote(arg);
  return "version: 1\n"
         "name: hostile\n"
         "exec:\n"
         "  env:\n"
         "    set:\n"
         "      WEIRD: " +
         YamlQuote(kHostileEnv) +
         "\n"
         "  command: [" +
         args +
         "]\n"
         "filesystem:\n"
         "  root: {type: directory, path: " +
         YamlQuote(root) +
         "}\n"
         "  mounts:\n"
         "    - {source: " +
         YamlQuote(kHostileSource) + ", target: " + YamlQuote(kHostileTarget) +
         "}\n"
         "  scratch:\n"
         "    - {target: " +
         YamlQuote(kHostileScratch) +
         ", size: 1M}\n"
         "  symlinks:\n"
         "    - {path: " +
         YamlQuote(kHostileLink) + ", target: " + YamlQuote(kHostileLinkTarget) +
         "}\n"
         "jail:\n"
         "  host.domainname: " +
         YamlQuote(kHostileDomain) + "\n";
}

const JailConfParam* Find(const std::vector<JailConfParam>& params, const std::string& name) {
  for (const JailConfParam& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// jail(8)'s reading of a 'mount' line: fields split at blanks, the first two vis-decoded.
std::vector<std::string> SplitMountLine(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  for (size_t i = 0; i <= line.size(); ++i) {
    const char c = i < line.size() ? line[i] : ' ';
    if (std::string_view(" \t\n\r\v\f").find(c) != std::string_view::npos) {
      if (!field.empty()) fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  for (size_t f = 0; f < std::min<size_t>(2, fields.size()); ++f) {
    std::string out;
    const std::string& in = fields[f];
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '\\' && i + 3 < in.size()) {
        out +=
            static_cast<char>((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 + (in[i + 3] - '0'));
        i += 3;
      } else {
        out += in[i];
      }
    }
    fields[f] = out;
  }
  return fields;
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (dir_.path() / "r o'o\"t $x\n\xc3\xbc").string();
    std::filesystem::create_directories(root_);
    std::string problems;
    auto policy = CheckYaml(HostilePolicy(root_), &problems);
    ASSERT_TRUE(policy) << problems;
    policy_ = *policy;
    options_.state_dir = (dir_.path() / "state").string();
    auto artifacts = Compile(policy_, options_);
    ASSERT_TRUE(artifacts) << artifacts.error().message();
    artifacts_ = *artifacts;
    file_ = ReadJailConf(artifacts_.jail_conf);
    ASSERT_EQ(file_.error, "") << artifacts_.jail_conf;
    ASSERT_EQ(file_.jails.size(), 1u);
  }

  const std::vector<JailConfParam>& params() const { return file_.jails[0].params; }

  // The exec.prepare commands, as jail(8) hands them to sh, that contain `needle`.
  std::vector<std::string> PrepareCommands(const std::string& needle) const {
    std::vector<std::string> out;
    if (const JailConfParam* p = Find(params(), "exec.prepare")) {
      for (const std::string& command : p->values) {
        if (command.find(needle) != std::string::npos) out.push_back(command);
      }
    }
    return out;
  }

  testing::TempDir dir_;
  std::string root_;
  policy::Policy policy_;
  CompileOptions options_;
  Artifacts artifacts_;
  testing::JailConfFile file_;
};

TEST_F(HostileTest, JailConfCarriesEveryValueUnchanged) {
  EXPECT_EQ(file_.jails[0].name, "hostile");
  ASSERT_EQ(params().size(), artifacts_.settings.size());
  for (size_t i = 0; i < params().size(); ++i) {
    EXPECT_EQ(params()[i].name, artifacts_.settings[i].name);
    EXPECT_EQ(params()[i].values, artifacts_.settings[i].values) << params()[i].name;
  }
  ASSERT_TRUE(Find(params(), "path"));
  EXPECT_EQ(Find(params(), "path")->values, std::vector<std::string>{root_});
  ASSERT_TRUE(Find(params(), "host.domainname"));
  EXPECT_EQ(Find(params(), "host.domainname")->values, std::vector<std::string>{kHostileDomain});
}

TEST_F(HostileTest, MountLinesSplitLikeJail8) {
  const JailConfParam* mount = Find(params(), "mount");
  ASSERT_TRUE(mount);
  bool saw_mount = false, saw_scratch = false;
  for (const std::string& line : mount->values) {
    const std::vector<std::string> fields = SplitMountLine(line);
    ASSERT_EQ(fields.size(), 6u) << line;
    if (fields[1] == root_ + kHostileTarget) {
      saw_mount = true;
      EXPECT_EQ(fields[0], kHostileSource);
      EXPECT_EQ(fields[2], "nullfs");
      EXPECT_EQ(fields[3], "ro");
    }
    if (fields[1] == root_ + kHostileScratch) {
      saw_scratch = true;
      EXPECT_EQ(fields[2], "tmpfs");
      EXPECT_EQ(fields[3], "rw,mode=1777,size=1048576");
    }
  }
  EXPECT_TRUE(saw_mount);
  EXPECT_TRUE(saw_scratch);
}

TEST_F(HostileTest, PrepareBuildsMountPointsAndSymlinksInTheRoot) {
  // A directory used in place is the one root these hooks may write to without privileges.
  std::vector<std::string> mkdirs;
  for (const std::string& command : PrepareCommands("/bin/mkdir -p ")) {
    // Not the one that makes the state directory and writes the manifest (tested below).
    if (command.find("/run/manifest") == std::string::npos) mkdirs.push_back(command);
  }
  const std::vector<std::string> links = PrepareCommands("/bin/ln -s");
  ASSERT_FALSE(mkdirs.empty());
  ASSERT_EQ(links.size(), 1u);
  for (int round = 0; round < 2; ++round) {  // the second round proves them idempotent
    for (const std::string& command : mkdirs) ASSERT_EQ(RunShell(command), 0) << command;
    for (const std::string& command : links) ASSERT_EQ(RunShell(command), 0) << command;
  }
  for (const std::string& inside :
       {std::string("/.stockade"), std::string("/.stockade-run"), std::string("/dev"),
        std::string("/proc"), kHostileTarget, kHostileScratch}) {
    EXPECT_TRUE(std::filesystem::is_directory(root_ + inside)) << inside;
  }
  const std::filesystem::path link = root_ + kHostileLink;
  ASSERT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(std::filesystem::read_symlink(link).string(), kHostileLinkTarget);
  // A different file in the symlink's place fails the hook instead of being replaced.
  std::filesystem::remove(link);
  std::filesystem::create_directory(link);
  EXPECT_NE(RunShell(links[0] + " 2>/dev/null"), 0);
}

TEST_F(HostileTest, PrepareWritesTheManifestOnceAndItParsesBack) {
  const std::vector<std::string> commands = PrepareCommands("manifest");
  ASSERT_EQ(commands.size(), 1u);
  ASSERT_EQ(RunShell(commands[0]), 0) << commands[0];
  const std::filesystem::path written = options_.state_dir + "/hostile/run/manifest";
  EXPECT_EQ(testing::ReadFile(written), artifacts_.manifest);
  auto manifest = launch::ParseManifest(testing::ReadFile(written));
  ASSERT_TRUE(manifest) << manifest.error().message();
  EXPECT_EQ(manifest->argv, kHostileArgs);
  EXPECT_EQ(manifest->env_set, std::vector<std::string>{"WEIRD=" + kHostileEnv});
  EXPECT_EQ(manifest->preload, "/.stockade/libstockade-preopen.so");
  EXPECT_EQ(manifest->interpreter, "/libexec/ld-elf.so.1");
  // A second start over a leftover state directory fails closed.
  EXPECT_NE(RunShell(commands[0] + " 2>/dev/null"), 0);
}

TEST_F(HostileTest, JailArgvScriptRecreatesTheArgv) {
  // jail-c.sh runs /usr/sbin/jail; a stand-in that prints its arguments shows what jail gets.
  std::string script;
  for (const auto& [name, text] : artifacts_.files) {
    if (name == "jail-c.sh") script = text;
  }
  ASSERT_FALSE(script.empty());
  const std::string replaced = "exec printf '%s\\0'";
  script.replace(script.find("exec /usr/sbin/jail"), std::string("exec /usr/sbin/jail").size(),
                 replaced);
  const std::filesystem::path path = dir_.Write("argv.sh", script);
  std::string output;
  ASSERT_EQ(RunShell("/bin/sh '" + path.string() + "'", &output), 0);
  std::vector<std::string> argv = {"jail"};
  size_t start = 0;
  while (start < output.size()) {
    const size_t end = output.find('\0', start);
    argv.push_back(output.substr(start, end - start));
    start = end + 1;
  }
  EXPECT_EQ(argv, artifacts_.jail_argv);
}

// ---- every example, both releases ------------------------------------------------------

struct Compiled {
  std::string example;
  policy::FreeBsdRelease release;
  Artifacts artifacts;
};

std::vector<Compiled> CompileExamples() {
  std::vector<Compiled> out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourceDir() / "examples")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string problems;
    auto policy = testing::CheckPath(file.string(), &problems);
    EXPECT_TRUE(policy) << file << ": " << problems;
    if (!policy) continue;
    for (policy::FreeBsdRelease release :
         {policy::FreeBsdRelease::k14, policy::FreeBsdRelease::k15}) {
      CompileOptions options;
      options.release = release;
      auto artifacts = Compile(*policy, options);
      EXPECT_TRUE(artifacts) << file << ": " << artifacts.error().message();
      if (artifacts) out.push_back({file.stem().string(), release, *artifacts});
    }
  }
  EXPECT_GE(out.size(), 12u);
  return out;
}

TEST(ExamplesTest, ArgvSaysWhatJailConfSays) {
  for (const Compiled& c : CompileExamples()) {
    const testing::JailConfFile file = ReadJailConf(c.artifacts.jail_conf);
    ASSERT_EQ(file.error, "") << c.example;
    ASSERT_EQ(file.jails.size(), 1u);
    // Rebuild the parameter list from the argv the way jail(8) does: name=value, a repeated
    // name appends.
    const std::vector<std::string>& argv = c.artifacts.jail_argv;
    ASSERT_GE(argv.size(), 3u);
    EXPECT_EQ(argv[0], "jail");
    EXPECT_EQ(argv[1], "-c");
    EXPECT_EQ(argv[2], "name=" + file.jails[0].name);
    std::vector<JailConfParam> from_argv;
    for (size_t i = 3; i < argv.size(); ++i) {
      const size_t eq = argv[i].find('=');
      ASSERT_NE(eq, std::string::npos) << argv[i];
      const std::string name = argv[i].substr(0, eq);
      auto it = std::find_if(from_argv.begin(), from_argv.end(),
                             [&](const JailConfParam& p) { return p.name == name; });
      if (it == from_argv.end()) {
        from_argv.push_back({name, {}});
        it = from_argv.end() - 1;
      }
      it->values.push_back(argv[i].substr(eq + 1));
    }
    ASSERT_EQ(from_argv.size(), file.jails[0].params.size()) << c.example;
    for (size_t i = 0; i < from_argv.size(); ++i) {
      EXPECT_EQ(from_argv[i].name, file.jails[0].params[i].name) << c.example;
      EXPECT_EQ(from_argv[i].values, file.jails[0].params[i].values) << c.example;
    }
  }
}

// The value fits the parameter's type as policy/names.h describes it.
std::string TypeProblem(const policy::JailParamInfo& info, const std::string& value) {
  switch (info.type) {
    case policy::JailParamType::kBool:
      return value == "true" || value == "false" ? "" : "not a boolean";
    case policy::JailParamType::kInt: {
      if (value.empty() || value.find_first_not_of("-0123456789") != std::string::npos) {
        return "not an integer";
      }
      const long long n = std::stoll(value);
      if (info.min <= info.max && (n < info.min || n > info.max)) return "out of range";
      return "";
    }
    case policy::JailParamType::kUlong:
      return !value.empty() && value.find_first_not_of("0123456789") == std::string::npos
                 ? ""
                 : "not an unsigned number";
    case policy::JailParamType::kString:
      return info.max_length && value.size() > info.max_length ? "too long" : "";
    case policy::JailParamType::kJailSys:
      if (value == "new" || value == "inherit") return "";
      return value == "disable" && info.jailsys_disable ? "" : "not a jailsys value";
    case policy::JailParamType::kIpList:
      return "";
  }
  return "unknown type";
}

void ExpectValidParameters(const Artifacts& a, const std::string& what) {
  for (const JailSetting& s : a.settings) {
    const policy::JailParamInfo* info = policy::FindJailParam(s.name);
    ASSERT_TRUE(info) << what << ": '" << s.name << "' is no jail parameter";
    EXPECT_TRUE(info->settable) << what << ": " << s.name;
    EXPECT_EQ(s.jail8, info->layer == policy::JailParamLayer::kJailPseudo)
        << what << ": " << s.name;
    if (a.release == policy::FreeBsdRelease::k14) {
      EXPECT_FALSE(info->freebsd15_only) << what << ": " << s.name << " is FreeBSD 15 only";
    }
    const bool multi =
        s.name == "mount" || s.name == "vnet.interface" || s.name.starts_with("exec.");
    if (!multi) {
      EXPECT_EQ(s.values.size(), 1u) << what << ": " << s.name;
    }
    for (const std::string& value : s.values) {
      EXPECT_EQ(TypeProblem(*info, value), "") << what << ": " << s.name << " = " << value;
    }
  }
}

TEST(ExamplesTest, EveryParameterExistsWithItsLayerAndType) {
  for (const Compiled& c : CompileExamples()) {
    ExpectValidParameters(c.artifacts, c.example + " " + ReleaseName(c.release));
  }
}

TEST_F(HostileTest, EveryParameterExistsWithItsLayerAndType) {
  ExpectValidParameters(artifacts_, "hostile");
}

TEST(ExamplesTest, ParametersMatchTheReferenceTable) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "jail_params.tsv");
  std::map<std::string, std::map<std::string, std::string>> rows;
  for (const auto& row : table.rows) rows[row.at("name")] = row;
  for (const Compiled& c : CompileExamples()) {
    for (const JailSetting& s : c.artifacts.settings) {
      auto it = rows.find(s.name);
      ASSERT_NE(it, rows.end()) << c.example << ": " << s.name << " is not in jail_params.tsv";
      const std::string& layer = it->second.at("layer");
      EXPECT_EQ(s.jail8, layer == "jail8-pseudo") << s.name << " is " << layer;
      EXPECT_NE(it->second.at("settable"), "read-only") << s.name;
      const std::string& type = it->second.at("type");
      for (const std::string& value : s.values) {
        if (type == "bool") {
          EXPECT_TRUE(value == "true" || value == "false") << s.name;
        }
        if (type.starts_with("jailsys")) {
          EXPECT_NE(type.find(value), std::string::npos) << s.name << " = " << value;
        }
        if (type.starts_with("int")) {
          EXPECT_EQ(value.find_first_not_of("-0123456789"), std::string::npos) << s.name;
        }
      }
    }
  }
}

// ---- what the generator writes -----------------------------------------------------------

Artifacts CompileText(const std::string& yaml, CompileOptions options = {}) {
  std::string problems;
  auto policy = CheckYaml(yaml, &problems);
  EXPECT_TRUE(policy) << problems;
  if (!policy) return {};
  auto artifacts = Compile(*policy, options);
  EXPECT_TRUE(artifacts) << artifacts.error().message();
  return artifacts ? *artifacts : Artifacts{};
}

std::string CompileError(const std::string& yaml, CompileOptions options = {}) {
  std::string problems;
  auto policy = CheckYaml(yaml, &problems);
  EXPECT_TRUE(policy) << problems;
  if (!policy) return "";
  auto artifacts = Compile(*policy, options);
  return artifacts ? "" : artifacts.error().message();
}

const JailSetting* Setting(const Artifacts& a, const std::string& name) {
  for (const JailSetting& s : a.settings) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const std::string kBase = "version: 1\nname: t\nexec:\n  command: [/bin/true]\n";

TEST(CompileTest, NetworkModes) {
  Artifacts none = CompileText(kBase);
  ASSERT_TRUE(Setting(none, "ip4") && Setting(none, "ip6"));
  EXPECT_EQ(Setting(none, "ip4")->values[0], "disable");
  EXPECT_EQ(Setting(none, "ip6")->values[0], "disable");
  EXPECT_FALSE(Setting(none, "vnet"));

  Artifacts host = CompileText(kBase + "network: {mode: host, justification: \"test\"}\n");
  EXPECT_EQ(Setting(host, "ip4")->values[0], "inherit");

  Artifacts vnet = CompileText(kBase +
                               "network:\n  mode: vnet\n  addresses: [10.0.0.2/24, fd00::2/64]\n"
                               "  gateway: 10.0.0.1\n  egress:\n"
                               "    - {to: 10.1.0.0/16, proto: tcp, ports: 80-443}\n"
                               "    - {to: \"::/0\", proto: udp, port: 53}\n");
  ASSERT_TRUE(Setting(vnet, "vnet"));
  EXPECT_EQ(Setting(vnet, "vnet")->values[0], "new");
  EXPECT_FALSE(Setting(vnet, "ip4"));  // a vnet jail takes no address restrictions
  ASSERT_TRUE(Setting(vnet, "vnet.interface"));
  EXPECT_EQ(Setting(vnet, "vnet.interface")->values[0], vnet.epair_jail);
  EXPECT_LE(vnet.epair_host.size(), 15u);  // IFNAMSIZ
  EXPECT_EQ(vnet.pf_anchor, "stockade/t");
  EXPECT_NE(
      vnet.pf_rules.find("pass in quick on " + vnet.epair_host +
                         " inet proto tcp from 10.0.0.2 to 10.1.0.0/16 port 80:443 keep state"),
      std::string::npos)
      << vnet.pf_rules;
  EXPECT_NE(vnet.pf_rules.find("inet6 proto udp from fd00::2 to ::/0 port 53 keep state"),
            std::string::npos);
  EXPECT_NE(vnet.pf_rules.find("block return in quick on " + vnet.epair_host + " all\n"),
            std::string::npos);
  const JailSetting* start = Setting(vnet, "exec.start");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->values.back(), "/sbin/route -n add -inet default 10.0.0.1");
  // Names differ per jail and are stable.
  Artifacts other = CompileText(
      "version: 1\nname: u\nexec:\n  command: [/bin/true]\n"
      "network: {mode: vnet, addresses: [10.0.0.2/24]}\n");
  EXPECT_NE(other.epair_host, vnet.epair_host);
}

TEST(CompileTest, LimitsTimeoutAndCoreDumps) {
  Artifacts a = CompileText(kBase.substr(0, kBase.size() - 1) +
                            "\n  timeout: 1500ms\nlimits:\n  memoryuse: 1k\n"
                            "  cputime: {amount: 10, action: sigterm}\n");
  EXPECT_EQ(a.rctl_rules, (std::vector<std::string>{
                              "jail:t:memoryuse:deny=1024", "jail:t:cputime:sigterm=10",
                              "jail:t:wallclock:sigkill=2/process", "jail:t:coredumpsize:deny=0"}));
  Artifacts dumps = CompileText(kBase.substr(0, kBase.size() - 1) + "\n  core_dumps: true\n");
  EXPECT_EQ(dumps.rctl_rules, std::vector<std::string>{});
}

TEST(CompileTest, UgidfwRulesAreScopedToTheJail) {
  CompileOptions options;
  options.ugidfw_rule_base = 40;
  Artifacts a = CompileText(kBase +
                                "mac:\n  bsdextended:\n"
                                "    - \"subject uid 80 object filesys /data mode rs\"\n"
                                "    - \"subject not uid root object type d mode rsx\"\n",
                            options);
  ASSERT_EQ(a.ugidfw_rules.size(), 2u);
  EXPECT_EQ(a.ugidfw_rules[0].number, 40);
  EXPECT_EQ(a.ugidfw_rules[1].number, 41);
  EXPECT_EQ(a.ugidfw_rules[0].words,
            (std::vector<std::string>{"subject", "uid", "80", "jailid", "t", "object", "filesys",
                                      a.root_path + "/data", "mode", "rs"}));
  // Under 'not' every condition is inverted, so the jail takes a '!' to stay "this jail".
  EXPECT_EQ(a.ugidfw_rules[1].words,
            (std::vector<std::string>{"subject", "not", "uid", "root", "!", "jailid", "t", "object",
                                      "type", "d", "mode", "rsx"}));
  // The hooks, run against a stand-in for ugidfw(8) that keeps "NUMBER RULE" lines in a file.
  testing::TempDir dir;
  options.state_dir = (dir.path() / "state").string();
  Artifacts run = CompileText(kBase +
                                  "mac:\n  bsdextended:\n"
                                  "    - \"subject uid 80 object filesys /data mode rs\"\n"
                                  "    - \"subject not uid root object type d mode rsx\"\n",
                              options);
  const std::filesystem::path rules = dir.path() / "rules";
  const std::filesystem::path fake = dir.Write(
      "ugidfw", "#!/bin/sh\nf='" + rules.string() +
                    "'\ntouch \"$f\"\ncase $1 in\n"
                    "list) echo 'N slots, N rules'; cat \"$f\";;\n"
                    "set) n=$2; shift 2; grep -v \"^$n \" \"$f\" > \"$f.new\"; echo \"$n $*\" >> "
                    "\"$f.new\"; mv \"$f.new\" \"$f\";;\n"
                    "remove) grep -v \"^$2 \" \"$f\" > \"$f.new\"; mv \"$f.new\" \"$f\";;\nesac\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  std::filesystem::create_directories(options.state_dir + "/t");
  auto fix = [&](std::string command) {
    for (size_t at; (at = command.find("/usr/sbin/ugidfw")) != std::string::npos;) {
      command.replace(at, 16, fake.string());
    }
    return command;
  };
  ASSERT_EQ(Setting(run, "exec.created")->values.size(), 1u);
  ASSERT_EQ(Setting(run, "exec.poststop")->values.size(), 1u);
  const std::string created = fix(Setting(run, "exec.created")->values[0]);
  const std::string poststop = fix(Setting(run, "exec.poststop")->values[0]);
  dir.Write("rules", "7 subject uid 1 object mode n\n");
  ASSERT_EQ(RunShell(created), 0) << created;
  EXPECT_EQ(testing::ReadFile(rules),
            "7 subject uid 1 object mode n\n40 subject uid 80 jailid t object filesys " +
                run.root_path +
                "/data mode rs\n41 subject not uid root ! jailid t object type d "
                "mode rsx\n");
  ASSERT_EQ(RunShell(poststop), 0);
  EXPECT_EQ(testing::ReadFile(rules), "7 subject uid 1 object mode n\n");
  // Numbers another jail holds are never taken over, and then never removed either.
  dir.Write("rules", "41 subject uid 2 jailid other object mode n\n");
  EXPECT_NE(RunShell(created + " 2>/dev/null"), 0);
  ASSERT_EQ(RunShell(poststop), 0);
  EXPECT_EQ(testing::ReadFile(rules), "41 subject uid 2 jailid other object mode n\n");

  options.ugidfw_rule_base = 255;
  EXPECT_NE(CompileError(kBase + "mac:\n  bsdextended: [\"subject uid 1 object mode n\", "
                                 "\"subject uid 2 object mode n\"]\n",
                         options)
                .find("256 slots"),
            std::string::npos);
}

TEST(CompileTest, PortaclRulesAreMergedAndRemovedOnce) {
  testing::TempDir dir;
  CompileOptions options;
  options.state_dir = (dir.path() / "state").string();
  Artifacts a = CompileText(kBase + "mac:\n  portacl: [uid:80:tcp:80, uid:80:tcp:443]\n", options);
  EXPECT_EQ(a.portacl_rules, "uid:80:tcp:80,uid:80:tcp:443");
  // Run the real commands with a stand-in for sysctl(8) that keeps the value in a file.
  const std::filesystem::path value = dir.path() / "value";
  const std::filesystem::path fake =
      dir.Write("sysctl", "#!/bin/sh\nif [ \"$1\" = -n ]; then cat '" + value.string() +
                              "'; else printf '%s' \"${1#*=}\" > '" + value.string() + "'; fi\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  std::filesystem::create_directories(options.state_dir + "/t");
  auto fix = [&](std::string command) {
    for (size_t at; (at = command.find("/sbin/sysctl")) != std::string::npos;) {
      command.replace(at, 12, fake.string());
    }
    return command;
  };
  std::string add, remove;
  for (const std::string& c : Setting(a, "exec.prepare")->values) {
    if (c.find("security.mac.portacl.rules=") != std::string::npos) add = fix(c);
  }
  for (const std::string& c : Setting(a, "exec.release")->values) {
    if (c.find("security.mac.portacl.rules") != std::string::npos) remove = fix(c);
  }
  ASSERT_FALSE(add.empty());
  ASSERT_FALSE(remove.empty());
  dir.Write("value", "gid:1:tcp:1,uid:80:tcp:80");
  ASSERT_EQ(RunShell(add), 0);
  EXPECT_EQ(testing::ReadFile(value), "gid:1:tcp:1,uid:80:tcp:80,uid:80:tcp:80,uid:80:tcp:443");
  ASSERT_EQ(RunShell(remove), 0);
  EXPECT_EQ(testing::ReadFile(value), "gid:1:tcp:1,uid:80:tcp:80");
  ASSERT_EQ(RunShell(remove), 0);  // the marker is gone: nothing more is taken out
  EXPECT_EQ(testing::ReadFile(value), "gid:1:tcp:1,uid:80:tcp:80");
  dir.Write("value", "");
  ASSERT_EQ(RunShell(add), 0);
  EXPECT_EQ(testing::ReadFile(value), "uid:80:tcp:80,uid:80:tcp:443");
  ASSERT_EQ(RunShell(remove), 0);
  EXPECT_EQ(testing::ReadFile(value), "");
}

TEST(CompileTest, RootKinds) {
  Artifacts empty = CompileText(kBase + "filesystem: {root: {type: empty, size: 8k}}\n");
  EXPECT_EQ(empty.root_path, "/var/run/stockade/t/root");
  const auto& prepare = Setting(empty, "exec.prepare")->values;
  EXPECT_NE(std::find(prepare.begin(), prepare.end(),
                      "/bin/mkdir /var/run/stockade/t/root && /sbin/mount -t tmpfs -o "
                      "rw,mode=0755,size=8192 tmpfs /var/run/stockade/t/root"),
            prepare.end());

  Artifacts ro = CompileText(kBase +
                             "filesystem: {root: {type: directory, path: /srv/r, "
                             "readonly: true}, mounts: [/usr]}\n");
  EXPECT_EQ(ro.root_path, "/var/run/stockade/t/root");
  const std::string conf = ro.jail_conf;
  EXPECT_NE(conf.find("/sbin/mount -t nullfs -o ro /srv/r /var/run/stockade/t/root"),
            std::string::npos);
  // The operator's read-only directory is never written to: mount points must exist there.
  EXPECT_NE(conf.find("if ! { test -d /srv/r/usr; }"), std::string::npos) << conf;

  Artifacts clone = CompileText(kBase +
                                "filesystem: {root: {type: template, path: /t, "
                                "zfs_snapshot: tank/t@1, size: 1m}}\n");
  EXPECT_EQ(clone.zfs_clone, "tank/stockade/t");
  EXPECT_NE(clone.jail_conf.find("refquota=$((referenced + 1048576)) tank/t@1 tank/stockade/t"),
            std::string::npos);
  const auto& release = Setting(clone, "exec.release")->values;
  EXPECT_NE(std::find_if(release.begin(), release.end(),
                         [](const std::string& c) { return c.find("zfs destroy") != c.npos; }),
            release.end());

  Artifacts copy =
      CompileText(kBase + "filesystem: {root: {type: template, path: /t, size: 1m}}\n");
  EXPECT_NE(copy.jail_conf.find("/bin/cp -a /t/ /var/run/stockade/t/root"), std::string::npos);
}

TEST(CompileTest, HooksRunInJail8Order) {
  Artifacts a = CompileText(kBase +
                            "filesystem: {root: {type: template, path: /t, "
                            "zfs_snapshot: tank/t@1}}\nmac: {portacl: [uid:1:tcp:1]}\n"
                            "network: {mode: vnet, addresses: [10.0.0.2/24]}\n");
  std::vector<std::string> order;
  for (const JailSetting& s : a.settings) order.push_back(s.name);
  auto at = [&](const std::string& name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  EXPECT_LT(at("exec.prepare"), at("exec.prestart"));
  EXPECT_LT(at("exec.prestart"), at("exec.start"));
  EXPECT_LT(at("exec.start"), at("exec.release"));
  // Teardown undoes set-up in reverse: the network first, the root (the clone) last.
  const auto& release = Setting(a, "exec.release")->values;
  auto index = [&](const std::string& needle) {
    return std::find_if(release.begin(), release.end(),
                        [&](const std::string& c) { return c.find(needle) != c.npos; }) -
           release.begin();
  };
  EXPECT_LT(index("pfctl"), index("portacl"));
  EXPECT_LT(index("portacl"), index("zfs destroy"));
  EXPECT_LT(index("zfs destroy"), index("/bin/rmdir"));
  EXPECT_EQ(index("/bin/rmdir"), static_cast<long>(release.size()) - 1);
}

TEST(CompileTest, FreeBsd14LeavesOutWhatItLacks) {
  const std::string yaml = kBase + "jail:\n  allow.routing: {value: true, justification: x}\n";
  CompileOptions options;
  options.release = policy::FreeBsdRelease::k14;
  Artifacts a14 = CompileText(yaml, options);
  EXPECT_FALSE(Setting(a14, "allow.routing"));
  EXPECT_NE(a14.jail_conf.find("# omitted: allow.routing does not exist on FreeBSD 14"),
            std::string::npos);
  Artifacts a15 = CompileText(yaml);
  ASSERT_TRUE(Setting(a15, "allow.routing"));
  EXPECT_EQ(Setting(a15, "allow.routing")->values[0], "true");
}

TEST(CompileTest, RefusesViewsJail8CannotBuild) {
  EXPECT_NE(CompileError(kBase + "filesystem:\n  scratch: [{target: /tmp, size: 1m}]\n"
                                 "  mounts: [{source: /srv, target: /tmp/srv}]\n")
                .find("inside scratch /tmp"),
            std::string::npos);
  EXPECT_NE(CompileError(kBase + "filesystem:\n  scratch: [{target: /tmp, size: 1m}]\n"
                                 "  symlinks: [{path: /tmp/l, target: x}]\n")
                .find("inside scratch /tmp"),
            std::string::npos);
  EXPECT_NE(CompileError(kBase + "filesystem:\n  symlinks: [{path: /bin, target: usr/bin}]\n"
                                 "  mounts: [{source: /x, target: /bin/x}]\n")
                .find("below symlink /bin"),
            std::string::npos);
  EXPECT_NE(CompileError(kBase + "filesystem: {mounts: [/.stockade]}\n").find("used by both"),
            std::string::npos);
  EXPECT_NE(CompileError("version: 1\nname: t\n").find("no program"), std::string::npos);
  EXPECT_NE(
      CompileError("version: 1\nname: -t\nexec: {command: [/bin/true]}\n").find("starts with '-'"),
      std::string::npos);
  CompileOptions bad;
  bad.state_dir = "relative";
  EXPECT_NE(CompileError(kBase, bad).find("state_dir"), std::string::npos);
  bad = {};
  bad.tools_dir = "/usr/local/lib'exec";
  EXPECT_NE(CompileError(kBase, bad).find("tools_dir"), std::string::npos);
  bad = {};
  bad.zfs_clone_parent = "other/stockade";
  EXPECT_NE(CompileError(kBase + "filesystem: {root: {type: template, path: /t, "
                                 "zfs_snapshot: tank/t@1}}\n",
                         bad)
                .find("not in pool"),
            std::string::npos);
}

TEST(CompileTest, WriteArtifactsWritesEveryFile) {
  Artifacts a = CompileText(kBase);
  testing::TempDir dir;
  ASSERT_TRUE(WriteArtifacts(a, dir.path() / "out"));
  for (const auto& [name, text] : a.files) {
    EXPECT_EQ(testing::ReadFile(dir.path() / "out" / name), text);
    const auto perms = std::filesystem::status(dir.path() / "out" / name).permissions();
    EXPECT_EQ((perms & std::filesystem::perms::owner_exec) != std::filesystem::perms::none,
              name.ends_with(".sh"))
        << name;
  }
  EXPECT_FALSE(WriteArtifacts(a, dir.path() / "out" / "jail.conf" / "x"));
}

}  // namespace
}  // namespace stockade::freebsd
