// SPDX-License-Identifier: BSD-2-Clause
// What the pieces of the FreeBSD generator share: the jail's names and paths, the jail(8) hooks
// being assembled, and one entry point per piece (filesystem, network, host rules, scripts).

#ifndef STOCKADE_FREEBSD_SRC_GENERATOR_H_
#define STOCKADE_FREEBSD_SRC_GENERATOR_H_

#include <string>
#include <string_view>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/freebsd/compile.h"
#include "stockade/policy/ir.h"

namespace stockade::freebsd::detail {

// Names and host paths of one jail, fixed before anything is generated.
struct Layout {
  std::string name;
  std::string state;     // STATE/NAME, mode 0700: the jail root must not be reachable by
                         // unprivileged host users (jail(8), NOTES)
  std::string root;      // the jail's path
  bool own_root = true;  // root is STATE/NAME/root (false: a directory used in place)
  std::string run;       // STATE/NAME/run, mounted read-only at run_mount
  std::string launcher;  // inside the jail
  std::string manifest;  // inside the jail
};

// The jail(8) commands, by hook, in the order each hook runs them. Host-side hooks run
// /bin/sh -c for any command with a shell metacharacter (usr.sbin/jail/command.c), which all
// compound commands here have.
struct Hooks {
  std::vector<std::string> prepare;   // host, before addresses and mounts (FreeBSD 13+)
  std::vector<std::string> prestart;  // host, after mounts, before creation
  std::vector<std::string> created;   // host, after creation, before anything runs inside
  std::vector<std::string> start;     // inside the jail, as root, before the program
  std::vector<std::string> poststop;  // host, after removal
  std::vector<std::string> release;   // host, after unmounting (FreeBSD 13+)
};

// What the filesystem view adds: the jail(8) 'mount' lines, in mount order.
struct FilesystemPlan {
  std::vector<std::string> mount_lines;
  std::string zfs_clone;
};

// Root, mount points, symlinks, mounts, scratch, /dev and /proc. Adds the root's creation to
// hooks.prepare and its removal to hooks.release.
Expected<FilesystemPlan> PlanFilesystem(const policy::Policy& policy, const CompileOptions& options,
                                        const Layout& layout, Hooks& hooks);

// vnet, epair and the pf anchor; fills artifacts.pf_anchor, pf_rules, epair_host, epair_jail.
void PlanNetwork(const policy::Policy& policy, const CompileOptions& options, const Layout& layout,
                 Hooks& hooks, Artifacts& artifacts);

// rctl rules, ugidfw rules, mac_portacl, devfs ruleset; fills the matching artifact fields.
Expected<void> PlanHostRules(const policy::Policy& policy, const CompileOptions& options,
                             const Layout& layout, Hooks& hooks, Artifacts& artifacts);

// The devfs.rules(5) section for the minimal /dev, and the devfs(8) commands that load it.
std::string DevfsRulesFile(int ruleset);
std::vector<std::string> DevfsRuleCommands(int ruleset);

// start.sh, stop.sh, jail-c.sh and README.
std::string StartScript(const Artifacts& artifacts, const policy::Policy& policy);
std::string StopScript(const Artifacts& artifacts, const Hooks& hooks, const Layout& layout);
std::string JailArgvScript(const Artifacts& artifacts);
std::string Readme(const Artifacts& artifacts, const policy::Policy& policy,
                   const CompileOptions& options, const Layout& layout,
                   const enforce::Assessment& assessment);

// A host command that fails the hook with a message when `condition` (an sh(1) command list,
// "test -d /x") fails.
std::string Require(std::string_view condition, std::string_view message);

// Absolute paths of the host tools the hooks use: hooks inherit the environment of whoever runs
// jail(8), so PATH cannot be relied on.
inline constexpr std::string_view kMkdir = "/bin/mkdir";
inline constexpr std::string_view kRmdir = "/bin/rmdir";
inline constexpr std::string_view kRm = "/bin/rm";
inline constexpr std::string_view kLn = "/bin/ln";
inline constexpr std::string_view kCp = "/bin/cp";
inline constexpr std::string_view kChmod = "/bin/chmod";
inline constexpr std::string_view kMount = "/sbin/mount";
inline constexpr std::string_view kUmount = "/sbin/umount";
inline constexpr std::string_view kZfs = "/sbin/zfs";
inline constexpr std::string_view kSysctl = "/sbin/sysctl";
inline constexpr std::string_view kIfconfig = "/sbin/ifconfig";
inline constexpr std::string_view kRoute = "/sbin/route";
inline constexpr std::string_view kPfctl = "/sbin/pfctl";
inline constexpr std::string_view kDevfs = "/sbin/devfs";
inline constexpr std::string_view kRctl = "/usr/bin/rctl";
inline constexpr std::string_view kUgidfw = "/usr/sbin/ugidfw";
inline constexpr std::string_view kReadlink = "/usr/bin/readlink";

}  // namespace stockade::freebsd::detail

#endif  // STOCKADE_FREEBSD_SRC_GENERATOR_H_
