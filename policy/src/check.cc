// SPDX-License-Identifier: BSD-2-Clause
// The checker's driver: reads the extends chain, merges it into one syntax tree, and runs the
// section resolvers and cross-section validation over it.

#include "stockade/policy/check.h"

#include <map>
#include <regex>
#include <set>
#include <vector>

#include "resolver.h"

namespace stockade::policy {
namespace {

// Lists replaced whole by an extending file instead of concatenated (docs/policy-language.md,
// "extends: composition", rule 3).
bool IsReplacedList(std::string_view path) {
  return path == "exec.command" || path == "network.addresses";
}

void Merge(Node& base, const Node& over, const std::string& path) {
  for (const MapEntry& entry : over.entries) {
    if (path.empty() && entry.key == "extends") continue;
    const std::string child_path = path.empty() ? entry.key : path + "." + entry.key;
    MapEntry* existing = nullptr;
    for (MapEntry& candidate : base.entries) {
      if (candidate.key == entry.key) existing = &candidate;
    }
    if (!existing) {
      base.entries.push_back(entry);
    } else if (existing->value.is_mapping() && entry.value.is_mapping()) {
      Merge(existing->value, entry.value, child_path);
    } else if (existing->value.is_sequence() && entry.value.is_sequence() &&
               !IsReplacedList(child_path)) {
      existing->value.items.insert(existing->value.items.end(), entry.value.items.begin(),
                                   entry.value.items.end());
    } else {
      *existing = entry;
    }
  }
}

// Reads one file of the chain and, first, the files it extends; returns the merged tree.
class ChainLoader {
 public:
  ChainLoader(SourceSet& sources, Diagnostics& diags, const CheckOptions& options)
      : sources_(sources), diags_(diags), options_(options) {}

  std::optional<Node> Load(FileId file) {
    stack_.push_back(Canonical(sources_.path(file)));
    std::optional<Node> result = LoadOne(file);
    stack_.pop_back();
    return result;
  }

  // Adds, to every diagnostic located in a base file, notes that walk back to the root file
  // (LLVM's include stack).
  void AnnotateChain() {
    for (Diagnostic& diag : diags_.mutable_all()) {
      FileId file = diag.span.file;
      size_t guard = 0;
      while (file != kNoFile && extended_at_.count(file) &&
             guard++ < options_.limits.max_extends_depth) {
        const SourceSpan at = extended_at_[file];
        diag.AddNote(at, "'" + sources_.path(file) + "' is extended here");
        file = at.file;
      }
    }
  }

 private:
  std::optional<Node> LoadOne(FileId file) {
    std::optional<Node> root = LoadDocument(sources_, file, diags_, options_.limits);
    if (!root) return std::nullopt;
    if (!root->is_mapping()) {
      diags_.AddError("wrong-type", root->span,
                      "a policy must be a mapping, found " + std::string(root->KindName()),
                      "a mapping that starts with 'version: 1'");
      return std::nullopt;
    }
    if (!CheckVersion(*root, file)) return std::nullopt;

    const MapEntry* extends = root->FindEntry("extends");
    if (!extends) return root;
    std::vector<const Node*> entries;
    if (extends->value.is_scalar()) {
      entries.push_back(&extends->value);
    } else if (extends->value.is_sequence()) {
      for (const Node& item : extends->value.items) entries.push_back(&item);
    } else {
      diags_.AddError("wrong-type", extends->value.span,
                      "'extends' must be a file name or a list of them, found " +
                          std::string(extends->value.KindName()),
                      "extends: base.yaml, or extends: [a.yaml, b.yaml]");
      return std::nullopt;
    }

    Node merged;
    merged.kind = Node::Kind::kMapping;
    merged.span = root->span;
    bool ok = true;
    for (const Node* entry : entries) {
      if (!entry->is_scalar() || entry->scalar.empty()) {
        diags_.AddError("wrong-type", entry->span, "an 'extends' entry must be a file name",
                        "a path relative to this file, e.g. base.yaml");
        ok = false;
        continue;
      }
      std::optional<Node> base = LoadBase(file, *entry);
      if (!base) {
        ok = ok && !diags_.has_errors();
        continue;
      }
      Merge(merged, *base, "");
    }
    if (!ok) return std::nullopt;
    Merge(merged, *root, "");
    return merged;
  }

  std::optional<Node> LoadBase(FileId from, const Node& entry) {
    std::filesystem::path path = entry.scalar;
    if (path.is_relative()) {
      path = std::filesystem::path(sources_.path(from)).parent_path() / path;
    }
    path = path.lexically_normal();
    const std::filesystem::path canonical = Canonical(path);
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i] != canonical) continue;
      std::string chain;
      for (size_t j = i; j < stack_.size(); ++j) chain += stack_[j].filename().string() + " -> ";
      chain += canonical.filename().string();
      diags_.AddError("extends-cycle", entry.span, "'extends' makes a cycle: " + chain,
                      "a chain of bases that ends (a policy cannot extend itself)");
      return std::nullopt;
    }
    if (stack_.size() >= options_.limits.max_extends_depth) {
      diags_.AddError(
          "extends-too-deep", entry.span,
          "the extends chain is longer than " + std::to_string(options_.limits.max_extends_depth) +
              " files",
          "at most " + std::to_string(options_.limits.max_extends_depth) + " files in one chain");
      return std::nullopt;
    }
    // A base reached twice through different paths (a diamond) is merged once.
    if (!merged_.insert(canonical).second) return std::nullopt;

    Expected<std::string> text = options_.read_base ? options_.read_base(path, options_.limits)
                                                    : ReadPolicyFile(path, options_.limits);
    if (!text) {
      diags_.AddError("extends-not-found", entry.span, text.error().message(),
                      "a readable policy file, relative to '" +
                          std::filesystem::path(sources_.path(from)).filename().string() + "'");
      return std::nullopt;
    }
    const FileId file = sources_.Add(path.string(), std::move(*text));
    extended_at_[file] = entry.span;
    stack_.push_back(canonical);
    std::optional<Node> base = LoadOne(file);
    stack_.pop_back();
    return base;
  }

  // The identity of a file in the chain, for cycles and diamonds. In memory there are no
  // symlinks to resolve, and the file system must not be consulted at all.
  std::filesystem::path Canonical(const std::filesystem::path& path) const {
    if (options_.read_base) return path.lexically_normal();
    std::error_code ec;
    return std::filesystem::weakly_canonical(path, ec);
  }

  bool CheckVersion(const Node& root, FileId file) {
    const MapEntry* version = root.FindEntry("version");
    if (!version) {
      diags_.AddError("missing-key", {file, 0, 0}, "the policy has no 'version'",
                      "'version: 1' at the top of every policy file");
      return false;
    }
    if (version->value.is_scalar() && !version->value.quoted && version->value.scalar == "1") {
      return true;
    }
    // "1" is the right version in the wrong type; calling it an unknown version would make the
    // author stare at a '1' that looks right.
    if (version->value.is_scalar() && version->value.quoted && version->value.scalar == "1") {
      diags_.AddError("wrong-type", version->value.span,
                      "'version' must be an integer, found the quoted string '1'",
                      "version: 1 (without quotes)");
      return false;
    }
    diags_.AddError("unknown-version", version->value.span,
                    "unknown policy language version '" +
                        (version->value.is_scalar() ? version->value.scalar
                                                    : std::string(version->value.KindName())) +
                        "'",
                    "version: 1 (the only version this stockade understands)");
    return false;
  }

  SourceSet& sources_;
  Diagnostics& diags_;
  const CheckOptions& options_;
  std::vector<std::filesystem::path> stack_;
  std::set<std::filesystem::path> merged_;
  std::map<FileId, SourceSpan> extended_at_;
};

void ResolveIdentity(const Node& root, detail::Resolver& r, Policy& policy) {
  if (const MapEntry* name = root.FindEntry("name")) {
    if (std::optional<std::string> value = r.String(name->value, "'name'")) {
      static const std::regex kName("[A-Za-z0-9_-]{1,63}");
      if (!std::regex_match(*value, kName) ||
          value->find_first_not_of("0123456789") == std::string::npos) {
        r.diags().AddError(
            "invalid-name", name->value.span, "'" + *value + "' is not a valid sandbox name",
            "1 to 63 characters from A-Z a-z 0-9 _ -, not all digits (jail(8) names)");
      } else {
        policy.name = *value;
        policy.name_span = name->value.span;
      }
    }
  } else {
    r.diags().AddError("missing-key", root.span, "the policy has no 'name'",
                       "name: <1 to 63 characters from A-Z a-z 0-9 _ ->");
  }
  if (const MapEntry* hostname = root.FindEntry("hostname")) {
    if (std::optional<std::string> value = r.String(hostname->value, "'hostname'")) {
      static const std::regex kLabel("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
      bool valid = value->size() <= 255;
      size_t start = 0;
      while (valid && start <= value->size()) {
        size_t dot = value->find('.', start);
        if (dot == std::string::npos) dot = value->size();
        valid = std::regex_match(value->substr(start, dot - start), kLabel);
        start = dot + 1;
      }
      if (!valid) {
        r.diags().AddError("invalid-name", hostname->value.span,
                           "'" + *value + "' is not a valid hostname",
                           "dot-separated labels of letters, digits and '-', at most 255 "
                           "characters (RFC 1123)");
      } else {
        policy.hostname = *value;
        policy.hostname_span = hostname->value.span;
      }
    }
  } else {
    policy.hostname = policy.name;
  }
}

}  // namespace

std::optional<Policy> CheckDocument(const Node& root, const SourceSet& sources,
                                    Diagnostics& diags) {
  detail::Resolver r(sources, diags);
  if (!r.ExpectMapping(root, "a policy")) return std::nullopt;
  r.CheckKeys(root,
              {"version", "name", "hostname", "extends", "exec", "syscalls", "descriptors",
               "capability_mode", "ipc", "jail", "filesystem", "network", "limits", "mac",
               "accept_approximate"},
              "at the top level");
  Policy policy;
  ResolveIdentity(root, r, policy);
  using Section = void (*)(const Node&, detail::Resolver&, Policy&);
  static constexpr std::pair<std::string_view, Section> kSections[] = {
      {"exec", detail::ResolveExec},
      {"syscalls", detail::ResolveSyscalls},
      {"descriptors", detail::ResolveDescriptors},
      {"capability_mode", detail::ResolveCapabilityMode},
      {"ipc", detail::ResolveIpc},
      {"jail", detail::ResolveJail},
      {"filesystem", detail::ResolveFilesystem},
      {"network", detail::ResolveNetwork},
      {"limits", detail::ResolveLimits},
      {"mac", detail::ResolveMac},
      {"accept_approximate", detail::ResolveAcceptApproximate},
  };
  for (const auto& [key, resolve] : kSections) {
    if (const MapEntry* entry = root.FindEntry(key)) {
      // "key:" with nothing after it says nothing; the section keeps its defaults.
      if (!entry->value.is_null()) resolve(entry->value, r, policy);
    }
  }
  if (diags.has_errors()) return std::nullopt;
  detail::ValidatePolicy(r, policy);
  if (diags.has_errors()) return std::nullopt;
  return policy;
}

std::optional<Policy> CheckBuffer(SourceSet& sources, FileId file, Diagnostics& diags,
                                  const CheckOptions& options) {
  ChainLoader loader(sources, diags, options);
  std::optional<Node> merged = loader.Load(file);
  std::optional<Policy> policy;
  if (merged && !diags.has_errors()) policy = CheckDocument(*merged, sources, diags);
  loader.AnnotateChain();
  if (policy) {
    for (size_t i = 0; i < sources.size(); ++i) {
      policy->files.push_back(sources.path(static_cast<FileId>(i)));
    }
  }
  return policy;
}

Expected<std::optional<Policy>> CheckFile(const std::filesystem::path& path, SourceSet& sources,
                                          Diagnostics& diags, const CheckOptions& options) {
  STOCKADE_ASSIGN_OR_RETURN(std::string text, ReadPolicyFile(path, options.limits));
  const FileId file = sources.Add(path.string(), std::move(text));
  return CheckBuffer(sources, file, diags, options);
}

}  // namespace stockade::policy
