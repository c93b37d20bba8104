// SPDX-License-Identifier: BSD-2-Clause
// The FreeBSD code generator: one checked policy in, every artifact an operator needs to run it
// in a jail out (jail.conf stanza and the equivalent `jail -c` argv, rctl rules, ugidfw rules,
// the mac_portacl rule string, a pf anchor, devfs rules, the launcher manifest, start.sh and
// stop.sh). Portable: it only produces strings; nothing here touches the host.
//
// How the pieces fit (docs/freebsd.md walks an operator through it):
//   start.sh  -> jail -f jail.conf -c NAME   jail(8) runs, in this order (jail(8), startcommands
//                of usr.sbin/jail/jail.c): exec.prepare, mount, mount.procfs, exec.prestart,
//                creation, exec.created, vnet.interface, exec.start
//             -> jexec NAME /.stockade/stockade-launch /.stockade-run/manifest   (the program)
//   stop.sh   -> jail -f jail.conf -r NAME   exec.poststop, unmounts, exec.release
//             -> the poststop and release commands again, which are idempotent, so that a
//                failed start leaves nothing behind.

#ifndef STOCKADE_FREEBSD_COMPILE_H_
#define STOCKADE_FREEBSD_COMPILE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/names.h"

namespace stockade::freebsd {

// Where things live on the FreeBSD host, and the numbers stockade takes from host-wide spaces
// (devfs rulesets, ugidfw rule slots). Every path must be absolute and made only of
// [A-Za-z0-9_./-]; Compile refuses other values (kInvalidArgument).
struct CompileOptions {
  policy::FreeBsdRelease release = policy::kNewestFreeBsd;
  // Per-jail runtime state: STATE/NAME/root is the jail's path (unless the root is a directory
  // used in place) and STATE/NAME/run holds the launcher manifest.
  std::string state_dir = "/var/run/stockade";
  // The host directory holding stockade-launch and the preopen library (built under
  // freebsd/platform/ and freebsd/preopen/), mounted read-only at tools_mount in every jail.
  std::string tools_dir = "/usr/local/libexec/stockade";
  std::string tools_mount = "/.stockade";
  std::string launcher = "stockade-launch";
  std::string preopen_library = "libstockade-preopen.so";
  // STATE/NAME/run, mounted read-only here: the manifest is run_mount + "/manifest".
  std::string run_mount = "/.stockade-run";
  // The devfs ruleset for 'filesystem.dev: true' (hide everything, unhide null zero full random
  // urandom tty). One number for every stockade jail: the rules are the same for all of them.
  int devfs_ruleset = 5300;
  // ugidfw rule numbers: rule i of mac.bsdextended is number ugidfw_rule_base + i. Give each
  // jail with MAC rules its own range; mac_bsdextended has 256 slots (0..255).
  int ugidfw_rule_base = 100;
  // pf anchors are ANCHOR_ROOT/NAME; pf.conf must hold 'anchor "ANCHOR_ROOT/*"'.
  std::string pf_anchor_root = "stockade";
  // Parent dataset of template clones; empty: POOL/stockade in the snapshot's pool.
  std::string zfs_clone_parent;
};

// One parameter as jail.conf and `jail -c` carry it: several values for the multi-valued
// jail(8) parameters (exec.*, mount, vnet.interface), one for every other.
struct JailSetting {
  std::string name;  // exactly as jail(8) spells it
  std::vector<std::string> values;
  bool jail8 = false;  // a jail(8) pseudo-parameter (never passed to jail_set(2))
};

struct UgidfwRule {
  int number = 0;
  std::vector<std::string> words;  // "subject" ... "mode" "rs": ugidfw set NUMBER words...
};

struct Artifacts {
  std::string name;  // the jail name
  policy::FreeBsdRelease release = policy::kNewestFreeBsd;
  std::string root_path;  // the jail's path
  std::vector<JailSetting> settings;
  std::string jail_conf;                // the stanza, with a header comment
  std::vector<std::string> jail_argv;   // "jail", "-c", "name=NAME", "path=...", ...
  std::vector<std::string> rctl_rules;  // "jail:NAME:memoryuse:deny=536870912"
  std::vector<UgidfwRule> ugidfw_rules;
  std::string portacl_rules;           // the elements this jail adds to security.mac.portacl.rules
  std::string pf_anchor;               // "stockade/NAME"; empty without vnet
  std::string pf_rules;                // the anchor's rules, one per line
  std::string epair_host, epair_jail;  // the epair ends (host side, jail side); empty without vnet
  std::string zfs_clone;               // the clone dataset; empty unless a ZFS template
  std::string manifest;                // launch::WriteManifest output
  std::vector<std::string> launch_command;  // jexec NAME launcher manifest
  // Every file WriteArtifacts writes, by name, in a fixed order: jail.conf, jail-c.sh,
  // launch.manifest, start.sh, stop.sh, README, and when used rctl.conf, ugidfw.rules,
  // portacl.rules, pf.anchor, devfs.rules.
  std::vector<std::pair<std::string, std::string>> files;
};

// Compiles a checked policy for FreeBSD. Fails (kInvalidArgument) when the options are invalid,
// when the policy has no exec.command (the manifest needs a program), or when the filesystem
// view cannot be built by jail(8): a mount point or symlink inside a scratch tmpfs or under a
// symlink, a target on tools_mount/run_mount, more ugidfw rules than slots from the base, a
// zfs_clone_parent in another pool, a jail name starting with '-' (jail(8) would take it for an
// option). Does not refuse approximations: callers run Assess and
// enforce::CheckEnforceable first. Parameters FreeBSD 14 lacks are left out for a 14 target.
Expected<Artifacts> Compile(const policy::Policy& policy, const CompileOptions& options = {});

// Writes artifacts.files into `dir` (created if missing); scripts get mode 0755, the rest
// 0644. Fails with the OS error of the first file that cannot be written.
Expected<void> WriteArtifacts(const Artifacts& artifacts, const std::filesystem::path& dir);

// "freebsd14" or "freebsd15".
std::string ReleaseName(policy::FreeBsdRelease release);

}  // namespace stockade::freebsd

#endif  // STOCKADE_FREEBSD_COMPILE_H_
