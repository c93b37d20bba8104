// SPDX-License-Identifier: BSD-2-Clause
// The launcher manifest's writer and its strict parser. The parser is audited code that runs
// right before untrusted code: it accepts exactly the format in manifest.h and nothing else.

#include "stockade/launch/manifest.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace stockade::launch {
namespace {

constexpr std::string_view kHeader = "stockade-manifest";

struct FlagName {
  std::string_view name;
  uint32_t bit;
};
constexpr FlagName kFlagNames[] = {
    {"append", kAppend},  {"creat", kCreate},        {"trunc", kTruncate},
    {"excl", kExclusive}, {"directory", kDirectory}, {"nofollow", kNoFollow},
    {"sync", kSync},      {"nonblock", kNonBlock},   {"exec", kExecOnly},
};

std::string Hex(uint64_t value) {
  char buffer[20];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, 16);
  return "0x" + std::string(buffer, ptr);
}

std::string FlagsText(uint32_t flags) {
  std::string text = (flags & kRead) && (flags & kWrite) ? "rdwr"
                     : (flags & kWrite)                  ? "wronly"
                                                         : "rdonly";
  for (const FlagName& flag : kFlagNames) {
    if (flags & flag.bit) text += "," + std::string(flag.name);
  }
  return text;
}

std::optional<uint64_t> ParseHex(std::string_view text) {
  if (text.size() < 3 || text.substr(0, 2) != "0x") return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<uint32_t> ParseOctal(std::string_view text) {
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value > 07777) {
    return std::nullopt;
  }
  return value;
}

// Decimal digits only, without leading zeros: one spelling per number (from_chars alone would
// also take "-0").
std::optional<int> ParseFd(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text[0] < '0' || text[0] > '9' || ec != std::errc() ||
      ptr != text.data() + text.size() || value < 0 || value > kMaxFd ||
      (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }
  return value;
}

std::optional<uint32_t> ParseFlags(std::string_view text) {
  uint32_t flags = 0;
  int modes = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view name = text.substr(start, comma - start);
    if (name == "rdonly") {
      flags |= kRead, ++modes;
    } else if (name == "wronly") {
      flags |= kWrite, ++modes;
    } else if (name == "rdwr") {
      flags |= kRead | kWrite, ++modes;
    } else {
      const FlagName* found = nullptr;
      for (const FlagName& flag : kFlagNames) {
        if (flag.name == name) found = &flag;
      }
      if (!found || (flags & found->bit)) return std::nullopt;
      flags |= found->bit;
    }
    start = comma + 1;
  }
  if (modes != 1) return std::nullopt;
  return flags;
}

// A field for an error message: as the manifest spells it (percent-encoded, so printable ASCII
// on one line) and cut to 64 bytes. The launcher prints refusals as they are; a decoded field
// could carry a newline or a terminal escape into its error output (found by
// fuzz/manifest_fuzzer.cc).
std::string Quoted(std::string_view field) {
  std::string text = EncodeField(field);
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  return "'" + text + "'";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Expected<Manifest> Run() {
    if (text_.size() > kMaxManifestBytes) {
      return Error(ErrorCode::kResourceExhausted, "manifest is larger than 1 MiB");
    }
    Manifest m;
    bool header = false, ended = false;
    std::set<std::string_view> singles;
    std::set<int> described;  // descriptors the program gets: kept or opened
    std::set<int> limited;
    size_t records = 0;
    size_t pos = 0;
    while (pos < text_.size()) {
      size_t eol = text_.find('\n', pos);
      if (eol == std::string_view::npos) {
        line_ = text_.substr(pos);
        ++line_number_;
        return Fail("the last line has no newline (truncated manifest?)");
      }
      line_ = text_.substr(pos, eol - pos);
      pos = eol + 1;
      ++line_number_;
      if (ended) return Fail("text after 'end'");
      if (line_.empty() || line_[0] == '#') continue;
      if (++records > kMaxRecords) return Fail("more than 8192 records");
      std::vector<std::string> fields;
      if (!Split(fields)) return Fail("a field is not validly percent-encoded");
      // Every field ends up as a C string (a path, an argument, a name): a NUL would cut it
      // short, and the OS would see another file or argument than the manifest names.
      for (const std::string& field : fields) {
        if (field.find('\0') != std::string::npos) return Fail("a field holds a NUL byte (%00)");
      }
      const std::string& key = fields[0];
      if (!header) {
        if (key != kHeader || fields.size() != 2) return Fail("expected 'stockade-manifest 1'");
        if (fields[1] != "1") return Fail("unsupported manifest version " + Quoted(fields[1]));
        header = true;
        continue;
      }
      const size_t args = fields.size() - 1;
      auto want = [&](size_t n) { return args == n; };
      auto single = [&]() { return singles.insert(RecordName(key)).second; };
      if (key == "end") {
        if (!want(0)) return Fail("'end' takes no value");
        ended = true;
      } else if (key == "program") {
        if (!want(1) || !single() || fields[1].empty()) return Fail("expected 'program PATH' once");
        m.program = fields[1];
      } else if (key == "arg") {
        if (!want(1)) return Fail("expected 'arg VALUE'");
        m.argv.push_back(fields[1]);
      } else if (key == "workdir") {
        if (!want(1) || !single() || fields[1].empty() || fields[1][0] != '/') {
          return Fail("expected 'workdir /PATH' once");
        }
        m.workdir = fields[1];
      } else if (key == "user" || key == "group") {
        if (!want(1) || !single() || fields[1].empty())
          return Fail("expected '" + key + " NAME' once");
        (key == "user" ? m.user : m.group) = fields[1];
      } else if (key == "env-clean" || key == "capability-mode") {
        if (!want(1) || !single() || (fields[1] != "0" && fields[1] != "1")) {
          return Fail("expected '" + key + " 0|1' once");
        }
        (key == "env-clean" ? m.env_clean : m.capability_mode) = fields[1] == "1";
      } else if (key == "env-keep") {
        if (!want(1) || fields[1].empty() || fields[1].find('=') != std::string::npos) {
          return Fail("expected 'env-keep NAME'");
        }
        m.env_keep.push_back(fields[1]);
      } else if (key == "env-set") {
        if (!want(1) || fields[1].find('=') == std::string::npos || fields[1][0] == '=') {
          return Fail("expected 'env-set NAME=VALUE'");
        }
        m.env_set.push_back(fields[1]);
      } else if (key == "interpreter" || key == "preload") {
        if (!want(1) || !single() || fields[1].empty() || fields[1][0] != '/') {
          return Fail("expected '" + key + " /PATH' once");
        }
        (key == "interpreter" ? m.interpreter : m.preload) = fields[1];
      } else if (key == "library-dir") {
        if (!want(1) || fields[1].empty() || fields[1][0] != '/') {
          return Fail("expected 'library-dir /PATH'");
        }
        m.library_dirs.push_back(fields[1]);
      } else if (key == "keep") {
        std::optional<int> fd = want(1) ? ParseFd(fields[1]) : std::nullopt;
        if (!fd || *fd > 2) return Fail("expected 'keep 0|1|2'");
        if (!described.insert(*fd).second) return Fail("descriptor named twice");
        m.keep.push_back(*fd);
      } else if (key == "open") {
        if (!want(4)) return Fail("expected 'open FD FLAGS MODE PATH'");
        std::optional<int> fd = ParseFd(fields[1]);
        std::optional<uint32_t> flags = ParseFlags(fields[2]);
        std::optional<uint32_t> mode = ParseOctal(fields[3]);
        if (!fd || *fd < 3) return Fail("a preopen needs a descriptor from 3 to 1023");
        if (!flags) return Fail("invalid open flags " + Quoted(fields[2]));
        if (!mode) return Fail("invalid mode " + Quoted(fields[3]));
        if (fields[4].empty() || fields[4][0] != '/')
          return Fail("a preopen path must be absolute");
        if (!described.insert(*fd).second) return Fail("descriptor named twice");
        m.preopens.push_back({*fd, *flags, *mode, fields[4]});
      } else if (key == "rights" || key == "ioctls" || key == "fcntls") {
        if (args < 1) return Fail("expected '" + key + " FD ...'");
        std::optional<int> fd = ParseFd(fields[1]);
        if (!fd) return Fail("invalid descriptor " + Quoted(fields[1]));
        if (!described.count(*fd)) return Fail("limits for a descriptor the program does not get");
        DescriptorLimits& limits = LimitsFor(m, *fd);
        if (key == "rights") {
          std::optional<uint64_t> w0 = want(3) ? ParseHex(fields[2]) : std::nullopt;
          std::optional<uint64_t> w1 = want(3) ? ParseHex(fields[3]) : std::nullopt;
          if (!w0 || !w1 || limits.rights)
            return Fail("expected 'rights FD WORD0 WORD1' once per descriptor");
          // Word 0 carries version 0 and index marker 1<<57, word 1 the marker 1<<58, as
          // cap_rights_t does; anything else is not a rights set.
          if ((*w0 >> 57) != 1 || (*w1 >> 57) != 2)
            return Fail("rights words are not a cap_rights_t");
          limits.rights = RightSet(*w0, *w1);
        } else if (key == "ioctls") {
          if (limits.ioctls) return Fail("'ioctls' twice for one descriptor");
          std::vector<uint64_t> commands;
          for (size_t i = 2; i < fields.size(); ++i) {
            std::optional<uint64_t> command = ParseHex(fields[i]);
            if (!command) return Fail("invalid ioctl command " + Quoted(fields[i]));
            commands.push_back(*command);
          }
          limits.ioctls = std::move(commands);
        } else {
          std::optional<uint64_t> mask = want(2) ? ParseHex(fields[2]) : std::nullopt;
          if (!mask || *mask > kFcntlAll || limits.fcntls) {
            return Fail("expected 'fcntls FD MASK' once per descriptor, MASK within 0x78");
          }
          limits.fcntls = static_cast<uint32_t>(*mask);
        }
      } else {
        return Fail("unknown record " + Quoted(key));
      }
    }
    if (!header) return Error(ErrorCode::kInvalidArgument, "manifest: empty (no header)");
    if (!ended) return Error(ErrorCode::kInvalidArgument, "manifest: no 'end' line (truncated?)");
    if (m.program.empty()) return Error(ErrorCode::kInvalidArgument, "manifest: no 'program'");
    if (m.argv.empty()) return Error(ErrorCode::kInvalidArgument, "manifest: no 'arg' (argv[0])");
    if (!m.library_dirs.empty() && m.interpreter.empty()) {
      return Error(ErrorCode::kInvalidArgument, "manifest: 'library-dir' without 'interpreter'");
    }
    if (m.group.size() && m.user.empty()) {
      return Error(ErrorCode::kInvalidArgument, "manifest: 'group' without 'user'");
    }
    std::sort(m.keep.begin(), m.keep.end());
    return m;
  }

 private:
  static std::string_view RecordName(const std::string& key) {
    static const std::set<std::string, std::less<>> kNames = {
        "program",   "workdir",         "user",        "group",
        "env-clean", "capability-mode", "interpreter", "preload"};
    auto it = kNames.find(key);
    return it == kNames.end() ? std::string_view() : std::string_view(*it);
  }

  static DescriptorLimits& LimitsFor(Manifest& m, int fd) {
    for (DescriptorLimits& limits : m.limits) {
      if (limits.fd == fd) return limits;
    }
    m.limits.push_back(DescriptorLimits{fd, std::nullopt, std::nullopt, std::nullopt});
    return m.limits.back();
  }

  bool Split(std::vector<std::string>& fields) const {
    size_t start = 0;
    while (true) {
      size_t space = line_.find(' ', start);
      std::string_view raw =
          line_.substr(start, space == std::string_view::npos ? space : space - start);
      std::optional<std::string> field = DecodeField(raw);
      if (!field) return false;
      fields.push_back(std::move(*field));
      if (space == std::string_view::npos) break;
      start = space + 1;
    }
    return !fields.empty() && !fields[0].empty();
  }

  Error Fail(const std::string& what) const {
    return Error(ErrorCode::kInvalidArgument,
                 "manifest line " + std::to_string(line_number_) + ": " + what);
  }

  std::string_view text_;
  std::string_view line_;
  size_t line_number_ = 0;
};

}  // namespace

std::string EncodeField(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || byte == '%') {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> DecodeField(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // lower-case hex is not canonical and is refused
  };
  for (size_t i = 0; i < encoded.size(); ++i) {
    const auto byte = static_cast<unsigned char>(encoded[i]);
    if (byte == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      const int high = hex(encoded[i + 1]), low = hex(encoded[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      const int value = high * 16 + low;
      // Only bytes the writer encodes may be encoded: one spelling per manifest.
      if (value > 0x20 && value < 0x7F && value != '%') return std::nullopt;
      out += static_cast<char>(value);
      i += 2;
    } else if (byte <= 0x20 || byte >= 0x7F) {
      return std::nullopt;
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

Expected<Manifest> ParseManifest(std::string_view text) { return Parser(text).Run(); }

std::string WriteManifest(const Manifest& m) {
  std::string out;
  auto record = [&](std::string_view key, std::initializer_list<std::string_view> fields) {
    out += key;
    for (std::string_view field : fields) {
      out += ' ';
      out += EncodeField(field);
    }
    out += '\n';
  };
  out += std::string(kHeader) + " " + std::to_string(kManifestVersion) + "\n";
  record("program", {m.program});
  for (const std::string& arg : m.argv) record("arg", {arg});
  record("workdir", {m.workdir});
  if (!m.user.empty()) record("user", {m.user});
  if (!m.group.empty()) record("group", {m.group});
  record("env-clean", {m.env_clean ? "1" : "0"});
  for (const std::string& name : m.env_keep) record("env-keep", {name});
  for (const std::string& pair : m.env_set) record("env-set", {pair});
  record("capability-mode", {m.capability_mode ? "1" : "0"});
  if (!m.interpreter.empty()) record("interpreter", {m.interpreter});
  for (const std::string& dir : m.library_dirs) record("library-dir", {dir});
  if (!m.preload.empty()) record("preload", {m.preload});
  std::vector<int> keep = m.keep;
  std::sort(keep.begin(), keep.end());
  for (int fd : keep) record("keep", {std::to_string(fd)});
  for (const Preopen& p : m.preopens) {
    char mode[8];
    auto [ptr, ec] = std::to_chars(mode, mode + sizeof(mode), p.mode, 8);
    record("open",
           {std::to_string(p.fd), FlagsText(p.flags), std::string_view(mode, ptr - mode), p.path});
  }
  for (const DescriptorLimits& l : m.limits) {
    const std::string fd = std::to_string(l.fd);
    if (l.rights) record("rights", {fd, Hex(l.rights->word(0)), Hex(l.rights->word(1))});
    if (l.ioctls) {
      out += "ioctls " + fd;
      for (uint64_t command : *l.ioctls) out += " " + Hex(command);
      out += '\n';
    }
    if (l.fcntls) record("fcntls", {fd, Hex(*l.fcntls)});
  }
  out += "end\n";
  return out;
}

}  // namespace stockade::launch
