// SPDX-License-Identifier: BSD-2-Clause
// Plain-word descriptions of what a checked policy grants, clause by clause.

#include "stockade/policy/describe.h"

#include <cstdio>
#include <map>
#include <set>

#include "stockade/policy/names.h"
#include "stockade/policy/render.h"

namespace stockade::policy {
namespace {

std::string Hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "%#llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string Bytes(uint64_t bytes) {
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {uint64_t{1} << 60, "E"}, {uint64_t{1} << 50, "P"}, {uint64_t{1} << 40, "T"},
      {uint64_t{1} << 30, "G"}, {uint64_t{1} << 20, "M"}, {uint64_t{1} << 10, "K"}};
  for (const auto& [size, suffix] : kUnits) {
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + suffix;
  }
  return std::to_string(bytes) + " bytes";
}

std::string Duration(uint64_t ms) {
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + " h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + " min";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string Join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string ActionText(const Action& action, Target target) {
  switch (action.kind) {
    case ActionKind::kAllow:
      return "allow";
    case ActionKind::kKillProcess:
      return "kill the process";
    case ActionKind::kTrap:
      return "deliver SIGSYS (trap)";
    case ActionKind::kLog:
      return "allow and log";
    case ActionKind::kErrno:
      return "fail with " + action.errno_name + " (" + std::to_string(action.errno_value[target]) +
             ")";
  }
  return "";
}

std::string ConditionText(const ArgCondition& c) {
  std::string arg = "arg" + std::to_string(c.arg);
  if (c.op == CmpOp::kMaskedEq) return arg + " & " + Hex(c.mask) + " == " + Hex(c.value);
  return arg + " " + std::string(CmpOpSpelling(c.op)) + " " + Hex(c.value);
}

std::string RuleText(const SyscallRule& rule) {
  std::vector<std::string> conditions;
  for (const ArgCondition& c : rule.conditions) {
    conditions.push_back(ConditionText(c) + " [" + c.text + "]");
  }
  return rule.name + " when " + Join(conditions, " and ");
}

std::string OpenFlagsText(uint32_t flags) {
  std::vector<std::string> names;
  names.push_back((flags & kOpenRead) && (flags & kOpenWrite) ? "O_RDWR"
                  : (flags & kOpenWrite)                      ? "O_WRONLY"
                                                              : "O_RDONLY");
  static constexpr std::pair<uint32_t, const char*> kFlags[] = {
      {kOpenAppend, "O_APPEND"},  {kOpenCreate, "O_CREAT"},        {kOpenTruncate, "O_TRUNC"},
      {kOpenExclusive, "O_EXCL"}, {kOpenDirectory, "O_DIRECTORY"}, {kOpenNoFollow, "O_NOFOLLOW"},
      {kOpenSync, "O_SYNC"},      {kOpenNonBlock, "O_NONBLOCK"},   {kOpenExec, "O_EXEC"}};
  for (const auto& [bit, name] : kFlags) {
    if (flags & bit) names.push_back(name);
  }
  return Join(names, "|");
}

std::string RightsText(const RightSet& rights) {
  std::array<std::string_view, 128> names;
  const size_t count = RightNames(rights, names);
  if (count == 0) return "no rights at all";
  std::vector<std::string> list;
  for (size_t i = 0; i < count && i < names.size(); ++i) list.emplace_back(names[i]);
  return Join(list);
}

std::string JailSysText(JailSys value, std::string_view what) {
  switch (value) {
    case JailSys::kNew:
      return std::string(what) + ": new (a private key namespace)";
    case JailSys::kInherit:
      return std::string(what) + ": inherit (the host's objects are shared)";
    case JailSys::kDisable:
      return std::string(what) + ": disable (the calls fail)";
  }
  return "";
}

class Describer {
 public:
  Describer(const Policy& policy, Target target) : p_(policy), target_(target) {}

  std::vector<ClauseDescription> Run() {
    Identity();
    ExecClause();
    Syscalls();
    Descriptors();
    Ipc();
    JailClause();
    FilesystemClause();
    NetworkClause();
    Limits();
    MacClause();
    Approximations();
    // Lines quote policy values, and a quoted YAML scalar can hold any code point ("\e[2J",
    // "\u202e"): explain shows them as the diagnostics do (found by fuzz/policy_load_fuzzer.cc).
    for (ClauseDescription& clause : out_) {
      clause.title = Printable(clause.title);
      for (std::string& line : clause.lines) line = Printable(line);
    }
    return std::move(out_);
  }

 private:
  ClauseDescription& Add(std::string clause, std::string title, SourceSpan span) {
    out_.push_back({std::move(clause), std::move(title), span, {}});
    return out_.back();
  }

  void Identity() {
    auto& c =
        Add("hostname", "Identity", p_.hostname_span.valid() ? p_.hostname_span : p_.name_span);
    c.lines.push_back("sandbox name '" + p_.name + "', hostname '" + p_.hostname + "'" +
                      (p_.hostname_span.valid() ? "" : " (the name, by default)"));
  }

  void ExecClause() {
    const Exec& e = p_.exec;
    auto& c = Add("exec.user", "Program start", e.user_span);
    c.lines.push_back("runs as user '" + e.user + "'" + (e.user_span.valid() ? "" : " (default)") +
                      ", group " +
                      (e.group.empty() ? "the user's primary group" : "'" + e.group + "'") +
                      "; supplementary groups are cleared");
    c.lines.push_back("working directory " + e.workdir);
    if (e.env_clean) {
      std::vector<std::string> set;
      for (const EnvVar& var : e.env_set) set.push_back(var.name + "=" + var.value);
      std::vector<std::string> keep(e.env_keep.begin(), e.env_keep.end());
      c.lines.push_back("environment cleared; kept from the caller: " +
                        (keep.empty() ? std::string("nothing") : Join(keep)) +
                        "; set: " + (set.empty() ? std::string("nothing") : Join(set)));
    } else {
      c.lines.push_back("environment: the caller's whole environment passes through");
    }
    c.lines.push_back(e.timeout_ms
                          ? "killed after " + Duration(*e.timeout_ms) + " of wall-clock time"
                          : "no wall-clock timeout");
    c.lines.push_back(e.core_dumps ? "core dumps allowed" : "core dumps off");
    if (!e.command.empty()) c.lines.push_back("default command: " + Join(e.command, " "));
  }

  void Syscalls() {
    const SyscallFilter& f = p_.syscalls[target_];
    auto& c = Add("syscalls", "System calls (" + std::string(TargetName(target_)) + ")", f.span);
    if (!f.present) {
      c.lines.push_back("no syscall filter: every syscall is allowed");
      return;
    }
    c.lines.push_back("any syscall no rule matches: " + ActionText(f.default_action, target_));
    std::set<std::string> denied;
    for (const SyscallRule& rule : f.deny) {
      if (rule.conditions.empty()) denied.insert(rule.name);
    }
    std::set<std::string> unconditional;
    std::vector<std::string> conditional;
    for (const SyscallRule& rule : f.allow) {
      if (denied.count(rule.name)) continue;  // deny wins: not granted
      if (rule.conditions.empty()) {
        unconditional.insert(rule.name);
      } else {
        conditional.push_back(RuleText(rule));
      }
    }
    c.lines.push_back("allowed (" + std::to_string(unconditional.size()) + "): " +
                      (unconditional.empty() ? std::string("none")
                                             : Join({unconditional.begin(), unconditional.end()})));
    for (const std::string& rule : conditional) c.lines.push_back("allowed only " + rule);
    for (const SyscallRule& rule : f.deny) {
      c.lines.push_back("denied: " + (rule.conditions.empty() ? rule.name : RuleText(rule)) +
                        " -> " + ActionText(rule.action, target_));
    }
    std::map<std::string, size_t> groups;
    for (const SyscallRule& rule : f.allow) {
      if (!rule.group.empty()) ++groups[rule.group];
    }
    for (const auto& [group, count] : groups) {
      c.lines.push_back(group + " contributed " + std::to_string(count) + " syscalls");
    }
    if (target_ == Target::kLinux) {
      c.lines.push_back(
          "syscall numbers above " + std::to_string(kLinuxHighestKnownSyscall) +
          " (unknown to libseccomp 2.5.4, newer than its table) always " +
          (f.default_action.kind == ActionKind::kAllow || f.default_action.kind == ActionKind::kLog
               ? std::string("fail with ENOSYS")
               : "take the default action: " + ActionText(f.default_action, target_)));
    }
  }

  void Descriptors() {
    auto& c = Add("descriptors", "Descriptors (Capsicum)",
                  p_.descriptors.empty() ? SourceSpan{} : p_.descriptors.front().span);
    std::set<int> listed;
    for (const Descriptor& d : p_.descriptors) {
      listed.insert(d.fd);
      static constexpr const char* kStdio[] = {"stdin", "stdout", "stderr"};
      std::string line = "fd " + std::to_string(d.fd);
      if (d.fd <= 2) {
        line += std::string(" (") + kStdio[d.fd] + ", inherited)";
      } else {
        line += ": " + d.path + " (" +
                (d.kind == Descriptor::Kind::kDirectory ? "directory" : "file") + ", " +
                OpenFlagsText(d.open_flags) + ")";
      }
      line += d.rights ? "; rights: " + RightsText(*d.rights) : "; rights: not limited";
      if (d.ioctls) {
        std::vector<std::string> names;
        for (const IoctlCommand& command : d.ioctls.value()) {
          const auto& value = command.value[target_];
          names.push_back(command.name +
                          (value ? " (" + Hex(*value) + ")" : " (not on this target)"));
        }
        line += "; ioctls: " + (names.empty() ? std::string("none") : Join(names));
      }
      if (d.fcntls) {
        std::vector<std::string> names;
        for (const FcntlRightInfo& right : kFcntlRights) {
          if (right.name != "CAP_FCNTL_ALL" && (*d.fcntls & right.mask)) {
            names.emplace_back(right.command);
          }
        }
        line += "; fcntl commands: " + (names.empty() ? std::string("none") : Join(names));
      }
      c.lines.push_back(line);
    }
    for (int fd = 0; fd <= 2; ++fd) {
      if (!listed.count(fd)) {
        c.lines.push_back("fd " + std::to_string(fd) + " is inherited with every right");
      }
    }
    c.lines.push_back("every other inherited descriptor is closed before the program starts");
    auto& mode = Add("capability_mode", "Capability mode", p_.capability_mode_span);
    mode.lines.push_back(
        p_.capability_mode
            ? "enters capability mode: no absolute paths, no other processes, no new sockets by "
              "address; lookups only beneath directory descriptors with CAP_LOOKUP"
            : "does not enter capability mode");
  }

  void Ipc() {
    const struct Ipc& ipc = p_.ipc;
    auto& c = Add("sysvshm", "SysV IPC",
                  ipc.sysvshm_span.valid() ? ipc.sysvshm_span : ipc.allow_sysvipc_span);
    if (ipc.allow_sysvipc) {
      c.lines.push_back(std::string("allow.sysvipc: ") + (*ipc.allow_sysvipc ? "true" : "false") +
                        " (deprecated; it stands for the values below)");
    }
    c.lines.push_back(JailSysText(ipc.sysvshm, "sysvshm (shared memory)"));
    c.lines.push_back(JailSysText(ipc.sysvmsg, "sysvmsg (message queues)"));
    c.lines.push_back(JailSysText(ipc.sysvsem, "sysvsem (semaphores)"));
  }

  void JailClause() {
    const Jail& j = p_.jail;
    auto& c = Add("securelevel", "Jail privileges", j.securelevel_span);
    c.lines.push_back("securelevel " + std::to_string(j.securelevel) +
                      (j.securelevel_span.valid() ? "" : " (default)"));
    c.lines.push_back("enforce_statfs " + std::to_string(j.enforce_statfs) +
                      (j.enforce_statfs == 2   ? " (only the jail's own mount is visible)"
                       : j.enforce_statfs == 1 ? " (mounts below the root are visible)"
                                               : " (every mount is visible)"));
    c.lines.push_back("children.max " + std::to_string(j.children_max) +
                      (j.children_max == 0 ? " (no nested sandboxes)" : " nested sandboxes"));
    if (j.devfs_ruleset) c.lines.push_back("devfs_ruleset " + std::to_string(*j.devfs_ruleset));
    for (const JailFlag& flag : j.allow) {
      c.lines.push_back(flag.name + " = " + (flag.value ? "true" : "false"));
    }
    for (const JailParam& param : j.params) c.lines.push_back(param.name + " = " + param.value);
  }

  void FilesystemClause() {
    const Filesystem& fs = p_.filesystem;
    auto& c = Add("filesystem.root", "Filesystem view", fs.root.span);
    switch (fs.root.kind) {
      case RootFs::Kind::kEmpty:
        c.lines.push_back("root: a fresh empty tmpfs" + (fs.root.size_bytes
                                                             ? " of " + Bytes(fs.root.size_bytes)
                                                             : std::string()));
        break;
      case RootFs::Kind::kDirectory:
        c.lines.push_back("root: the directory " + fs.root.path +
                          (fs.root.readonly ? ", read-only" : ", writable"));
        break;
      case RootFs::Kind::kTemplate:
        c.lines.push_back(
            "root: a per-run clone of " + fs.root.path +
            (fs.root.zfs_snapshot.empty() ? "" : " (ZFS " + fs.root.zfs_snapshot + ")") +
            ", thrown away afterwards" +
            (fs.root.size_bytes ? "; writes capped at " + Bytes(fs.root.size_bytes)
                                : std::string()));
        break;
    }
    for (const Mount& m : fs.mounts) {
      c.lines.push_back("host " + m.source + " visible at " + m.target +
                        (m.readonly ? ", read-only" : ", writable"));
    }
    for (const Scratch& s : fs.scratch) {
      c.lines.push_back("scratch space at " + s.target + ", at most " + Bytes(s.size_bytes));
    }
    for (const Symlink& s : fs.symlinks) c.lines.push_back("symlink " + s.path + " -> " + s.target);
    c.lines.push_back(fs.proc ? "/proc shows the sandbox's own processes" : "no /proc");
    c.lines.push_back(fs.dev ? "/dev holds null, zero, full, random, urandom and tty" : "no /dev");
    c.lines.push_back("nothing else of the host is visible");
  }

  void NetworkClause() {
    const Network& n = p_.network;
    auto& c = Add("network", "Network", n.span);
    switch (n.mode) {
      case Network::Mode::kNone:
        c.lines.push_back("no network: a private stack with only loopback");
        break;
      case Network::Mode::kHost:
        c.lines.push_back("the host's network stack, shared");
        break;
      case Network::Mode::kVnet: {
        std::vector<std::string> addresses;
        for (const Cidr& a : n.addresses) addresses.push_back(a.text);
        c.lines.push_back("a private stack with a virtual link to the host; addresses " +
                          Join(addresses) + (n.gateway ? "; gateway " + n.gateway->text : ""));
        if (n.egress.empty()) c.lines.push_back("egress: nothing may leave the sandbox");
        for (const EgressRule& e : n.egress) {
          c.lines.push_back(std::string("egress allowed: ") +
                            (e.protocol == Protocol::kTcp ? "tcp" : "udp") + " to " + e.to.text +
                            " port " + std::to_string(e.port_low) +
                            (e.port_high != e.port_low ? "-" + std::to_string(e.port_high) : ""));
        }
        break;
      }
    }
  }

  void Limits() {
    auto& c = Add("limits", "Resource limits (rctl)",
                  p_.limits.empty() ? SourceSpan{} : p_.limits.front().span);
    if (p_.limits.empty()) c.lines.push_back("no resource limits");
    for (const Limit& limit : p_.limits) {
      const RctlResourceInfo* info = FindRctlResource(limit.resource);
      std::string amount = std::to_string(limit.amount);
      if (info && (info->unit == RctlUnit::kBytes || info->unit == RctlUnit::kBytesPerSecond)) {
        amount = Bytes(limit.amount);
      }
      static constexpr const char* kActions[] = {"deny", "log", "devctl", "sig", "throttle"};
      std::string action = kActions[static_cast<int>(limit.action)];
      if (limit.action == LimitAction::kSignal) action += limit.signal;
      c.lines.push_back(limit.resource + ":" + action + "=" + amount +
                        (info ? " (" + std::string(info->meaning) + ")" : ""));
    }
  }

  void MacClause() {
    if (p_.mac.bsdextended.empty() && p_.mac.portacl.empty()) return;
    auto& c = Add("mac.bsdextended", "MAC rules",
                  !p_.mac.bsdextended.empty() ? p_.mac.bsdextended.front().span
                                              : p_.mac.portacl.front().span);
    c.lines.push_back(std::to_string(p_.mac.bsdextended.size()) +
                      " mac_bsdextended rules, scoped to this jail");
    for (const PortAclRule& rule : p_.mac.portacl) {
      c.lines.push_back(std::string("port ") + std::to_string(rule.port) + "/" +
                        (rule.protocol == Protocol::kTcp ? "tcp" : "udp") + " may be bound by " +
                        (rule.by_uid ? "uid " : "gid ") + std::to_string(rule.id));
    }
  }

  void Approximations() {
    if (p_.accept_approximate.empty()) return;
    auto& c =
        Add("accept_approximate", "Accepted approximations", p_.accept_approximate.front().span);
    for (const Acceptance& a : p_.accept_approximate) {
      c.lines.push_back(a.clause + " on " + (a.backend.empty() ? "every backend" : a.backend) +
                        (a.not_enforced ? " (even where it is not enforced at all)" : "") + ": " +
                        a.justification);
    }
  }

  const Policy& p_;
  Target target_;
  std::vector<ClauseDescription> out_;
};

}  // namespace

std::vector<ClauseDescription> DescribePolicy(const Policy& policy, Target target) {
  return Describer(policy, target).Run();
}

}  // namespace stockade::policy
