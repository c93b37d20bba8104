// SPDX-License-Identifier: BSD-2-Clause
// The 'descriptors' section (Capsicum rights, ioctl and fcntl limits of each descriptor the
// program starts with) and 'capability_mode'.

#include <algorithm>
#include <map>

#include "resolver.h"
#include "stockade/policy/names.h"

namespace stockade::policy::detail {
namespace {

constexpr int kMaxPreopenFd = 1023;

struct FlagName {
  std::string_view name;
  uint32_t bits;
};
constexpr FlagName kOpenFlags[] = {
    {"O_RDONLY", kOpenRead},    {"O_WRONLY", kOpenWrite},        {"O_RDWR", kOpenRead | kOpenWrite},
    {"O_APPEND", kOpenAppend},  {"O_CREAT", kOpenCreate},        {"O_TRUNC", kOpenTruncate},
    {"O_EXCL", kOpenExclusive}, {"O_DIRECTORY", kOpenDirectory}, {"O_NOFOLLOW", kOpenNoFollow},
    {"O_SYNC", kOpenSync},      {"O_NONBLOCK", kOpenNonBlock},   {"O_EXEC", kOpenExec},
};

uint64_t RightValue(std::string_view name) {
  const RightInfo* right = FindRight(name);
  return right ? right->value : 0;
}

class DescriptorResolver {
 public:
  DescriptorResolver(Resolver& r, Policy& policy) : r_(r), policy_(policy) {}

  void Resolve(const Node& node) {
    if (!r_.ExpectSequence(node, "'descriptors'")) return;
    std::map<int, SourceSpan> taken;
    // Explicit numbers first, so that entries without 'fd' take the free ones.
    std::vector<std::pair<const Node*, Descriptor>> pending;
    for (const Node& entry : node.items) {
      std::optional<Descriptor> descriptor = ReadEntry(entry);
      if (!descriptor) continue;
      if (descriptor->fd >= 0) {
        auto [it, inserted] = taken.emplace(descriptor->fd, descriptor->span);
        if (!inserted) {
          r_.diags()
              .AddError("duplicate-fd", descriptor->span,
                        "descriptor " + std::to_string(descriptor->fd) + " is described twice",
                        "one entry per descriptor number")
              .AddNote(it->second, "first described here");
          continue;
        }
      }
      pending.emplace_back(&entry, std::move(*descriptor));
    }
    int next = 3;
    for (auto& [entry, descriptor] : pending) {
      if (descriptor.fd < 0) {
        while (taken.count(next)) ++next;
        if (next > kMaxPreopenFd) {
          r_.diags().AddError("value-out-of-range", entry->span, "too many descriptors",
                              "at most " + std::to_string(kMaxPreopenFd - 2) + " preopens");
          continue;
        }
        descriptor.fd = next;
        taken.emplace(next, descriptor.span);
      }
      policy_.descriptors.push_back(std::move(descriptor));
    }
    std::sort(policy_.descriptors.begin(), policy_.descriptors.end(),
              [](const Descriptor& a, const Descriptor& b) { return a.fd < b.fd; });
  }

 private:
  std::optional<Descriptor> ReadEntry(const Node& entry) {
    if (!r_.ExpectMapping(entry, "a descriptor")) return std::nullopt;
    r_.CheckKeys(entry, {"fd", "path", "type", "flags", "mode", "rights", "ioctls", "fcntls"},
                 "in a descriptor");
    Descriptor d;
    d.span = entry.span;
    const Node* fd = entry.Find("fd");
    const Node* path = entry.Find("path");
    bool ok = true;
    if (fd && fd->is_scalar() && !fd->quoted &&
        (fd->scalar == "stdin" || fd->scalar == "stdout" || fd->scalar == "stderr")) {
      d.kind = fd->scalar == "stdin"    ? Descriptor::Kind::kStdin
               : fd->scalar == "stdout" ? Descriptor::Kind::kStdout
                                        : Descriptor::Kind::kStderr;
      d.fd = fd->scalar == "stdin" ? 0 : fd->scalar == "stdout" ? 1 : 2;
      d.span = fd->span;
    } else if (fd) {
      std::optional<int64_t> number = r_.Int(*fd, "'fd'", 0, kMaxPreopenFd);
      if (!number) return std::nullopt;
      d.fd = static_cast<int>(*number);
      d.span = fd->span;
      if (d.fd <= 2) {
        d.kind = d.fd == 0   ? Descriptor::Kind::kStdin
                 : d.fd == 1 ? Descriptor::Kind::kStdout
                             : Descriptor::Kind::kStderr;
      }
    }
    const bool stdio = d.fd >= 0 && d.fd <= 2;
    if (stdio) {
      for (std::string_view key : {"path", "type", "flags", "mode"}) {
        if (const MapEntry* bad = entry.FindEntry(key)) {
          r_.diags().AddError("invalid-key", bad->key_span,
                              "'" + std::string(key) + "' does not apply to a standard descriptor",
                              "only 'rights', 'ioctls' and 'fcntls' for stdin, stdout and stderr "
                              "(they are inherited, not opened)");
          ok = false;
        }
      }
    } else {
      if (!path) {
        r_.diags().AddError("missing-key", entry.span,
                            "a descriptor has neither 'path' nor a "
                            "standard 'fd'",
                            "fd: stdin|stdout|stderr, or path: /inside/the/sandbox");
        return std::nullopt;
      }
      std::optional<std::string> p = r_.AbsolutePath(*path, "'path'");
      if (!p) return std::nullopt;
      d.path = *p;
      if (!fd) d.span = path->span;
      d.kind = Descriptor::Kind::kFile;
      if (const Node* type = entry.Find("type")) {
        std::optional<std::string> t = r_.Choice(*type, "'type'", {"file", "directory"});
        if (!t) return std::nullopt;
        if (*t == "directory") d.kind = Descriptor::Kind::kDirectory;
      }
      ok = ReadFlags(entry, d) && ok;
    }
    if (const Node* rights = entry.Find("rights")) ok = ReadRights(*rights, d) && ok;
    if (const Node* ioctls = entry.Find("ioctls")) ok = ReadIoctls(*ioctls, d) && ok;
    if (const Node* fcntls = entry.Find("fcntls")) ok = ReadFcntls(*fcntls, d) && ok;
    if (!ok) return std::nullopt;
    CheckRightsAgainstFlags(d, stdio);
    return d;
  }

  bool ReadFlags(const Node& entry, Descriptor& d) {
    d.open_flags = kOpenRead;
    if (d.kind == Descriptor::Kind::kDirectory) d.open_flags |= kOpenDirectory;
    const Node* flags = entry.Find("flags");
    if (flags) {
      if (!r_.ExpectSequence(*flags, "'flags'")) return false;
      uint32_t bits = 0;
      int access_modes = 0;
      std::vector<std::string_view> names;
      for (const FlagName& flag : kOpenFlags) names.push_back(flag.name);
      for (const Node& item : flags->items) {
        std::optional<std::string> name = r_.String(item, "an open flag");
        if (!name) return false;
        const FlagName* found = nullptr;
        for (const FlagName& flag : kOpenFlags) {
          if (flag.name == *name) found = &flag;
        }
        if (!found) {
          const bool other_flag = FindConstant(*name) != nullptr && name->rfind("O_", 0) == 0;
          r_.diags().AddError(
              "unknown-open-flag", item.span,
              other_flag ? "open flag '" + *name + "' cannot be used for a preopen"
                         : "unknown open flag '" + *name + "'",
              "O_RDONLY, O_WRONLY or O_RDWR, with O_APPEND O_CREAT O_TRUNC O_EXCL O_DIRECTORY "
              "O_NOFOLLOW O_SYNC O_NONBLOCK O_EXEC" +
                  (other_flag ? std::string(" (O_CLOEXEC is always added)")
                              : DidYouMean(*name, names)));
          return false;
        }
        if (*name == "O_RDONLY" || *name == "O_WRONLY" || *name == "O_RDWR") ++access_modes;
        bits |= found->bits;
      }
      if (access_modes > 1) {
        r_.diags().AddError("invalid-value", flags->span,
                            "'flags' names more than one of O_RDONLY, O_WRONLY, O_RDWR",
                            "exactly one access mode");
        return false;
      }
      if (access_modes == 0) bits |= kOpenRead;
      if (d.kind == Descriptor::Kind::kDirectory) bits |= kOpenDirectory;
      d.open_flags = bits;
    }
    if ((d.open_flags & kOpenDirectory) && d.kind == Descriptor::Kind::kFile) {
      d.kind = Descriptor::Kind::kDirectory;
    }
    if (d.kind == Descriptor::Kind::kDirectory && (d.open_flags & kOpenWrite)) {
      r_.diags().AddError("invalid-value", flags ? flags->span : d.span,
                          "a directory cannot be opened for writing",
                          "O_RDONLY for a directory; grant CAP_CREATE, CAP_MKDIRAT ... to write "
                          "beneath it");
      return false;
    }
    if (d.kind == Descriptor::Kind::kDirectory &&
        (d.open_flags & (kOpenCreate | kOpenTruncate | kOpenAppend))) {
      r_.diags().AddError("invalid-value", flags ? flags->span : d.span,
                          "O_CREAT, O_TRUNC and O_APPEND do not apply to a directory",
                          "O_RDONLY (with O_DIRECTORY) for a directory");
      return false;
    }
    if ((d.open_flags & kOpenTruncate) && !(d.open_flags & kOpenWrite)) {
      r_.diags().AddError("invalid-value", flags->span, "O_TRUNC needs O_WRONLY or O_RDWR",
                          "a writable access mode with O_TRUNC");
      return false;
    }
    if (const Node* mode = entry.Find("mode")) {
      if (!(d.open_flags & kOpenCreate)) {
        r_.diags().AddError("invalid-key", mode->span, "'mode' is only used with O_CREAT",
                            "O_CREAT in 'flags', or no 'mode'");
        return false;
      }
      if (mode->is_scalar() && mode->scalar.size() > 1 && mode->scalar[0] == '0' &&
          std::isdigit(static_cast<unsigned char>(mode->scalar[1]))) {
        r_.diags().AddError("invalid-value", mode->span,
                            "'" + mode->scalar + "' would be read as a decimal number",
                            "an octal mode written with 0o, e.g. 0o640");
        return false;
      }
      std::optional<int64_t> value = r_.Int(*mode, "'mode'", 0, 07777);
      if (!value) return false;
      d.create_mode = static_cast<uint32_t>(*value);
    }
    return true;
  }

  bool ReadRights(const Node& node, Descriptor& d) {
    if (!r_.ExpectSequence(node, "'rights'")) return false;
    d.rights_span = node.span;
    RightSet set;
    std::vector<std::string_view> names;
    for (const RightInfo& right : AllRights()) names.push_back(right.name);
    bool ok = true;
    for (const Node& item : node.items) {
      std::optional<std::string> name = r_.String(item, "a right");
      if (!name) {
        ok = false;
        continue;
      }
      const RightInfo* right = FindRight(*name);
      if (!right) {
        r_.diags().AddError(
            "unknown-right", item.span, "unknown Capsicum right '" + *name + "'",
            "a right from capsicum(4), see docs/rights.md" + DidYouMean(*name, names));
        ok = false;
        continue;
      }
      // docs/policy-language.md: a right newer than a supported release is accepted, with a
      // warning, because the FreeBSD 14 backend cannot grant it.
      if (right->release == RightRelease::kFreeBsd15) {
        r_.diags().AddWarning("right-not-in-release", item.span,
                              "'" + *name +
                                  "' is new in FreeBSD 15.0; FreeBSD 14 does not have it, so "
                                  "the descriptor cannot be limited to it there",
                              "rights FreeBSD 14 also defines, where the policy must run on 14");
      } else if (right->release == RightRelease::kMainOnly) {
        r_.diags().AddWarning("right-not-in-release", item.span,
                              "'" + *name +
                                  "' exists only in FreeBSD's development branch "
                                  "(16-CURRENT), not in 14 or 15",
                              "rights FreeBSD 14 and 15 define");
      }
      set.Add(right->value);
    }
    if (ok) d.rights = set;
    return ok;
  }

  bool ReadIoctls(const Node& node, Descriptor& d) {
    if (!r_.ExpectSequence(node, "'ioctls'")) return false;
    std::vector<IoctlCommand> commands;
    std::vector<std::string_view> names;
    for (const ConstantInfo& constant : Constants()) {
      if (constant.kind == ConstantKind::kIoctl) names.push_back(constant.name);
    }
    for (const Node& item : node.items) {
      IoctlCommand command;
      command.span = item.span;
      if (item.is_scalar() && !item.quoted && !item.scalar.empty() &&
          std::isdigit(static_cast<unsigned char>(item.scalar[0]))) {
        std::optional<int64_t> value = r_.Int(item, "an ioctl number", 0, UINT32_MAX);
        if (!value) return false;
        command.name = item.scalar;
        for (Target target : kAllTargets) command.value[target] = static_cast<uint64_t>(*value);
      } else {
        std::optional<std::string> name = r_.String(item, "an ioctl");
        if (!name) return false;
        const ConstantInfo* constant = FindConstant(*name);
        if (!constant || constant->kind != ConstantKind::kIoctl) {
          r_.diags().AddError("unknown-ioctl", item.span, "unknown ioctl '" + *name + "'",
                              "an ioctl name such as TIOCGWINSZ or FIONREAD, or a number" +
                                  DidYouMean(*name, names));
          return false;
        }
        command.name = *name;
        for (Target target : kAllTargets) command.value[target] = ConstantValue(*constant, target);
        for (Target target : kAllTargets) {
          if (!command.value[target]) {
            r_.diags().AddWarning("constant-target-only", item.span,
                                  "ioctl '" + *name + "' does not exist on " +
                                      std::string(TargetName(target)) +
                                      "; it is allowed on the other target only",
                                  "an ioctl both targets define, or a number");
          }
        }
      }
      commands.push_back(std::move(command));
    }
    d.ioctls = std::move(commands);
    if (d.rights && !d.rights->Has(RightValue("CAP_IOCTL"))) {
      r_.diags().AddWarning("rights-flags-mismatch", node.span,
                            "'ioctls' has no effect: the rights lack CAP_IOCTL, so every ioctl "
                            "fails",
                            "CAP_IOCTL in 'rights', or no 'ioctls'");
    }
    return true;
  }

  bool ReadFcntls(const Node& node, Descriptor& d) {
    if (!r_.ExpectSequence(node, "'fcntls'")) return false;
    uint32_t mask = 0;
    std::vector<std::string_view> names;
    for (const FcntlRightInfo& right : kFcntlRights) names.push_back(right.name);
    for (const Node& item : node.items) {
      std::optional<std::string> name = r_.String(item, "an fcntl right");
      if (!name) return false;
      const FcntlRightInfo* right = FindFcntlRight(*name);
      if (!right) {
        r_.diags().AddError("unknown-right", item.span, "unknown fcntl right '" + *name + "'",
                            "CAP_FCNTL_GETFL, CAP_FCNTL_SETFL, CAP_FCNTL_GETOWN, "
                            "CAP_FCNTL_SETOWN or CAP_FCNTL_ALL" +
                                DidYouMean(*name, names));
        return false;
      }
      mask |= right->mask;
    }
    d.fcntls = mask;
    if (d.rights && !d.rights->Has(RightValue("CAP_FCNTL"))) {
      r_.diags().AddWarning("rights-flags-mismatch", node.span,
                            "'fcntls' has no effect: the rights lack CAP_FCNTL, so every "
                            "limited fcntl command fails",
                            "CAP_FCNTL in 'rights', or no 'fcntls'");
    }
    return true;
  }

  // Rights the open mode can never use are almost always a mistake in the policy.
  void CheckRightsAgainstFlags(const Descriptor& d, bool stdio) {
    if (!d.rights || stdio) return;
    auto warn = [&](std::string_view right, std::string why) {
      r_.diags().AddWarning("rights-flags-mismatch", d.rights_span,
                            "'" + std::string(right) + "' " + why,
                            "rights that the descriptor's type and open flags can use");
    };
    const bool directory = d.kind == Descriptor::Kind::kDirectory;
    if (d.rights->Has(RightValue("CAP_WRITE")) && !(d.open_flags & kOpenWrite) && !directory) {
      warn("CAP_WRITE", "is useless on a descriptor opened read-only");
    }
    if (d.rights->Has(RightValue("CAP_READ")) && !(d.open_flags & kOpenRead) && !directory) {
      warn("CAP_READ", "is useless on a descriptor opened write-only");
    }
    if (d.rights->Has(RightValue("CAP_LOOKUP")) && !directory) {
      warn("CAP_LOOKUP", "only applies to a directory descriptor");
    }
    if (directory && !d.rights->Has(RightValue("CAP_LOOKUP"))) {
      r_.diags().AddWarning("rights-flags-mismatch", d.rights_span,
                            "a directory without CAP_LOOKUP cannot be used to open anything "
                            "beneath it",
                            "CAP_LOOKUP for a preopened directory");
    }
  }

  Resolver& r_;
  Policy& policy_;
};

}  // namespace

void ResolveDescriptors(const Node& node, Resolver& r, Policy& policy) {
  DescriptorResolver(r, policy).Resolve(node);
}

void ResolveCapabilityMode(const Node& node, Resolver& r, Policy& policy) {
  if (std::optional<bool> value = r.Bool(node, "'capability_mode'")) {
    policy.capability_mode = *value;
    policy.capability_mode_span = node.span;
  }
}

}  // namespace stockade::policy::detail
