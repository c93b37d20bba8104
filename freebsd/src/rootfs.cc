// SPDX-License-Identifier: BSD-2-Clause
// The jail's filesystem view: the root (a tmpfs, a directory, a ZFS clone or a copy of a
// template), the mount points and symlinks it needs, and the jail(8) 'mount' lines for nullfs
// mounts, scratch tmpfs, devfs, the tools directory and the manifest directory.
//
// jail(8) mounts 'mount' lines in order after exec.prepare and before exec.prestart, then
// mount.procfs, and checks that no component of a mount point below the jail path is a symlink
// (check_path in usr.sbin/jail/command.c). It never creates a mount point, so exec.prepare does:
// in the root when stockade owns it, never in a host directory (a mount's source or a read-only
// root), where the mount point must exist already and exec.prepare only checks it.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "generator.h"
#include "stockade/freebsd/quoting.h"

namespace stockade::freebsd::detail {
namespace {

enum class Kind : uint8_t { kNullfs, kTmpfs, kDevfs, kProcfs, kTools, kRun };

struct Provider {
  std::string target;  // inside the jail
  Kind kind = Kind::kNullfs;
  std::string source;  // kNullfs, kTools, kRun: the host directory
  bool readonly = true;
  uint64_t size = 0;  // kTmpfs
  std::string what;   // for messages: "scratch /tmp"
};

// True when `ancestor` is a proper ancestor of `path` ("/a" of "/a/b", not of "/ab").
bool IsUnder(const std::string& path, const std::string& ancestor) {
  if (ancestor == "/") return path != "/";
  return path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
         path[ancestor.size()] == '/';
}

std::string Join(const std::string& base, const std::string& inside) {
  return inside == "/" ? base : base + inside;
}

std::string Cmd(std::initializer_list<std::string_view> words) {
  std::vector<std::string> list(words.begin(), words.end());
  return ShellCommand(list);
}

// The nearest provider `path` lies in, or nullptr.
const Provider* Enclosing(const std::vector<Provider>& providers, const std::string& path) {
  const Provider* best = nullptr;
  for (const Provider& p : providers) {
    if (IsUnder(path, p.target) && (!best || p.target.size() > best->target.size())) best = &p;
  }
  return best;
}

std::string Describe(const Provider& p) { return p.what; }

class FilesystemPlanner {
 public:
  FilesystemPlanner(const policy::Policy& policy, const CompileOptions& options,
                    const Layout& layout, Hooks& hooks)
      : policy_(policy), options_(options), layout_(layout), hooks_(hooks) {}

  Expected<FilesystemPlan> Run() {
    const policy::Filesystem& fs = policy_.filesystem;
    // A root stockade may write into: its own tmpfs, clone or copy, or a directory used in place
    // read-write (the program may write there too). A read-only directory is the operator's.
    writable_root_ = !(fs.root.kind == policy::RootFs::Kind::kDirectory && fs.root.readonly);
    base_ = writable_root_ ? layout_.root : fs.root.path;
    STOCKADE_RETURN_IF_ERROR(CollectProviders());
    CreateRoot();
    STOCKADE_RETURN_IF_ERROR(MountPoints());
    STOCKADE_RETURN_IF_ERROR(Symlinks());
    FilesystemPlan plan;
    plan.zfs_clone = zfs_clone_;
    for (const Provider& p : providers_) {
      if (p.kind != Kind::kProcfs) plan.mount_lines.push_back(MountLine(p));
    }
    return plan;
  }

 private:
  Expected<void> CollectProviders() {
    const policy::Filesystem& fs = policy_.filesystem;
    auto reserve = [&](Provider p) -> Expected<void> {
      for (const Provider& other : providers_) {
        if (other.target == p.target) {
          return Error(ErrorCode::kInvalidArgument,
                       "'" + p.target + "' is used by both " + other.what + " and " + p.what);
        }
      }
      providers_.push_back(std::move(p));
      return {};
    };
    STOCKADE_RETURN_IF_ERROR(reserve({options_.tools_mount, Kind::kTools, options_.tools_dir, true,
                                      0, "stockade's tools (" + options_.tools_mount + ")"}));
    STOCKADE_RETURN_IF_ERROR(reserve({options_.run_mount, Kind::kRun, layout_.run, true, 0,
                                      "stockade's manifest (" + options_.run_mount + ")"}));
    if (fs.dev) STOCKADE_RETURN_IF_ERROR(reserve({"/dev", Kind::kDevfs, "", false, 0, "/dev"}));
    if (fs.proc) STOCKADE_RETURN_IF_ERROR(reserve({"/proc", Kind::kProcfs, "", false, 0, "/proc"}));
    for (const policy::Mount& m : fs.mounts) {
      STOCKADE_RETURN_IF_ERROR(
          reserve({m.target, Kind::kNullfs, m.source, m.readonly, 0, "mount " + m.target}));
    }
    for (const policy::Scratch& s : fs.scratch) {
      STOCKADE_RETURN_IF_ERROR(
          reserve({s.target, Kind::kTmpfs, "", false, s.size_bytes, "scratch " + s.target}));
    }
    // Parents before children: a parent path is a prefix of its children, so it sorts first.
    std::stable_sort(providers_.begin(), providers_.end(),
                     [](const Provider& a, const Provider& b) { return a.target < b.target; });
    return {};
  }

  void CreateRoot() {
    const policy::RootFs& root = policy_.filesystem.root;
    const std::string& r = layout_.root;
    const std::string size_option =
        root.size_bytes ? ",size=" + std::to_string(root.size_bytes) : std::string();
    switch (root.kind) {
      case policy::RootFs::Kind::kEmpty:
        hooks_.prepare.push_back(
            Cmd({kMkdir, r}) + " && " +
            Cmd({kMount, "-t", "tmpfs", "-o", "rw,mode=0755" + size_option, "tmpfs", r}));
        UnmountRootOnRelease();
        break;
      case policy::RootFs::Kind::kDirectory:
        if (root.readonly) {
          hooks_.prepare.push_back(Cmd({kMkdir, r}) + " && " +
                                   Cmd({kMount, "-t", "nullfs", "-o", "ro", root.path, r}));
          UnmountRootOnRelease();
        } else {
          hooks_.prepare.push_back(
              Require("test -d " + ShellQuote(r), "the root directory " + r + " does not exist"));
        }
        break;
      case policy::RootFs::Kind::kTemplate:
        if (!root.zfs_snapshot.empty()) {
          CloneTemplate(root);
        } else {
          // No snapshot: a copy of the template on a size-capped tmpfs, made for every run
          // (slow for a big template, but the program sees exactly the template and can write
          // only `size` bytes). cp(1): a source ending in '/' copies the directory's contents.
          hooks_.prepare.push_back(
              Cmd({kMkdir, r}) + " && " +
              Cmd({kMount, "-t", "tmpfs", "-o", "rw,mode=0755" + size_option, "tmpfs", r}) +
              " && " + Cmd({kCp, "-a", root.path + "/", r}));
          UnmountRootOnRelease();
        }
        break;
    }
  }

  void CloneTemplate(const policy::RootFs& root) {
    const std::string snapshot = root.zfs_snapshot;
    const std::string pool = snapshot.substr(0, snapshot.find_first_of("/@"));
    const std::string parent =
        options_.zfs_clone_parent.empty() ? pool + "/stockade" : options_.zfs_clone_parent;
    zfs_clone_ = parent + "/" + layout_.name;
    // jail(8) mounts before exec.prestart, so the clone has to exist before that: exec.prepare
    // (FreeBSD 13 and later) runs before addresses and mounts, exec.release after unmounting.
    // zfs-clone(8) -p creates the parent dataset. refquota counts every block the clone refers
    // to, the ones it shares with the snapshot included, so the cap is the snapshot's size plus
    // the writable layer the policy asks for. Sizes above 2^60 (an exbibyte) are not capped at
    // all: sh(1) arithmetic is 64-bit and they are unlimited in practice.
    if (root.size_bytes && root.size_bytes < (uint64_t{1} << 60)) {
      hooks_.prepare.push_back(
          "referenced=$(" + Cmd({kZfs, "get", "-H", "-p", "-o", "value", "referenced", snapshot}) +
          ") && " + ShellQuote(kZfs) + " clone -p -o " + ShellQuote("mountpoint=" + layout_.root) +
          " -o refquota=$((referenced + " + std::to_string(root.size_bytes) + ")) " +
          ShellQuote(snapshot) + " " + ShellQuote(zfs_clone_));
    } else {
      hooks_.prepare.push_back(
          Cmd({kZfs, "clone", "-p", "-o", "mountpoint=" + layout_.root, snapshot, zfs_clone_}));
    }
    hooks_.release.push_back("if " + Cmd({kZfs, "list", "-H", "-o", "name", zfs_clone_}) +
                             " >/dev/null 2>&1; then " + Cmd({kZfs, "destroy", zfs_clone_}) +
                             " || echo " + ShellQuote("stockade: could not destroy " + zfs_clone_) +
                             " >&2; fi");
  }

  void UnmountRootOnRelease() {
    // Teardown commands tolerate work already done: stop.sh runs them again after a failed
    // start. Never 'rm -r': a root that failed to unmount still shows host data.
    hooks_.release.push_back(Cmd({kUmount, layout_.root}) + " 2>/dev/null || true");
  }

  Expected<void> MountPoints() {
    std::vector<std::string> create = {std::string(kMkdir), "-p"};
    for (const Provider& p : providers_) {
      STOCKADE_RETURN_IF_ERROR(NotUnderSymlink(p.target, p.what));
      const Provider* outer = Enclosing(providers_, p.target);
      if (!outer && writable_root_) {
        create.push_back(base_ + p.target);
      } else if (!outer) {
        RequireDirectory(base_ + p.target, p.target);
      } else if (outer->kind == Kind::kNullfs) {
        RequireDirectory(outer->source + p.target.substr(outer->target.size()), p.target);
      } else {
        return Error(ErrorCode::kInvalidArgument,
                     "the mount point of " + p.what + " lies inside " + Describe(*outer) +
                         ", which is mounted empty: jail(8) cannot create it; move it out");
      }
    }
    if (create.size() > 2) hooks_.prepare.push_back(ShellCommand(create));
    return {};
  }

  Expected<void> Symlinks() {
    for (const policy::Symlink& link : policy_.filesystem.symlinks) {
      STOCKADE_RETURN_IF_ERROR(NotUnderSymlink(link.path, "symlink " + link.path));
      const Provider* outer = Enclosing(providers_, link.path);
      std::string host;
      bool create = false;
      if (!outer) {
        host = base_ + link.path;
        create = writable_root_;
      } else if (outer->kind == Kind::kNullfs) {
        host = outer->source + link.path.substr(outer->target.size());
      } else {
        return Error(ErrorCode::kInvalidArgument, "symlink " + link.path + " lies inside " +
                                                      Describe(*outer) +
                                                      ", which is mounted empty: move it out");
      }
      const std::string test = "test -L " + ShellQuote(host) + " && test \"$(" +
                               Cmd({kReadlink, host}) + ")\" = " + ShellQuote(link.target);
      if (create) {
        // ln(1) given an existing directory would make the link inside it: anything else in
        // the link's place fails the hook instead.
        const std::string parent = host.substr(0, host.rfind('/'));
        hooks_.prepare.push_back(
            Cmd({kMkdir, "-p", parent}) + " && if " + test + "; then :; elif test -e " +
            ShellQuote(host) + " || test -L " + ShellQuote(host) + "; then echo " +
            ShellQuote("stockade: symlink " + link.path + " is taken by something else at " +
                       host) +
            " >&2; exit 1; else " + Cmd({kLn, "-s", link.target, host}) + "; fi");
      } else {
        hooks_.prepare.push_back(Require(test, "symlink " + link.path + " must exist as " + host +
                                                   " pointing to " + link.target));
      }
    }
    return {};
  }

  // Checks that no symlink of the policy is a proper ancestor of `path`: jail(8) refuses mount
  // points below a symlink, and a symlink below a symlink would be created outside the view.
  Expected<void> NotUnderSymlink(const std::string& path, const std::string& what) {
    for (const policy::Symlink& link : policy_.filesystem.symlinks) {
      if (IsUnder(path, link.path)) {
        return Error(ErrorCode::kInvalidArgument,
                     what + " lies below symlink " + link.path + ": use the path it points to");
      }
    }
    return {};
  }

  // A mount point in a directory stockade does not own (a mount's source, a read-only root)
  // must exist already: stockade does not change the operator's directories.
  void RequireDirectory(const std::string& host, const std::string& inside) {
    hooks_.prepare.push_back(Require("test -d " + ShellQuote(host),
                                     "mount point " + inside + " must exist as directory " + host));
  }

  std::string MountLine(const Provider& p) const {
    const std::string on = FstabEscape(Join(layout_.root, p.target));
    switch (p.kind) {
      case Kind::kNullfs:
      case Kind::kTools:
      case Kind::kRun:
        return FstabEscape(p.source) + " " + on + " nullfs " + (p.readonly ? "ro" : "rw") + " 0 0";
      case Kind::kTmpfs:
        // Mode 1777 like /tmp: the program's user owns nothing else in the jail, and tmpfs(5)
        // takes only numeric uid= values while the policy may name the user.
        return "tmpfs " + on + " tmpfs rw,mode=1777" +
               (p.size ? ",size=" + std::to_string(p.size) : std::string()) + " 0 0";
      case Kind::kDevfs:
        // A devfs of its own, with stockade's ruleset applied at mount (mount_devfs ruleset=).
        return "devfs " + on + " devfs ruleset=" + std::to_string(options_.devfs_ruleset) + " 0 0";
      case Kind::kProcfs:
        break;
    }
    return "";
  }

  const policy::Policy& policy_;
  const CompileOptions& options_;
  const Layout& layout_;
  Hooks& hooks_;
  std::vector<Provider> providers_;
  bool writable_root_ = true;
  std::string base_;
  std::string zfs_clone_;
};

}  // namespace

Expected<FilesystemPlan> PlanFilesystem(const policy::Policy& policy, const CompileOptions& options,
                                        const Layout& layout, Hooks& hooks) {
  return FilesystemPlanner(policy, options, layout, hooks).Run();
}

std::string Require(std::string_view condition, std::string_view message) {
  return "if ! { " + std::string(condition) + "; }; then echo " +
         ShellQuote("stockade: " + std::string(message)) + " >&2; exit 1; fi";
}

}  // namespace stockade::freebsd::detail
