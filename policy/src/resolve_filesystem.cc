// SPDX-License-Identifier: BSD-2-Clause
// The 'filesystem' section: the root (empty, a directory, or a template cloned per run),
// read-only shared mounts, size-capped scratch space, symlinks, /proc and /dev.

#include <map>
#include <regex>

#include "resolver.h"

namespace stockade::policy::detail {
namespace {

class FilesystemResolver {
 public:
  FilesystemResolver(Resolver& r, Filesystem& fs) : r_(r), fs_(fs) {}

  void Resolve(const Node& node) {
    if (!r_.ExpectMapping(node, "'filesystem'")) return;
    r_.CheckKeys(node, {"root", "mounts", "scratch", "symlinks", "proc", "dev"}, "in 'filesystem'");
    fs_.span = node.span;
    // /proc and /dev are claimed before the entries: a mount on one of them is the entry at
    // fault, and the note says where the implicit one comes from.
    ReadSpecial(node, "proc", "/proc", "procfs", fs_.proc);
    ReadSpecial(node, "dev", "/dev", "devfs", fs_.dev);
    if (const Node* root = node.Find("root")) ReadRoot(*root);
    if (const Node* mounts = node.Find("mounts");
        mounts && r_.ExpectSequence(*mounts, "'filesystem.mounts'")) {
      for (const Node& item : mounts->items) ReadMount(item);
    }
    if (const Node* scratch = node.Find("scratch");
        scratch && r_.ExpectSequence(*scratch, "'filesystem.scratch'")) {
      for (const Node& item : scratch->items) ReadScratch(item);
    }
    if (const Node* symlinks = node.Find("symlinks");
        symlinks && r_.ExpectSequence(*symlinks, "'filesystem.symlinks'")) {
      for (const Node& item : symlinks->items) ReadSymlink(item);
    }
  }

 private:
  void ReadSpecial(const Node& node, std::string_view key, const std::string& path,
                   std::string_view what, bool& value) {
    const std::string clause = "'filesystem." + std::string(key) + "'";
    if (const Node* flag = node.Find(key)) {
      if (auto on = r_.Bool(*flag, clause)) {
        value = *on;
        if (value) {
          Claim(path, flag->span, "the sandbox's own " + std::string(what) + " is mounted there");
        }
      }
    } else {
      Claim(path, node.span,
            "the sandbox's own " + std::string(what) + " is mounted there (" + clause +
                " is true by default)");
    }
  }

  void ReadRoot(const Node& node) {
    if (!r_.ExpectMapping(node, "'filesystem.root'")) return;
    r_.CheckKeys(node, {"type", "path", "zfs_snapshot", "readonly", "size"},
                 "in 'filesystem.root'");
    RootFs& root = fs_.root;
    root.span = node.span;
    std::string type = "empty";
    if (const Node* t = node.Find("type")) {
      std::optional<std::string> word =
          r_.Choice(*t, "'filesystem.root.type'", {"empty", "directory", "template"});
      if (!word) return;
      type = *word;
      root.span = t->span;
    }
    root.kind = type == "directory"  ? RootFs::Kind::kDirectory
                : type == "template" ? RootFs::Kind::kTemplate
                                     : RootFs::Kind::kEmpty;
    auto refuse = [&](std::string_view key, std::string_view why) {
      if (const MapEntry* entry = node.FindEntry(key)) {
        r_.diags().AddError(
            "invalid-key", entry->key_span,
            "'" + std::string(key) + "' does not apply to a root of type '" + type + "'",
            std::string(why));
      }
    };
    const Node* path = node.Find("path");
    if (root.kind == RootFs::Kind::kEmpty) {
      refuse("path", "no 'path' for an empty root (it is a fresh tmpfs)");
    } else if (!path) {
      r_.diags().AddError("missing-key", node.span, "a root of type '" + type + "' needs a 'path'",
                          "path: /host/directory");
    } else if (auto p = r_.AbsolutePath(*path, "'filesystem.root.path'")) {
      if (*p == "/") {
        r_.diags().AddError("invalid-path", path->span,
                            "the host's own root cannot be the sandbox's root",
                            "a directory prepared for the sandbox, or type: empty with mounts");
      } else {
        root.path = *p;
      }
    }
    if (root.kind != RootFs::Kind::kTemplate) {
      refuse("zfs_snapshot", "'zfs_snapshot' only for type: template");
    } else if (const Node* snapshot = node.Find("zfs_snapshot")) {
      if (auto s = r_.String(*snapshot, "'zfs_snapshot'")) {
        static const std::regex kSnapshot(
            "[A-Za-z0-9][A-Za-z0-9_.:-]*(/[A-Za-z0-9_.:-]+)*@"
            "[A-Za-z0-9_.:-]+");
        if (!std::regex_match(*s, kSnapshot) || s->size() > 255) {
          r_.diags().AddError("invalid-value", snapshot->span,
                              "'" + *s + "' is not a ZFS snapshot name",
                              "pool/dataset@snapshot, e.g. zroot/templates/python@v1");
        } else {
          root.zfs_snapshot = *s;
        }
      }
    }
    if (root.kind != RootFs::Kind::kDirectory) {
      refuse("readonly",
             "'readonly' only for type: directory (a template is cloned, an empty "
             "root is private)");
    } else if (const Node* readonly = node.Find("readonly")) {
      if (auto value = r_.Bool(*readonly, "'readonly'")) root.readonly = *value;
    }
    if (root.kind == RootFs::Kind::kDirectory) {
      refuse("size", "'size' only for type: empty or template (the writable layer)");
    } else if (const Node* size = node.Find("size")) {
      if (auto bytes = r_.Size(*size, "'filesystem.root.size'")) {
        if (*bytes < 4096) {
          r_.diags().AddError("value-out-of-range", size->span,
                              "a writable layer of " + size->scalar + " bytes is too small",
                              "at least 4k");
        } else {
          root.size_bytes = *bytes;
        }
      }
    }
  }

  void ReadMount(const Node& item) {
    if (item.is_scalar()) {
      // Shorthand: "- /usr" mounts /usr read-only at /usr.
      if (auto p = r_.AbsolutePath(item, "a mount")) Add({*p, *p, true, item.span});
      return;
    }
    if (!r_.ExpectMapping(item, "a mount")) return;
    r_.CheckKeys(item, {"source", "target", "readonly"}, "in a mount");
    const Node* source = item.Find("source");
    if (!source) {
      r_.diags().AddError("missing-key", item.span, "a mount has no 'source'",
                          "{source: /usr} or {source: /srv/data, target: /data}");
      return;
    }
    Mount mount;
    auto s = r_.AbsolutePath(*source, "'source'");
    if (!s) return;
    mount.source = *s;
    mount.target = *s;
    mount.span = source->span;
    if (const Node* target = item.Find("target")) {
      auto t = r_.AbsolutePath(*target, "'target'");
      if (!t) return;
      mount.target = *t;
      mount.span = target->span;
    }
    if (const Node* readonly = item.Find("readonly")) {
      auto value = r_.Bool(*readonly, "'readonly'");
      if (!value) return;
      mount.readonly = *value;
    }
    Add(std::move(mount));
  }

  void Add(Mount mount) {
    if (mount.target == "/") {
      r_.diags().AddError("invalid-path", mount.span, "a mount cannot cover the sandbox's root",
                          "filesystem.root for the root; mounts on paths beneath it");
      return;
    }
    if (!Claim(mount.target, mount.span)) return;
    fs_.mounts.push_back(std::move(mount));
  }

  void ReadScratch(const Node& item) {
    if (!r_.ExpectMapping(item, "a scratch entry")) return;
    r_.CheckKeys(item, {"target", "size"}, "in a scratch entry");
    const Node* target = item.Find("target");
    const Node* size = item.Find("size");
    if (!target || !size) {
      r_.diags().AddError("missing-key", item.span,
                          std::string("a scratch entry needs ") + (target ? "'size'" : "'target'"),
                          "{target: /tmp, size: 64M}");
      return;
    }
    auto t = r_.AbsolutePath(*target, "'target'");
    auto bytes = r_.Size(*size, "'size'");
    if (!t || !bytes) return;
    if (*bytes < 4096) {
      r_.diags().AddError("value-out-of-range", size->span,
                          "scratch space of " + size->scalar + " bytes is too small",
                          "at least 4k");
      return;
    }
    if (*t == "/") {
      r_.diags().AddError("invalid-path", target->span, "scratch space cannot be the root",
                          "filesystem.root with type: empty and a size");
      return;
    }
    if (!Claim(*t, target->span)) return;
    fs_.scratch.push_back({*t, *bytes, target->span});
  }

  void ReadSymlink(const Node& item) {
    if (!r_.ExpectMapping(item, "a symlink")) return;
    r_.CheckKeys(item, {"path", "target"}, "in a symlink");
    const Node* path = item.Find("path");
    const Node* target = item.Find("target");
    if (!path || !target) {
      r_.diags().AddError("missing-key", item.span,
                          std::string("a symlink needs ") + (path ? "'target'" : "'path'"),
                          "{path: /bin, target: usr/bin}");
      return;
    }
    auto p = r_.AbsolutePath(*path, "'path'");
    auto t = r_.String(*target, "'target'");
    if (!p || !t) return;
    if (t->size() > 1023 || t->find('\0') != std::string::npos) {
      r_.diags().AddError("invalid-path", target->span, "a symlink target must be a path",
                          "at most 1023 bytes without NUL");
      return;
    }
    if (*p == "/") {
      r_.diags().AddError("invalid-path", path->span, "a symlink cannot replace the sandbox's root",
                          "a path beneath the root, e.g. /bin");
      return;
    }
    if (!Claim(*p, path->span)) return;
    fs_.symlinks.push_back({*p, *t, path->span});
  }

  // Records that `target` is used; two entries on one target are an error. `note` is what the
  // error of a later entry on the same target says about this one.
  bool Claim(const std::string& target, SourceSpan span, std::string note = "first used here") {
    auto [it, inserted] = targets_.emplace(target, std::make_pair(span, std::move(note)));
    if (inserted) return true;
    r_.diags()
        .AddError("duplicate-target", span, "'" + target + "' is used twice in the filesystem view",
                  "one mount, scratch space or symlink per path")
        .AddNote(it->second.first, it->second.second);
    return false;
  }

  Resolver& r_;
  Filesystem& fs_;
  std::map<std::string, std::pair<SourceSpan, std::string>> targets_;
};

}  // namespace

void ResolveFilesystem(const Node& node, Resolver& r, Policy& policy) {
  FilesystemResolver(r, policy.filesystem).Resolve(node);
}

}  // namespace stockade::policy::detail
