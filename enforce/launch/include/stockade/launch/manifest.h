// SPDX-License-Identifier: BSD-2-Clause
// The launcher manifest: everything stockade-launch needs to start one program, in a small
// versioned line format that the audited launcher parses without any heavy library.
//
// Format (docs/manifest.md): the first line is "stockade-manifest 1"; then one record per line,
// "KEY VALUE...", fields separated by one space, each field percent-encoded (bytes outside
// 0x21..0x7e and '%' become %XX); the last line is "end". Blank lines and lines starting with
// '#' are ignored. Records:
//   program PATH             the program to run (opened before capability mode)
//   arg VALUE                argv, in order (at least one: argv[0])
//   workdir PATH
//   user NAME|UID            group NAME|GID   (resolved by the platform before exec)
//   env-clean 0|1            env-keep NAME    env-set NAME=VALUE
//   capability-mode 0|1
//   interpreter PATH         run dynamic programs through this run-time linker (FreeBSD rtld)
//   library-dir PATH         directories passed to the interpreter as descriptors
//   preload PATH             a library preloaded into the program (the preopen mapping)
//   keep FD                  an inherited descriptor (0, 1 or 2) the program keeps
//   open FD FLAGS MODE PATH  a preopen: FLAGS is a comma list (rdonly wronly rdwr append creat
//                            trunc excl directory nofollow sync nonblock exec), MODE octal
//   rights FD WORD0 WORD1    cap_rights_t words in hex (RightSet layout)
//   ioctls FD [CMD...]       allowed ioctl commands in hex; none listed = no ioctl
//   fcntls FD MASK           CAP_FCNTL_* mask in hex

#ifndef STOCKADE_LAUNCH_MANIFEST_H_
#define STOCKADE_LAUNCH_MANIFEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/base/rights.h"

namespace stockade::launch {

inline constexpr int kManifestVersion = 1;
inline constexpr int kMaxFd = 1023;  // descriptor numbers a manifest may name
inline constexpr size_t kMaxManifestBytes = 1 << 20;
inline constexpr size_t kMaxRecords = 8192;

// Portable open flags of a preopen; the platform maps them to its O_* values.
enum OpenFlags : uint32_t {
  kRead = 1u << 0,
  kWrite = 1u << 1,
  kAppend = 1u << 2,
  kCreate = 1u << 3,
  kTruncate = 1u << 4,
  kExclusive = 1u << 5,
  kDirectory = 1u << 6,
  kNoFollow = 1u << 7,
  kSync = 1u << 8,
  kNonBlock = 1u << 9,
  kExecOnly = 1u << 10,
};

struct Preopen {
  int fd = -1;
  uint32_t flags = kRead;
  uint32_t mode = 0;
  std::string path;
  bool operator==(const Preopen&) const = default;
};

// The Capsicum limits of one descriptor. An absent member means "not limited".
struct DescriptorLimits {
  int fd = -1;
  std::optional<RightSet> rights;
  std::optional<std::vector<uint64_t>> ioctls;
  std::optional<uint32_t> fcntls;
  bool operator==(const DescriptorLimits&) const = default;
};

struct Manifest {
  std::string program;
  std::vector<std::string> argv;
  std::string workdir = "/";
  std::string user;   // empty: keep the launcher's identity
  std::string group;  // empty: the user's primary group
  bool env_clean = true;
  std::vector<std::string> env_keep;
  std::vector<std::string> env_set;  // NAME=VALUE
  bool capability_mode = false;
  std::string interpreter;
  std::vector<std::string> library_dirs;
  std::string preload;
  std::vector<int> keep;  // inherited descriptors kept (subset of 0, 1, 2)
  std::vector<Preopen> preopens;
  std::vector<DescriptorLimits> limits;
  bool operator==(const Manifest&) const = default;
};

// Writes `manifest` in the line format. Round-trips: ParseManifest(WriteManifest(m)) == m for
// every manifest the parser can return (no string holds a NUL byte; see ParseManifest).
std::string WriteManifest(const Manifest& manifest);

// Parses and validates a manifest. Refuses (kInvalidArgument, naming the line) anything
// malformed: a wrong version, an unknown record, a repeated single record, a descriptor out of
// range or named twice, limits on a descriptor the program does not get, a field that encodes
// a NUL byte (every field becomes a C string), a missing "end" (a truncated file), more than
// kMaxManifestBytes or kMaxRecords. A refusal's message is one line of printable ASCII (fields
// are quoted percent-encoded). Never crashes on any input (fuzzed by fuzz/manifest_fuzzer.cc).
Expected<Manifest> ParseManifest(std::string_view text);

// Percent-encoding of one field (exposed for tests).
std::string EncodeField(std::string_view raw);
std::optional<std::string> DecodeField(std::string_view encoded);

}  // namespace stockade::launch

#endif  // STOCKADE_LAUNCH_MANIFEST_H_
