// SPDX-License-Identifier: BSD-2-Clause
// Fuzzer: bytes -> the launcher manifest parser (enforce/launch/src/manifest.cc) -> the launcher
// core (launcher.cc) on a simulated descriptor table: the audited code that runs right before
// untrusted code, end to end. Properties (docs/fuzzing.md):
//   - a refusal is an Error of a documented code whose message is one printable ASCII line
//     naming the manifest (the launcher prints it as it is);
//   - an accepted manifest keeps every guarantee the launcher relies on (descriptor ranges,
//     limits only on descriptors the program gets, absolute paths, no NUL in any string);
//   - nothing grows: the parsed strings together are no larger than the input;
//   - written back and parsed again it is equal, and writing is a fixed point;
//   - launched, the program gets exactly the descriptors the manifest names (each preopen at
//     its number, the kept standard ones, the interpreter's), every inherited one else is
//     closed, every limit is applied to the right descriptor before capability mode, nothing
//     is opened after it, exec is the last step, argv is the manifest's and the environment
//     holds each name once, built only from the manifest's rules.

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/base/check.h"
#include "stockade/launch/launcher.h"
#include "stockade/launch/manifest.h"
#include "stockade/launch/platform.h"

namespace stockade::fuzz {
namespace {

using launch::Manifest;

void CheckRefusal(const Error& error) {
  STOCKADE_CHECK(error.code() == ErrorCode::kInvalidArgument ||
                 error.code() == ErrorCode::kResourceExhausted)
      << "unexpected error code for: " << error.message();
  const std::string& message = error.message();
  STOCKADE_CHECK(message.rfind("manifest", 0) == 0) << "the refusal does not say what: " << message;
  for (char c : message) {
    STOCKADE_CHECK(c >= 0x20 && c < 0x7F)
        << "the refusal holds byte " << int{static_cast<unsigned char>(c)}
        << ", which a terminal would act on or which breaks the line";
  }
}

void CheckString(std::string_view text, std::string_view what, size_t& total) {
  STOCKADE_CHECK(text.find('\0') == std::string_view::npos)
      << what << " holds a NUL byte: the launcher would hand a shorter C string to the OS";
  total += text.size();
}

void CheckAbsolute(std::string_view path, std::string_view what, size_t& total) {
  STOCKADE_CHECK(!path.empty() && path[0] == '/') << what << " is not absolute: " << path;
  CheckString(path, what, total);
}

void CheckAccepted(const Manifest& m, size_t input_size) {
  size_t total = 0;
  STOCKADE_CHECK(!m.argv.empty()) << "no argv[0]";
  CheckString(m.program, "program", total);
  STOCKADE_CHECK(!m.program.empty());
  for (const std::string& arg : m.argv) CheckString(arg, "arg", total);
  CheckAbsolute(m.workdir, "workdir", total);
  CheckString(m.user, "user", total);
  CheckString(m.group, "group", total);
  STOCKADE_CHECK(m.group.empty() || !m.user.empty()) << "a group without a user";
  for (const std::string& name : m.env_keep) {
    CheckString(name, "env-keep", total);
    STOCKADE_CHECK(!name.empty() && name.find('=') == std::string::npos) << "env-keep " << name;
  }
  for (const std::string& pair : m.env_set) {
    CheckString(pair, "env-set", total);
    STOCKADE_CHECK(pair.find('=') != std::string::npos && pair[0] != '=') << "env-set " << pair;
  }
  if (!m.interpreter.empty()) CheckAbsolute(m.interpreter, "interpreter", total);
  STOCKADE_CHECK(m.library_dirs.empty() || !m.interpreter.empty()) << "library-dir alone";
  for (const std::string& dir : m.library_dirs) CheckAbsolute(dir, "library-dir", total);
  if (!m.preload.empty()) CheckAbsolute(m.preload, "preload", total);

  std::set<int> fds;
  for (int fd : m.keep) {
    STOCKADE_CHECK(fd >= 0 && fd <= 2) << "keep " << fd;
    STOCKADE_CHECK(fds.insert(fd).second) << "descriptor " << fd << " twice";
  }
  for (const launch::Preopen& p : m.preopens) {
    STOCKADE_CHECK(p.fd >= 3 && p.fd <= launch::kMaxFd) << "open " << p.fd;
    STOCKADE_CHECK(fds.insert(p.fd).second) << "descriptor " << p.fd << " twice";
    STOCKADE_CHECK(p.mode <= 07777) << "mode " << p.mode;
    const uint32_t modes = p.flags & (launch::kRead | launch::kWrite);
    STOCKADE_CHECK(modes != 0) << "a preopen without an access mode";
    CheckAbsolute(p.path, "open", total);
  }
  std::set<int> limited;
  for (const launch::DescriptorLimits& l : m.limits) {
    STOCKADE_CHECK(fds.count(l.fd)) << "limits on descriptor " << l.fd << ", which is not given";
    STOCKADE_CHECK(limited.insert(l.fd).second) << "two limit records for " << l.fd;
    STOCKADE_CHECK(l.rights || l.ioctls || l.fcntls) << "empty limits for " << l.fd;
    if (l.fcntls) STOCKADE_CHECK(*l.fcntls <= kFcntlAll) << "fcntls " << *l.fcntls;
    if (l.ioctls) total += l.ioctls->size();
  }
  STOCKADE_CHECK(total <= input_size) << total << " bytes parsed from " << input_size;
}

// A platform that runs the launch against a simulated descriptor table, as the kernel keeps it
// (open returns the lowest free number), and checks the order of the steps as they happen.
class SimulatedPlatform : public launch::Platform {
 public:
  SimulatedPlatform() {
    for (int fd : {0, 1, 2, 3, 7}) table_[fd] = "inherited " + std::to_string(fd);
  }

  Expected<launch::Identity> ResolveIdentity(const std::string&, const std::string&) override {
    return launch::Identity{1000, 1000};
  }
  int Open(const char* path, uint32_t, uint32_t) noexcept override {
    STOCKADE_CHECK(!capability_mode_) << "opened '" << path << "' in capability mode";
    return Install("open " + std::string(path), 0);
  }
  int OpenExecutable(const char* path) noexcept override {
    STOCKADE_CHECK(!capability_mode_) << "opened '" << path << "' in capability mode";
    return Install("exec " + std::string(path), 0);
  }
  int IsDynamicExecutable(int fd, bool* dynamic) noexcept override {
    if (!table_.count(fd)) return EBADF;
    *dynamic = true;  // exercise the run-time linker path whenever the manifest has one
    return 0;
  }
  int SetIdentity(const launch::Identity&) noexcept override { return Step(); }
  int ChangeDirectory(const char*) noexcept override { return Step(); }
  int Duplicate(int from, int to, bool) noexcept override {
    Step();
    if (!table_.count(from) || to < 0) return EBADF;
    table_[to] = table_[from];
    return 0;
  }
  int DuplicateAbove(int fd, int min) noexcept override {
    Step();
    if (!table_.count(fd)) return -EBADF;
    return Install(table_[fd], min);
  }
  int Close(int fd) noexcept override {
    Step();
    return table_.erase(fd) ? 0 : EBADF;
  }
  int CloseAllExcept(const int* keep, size_t count) noexcept override {
    Step();
    const std::set<int> kept(keep, keep + count);
    STOCKADE_CHECK(kept.size() == count) << "CloseAllExcept was given a descriptor twice";
    std::erase_if(table_, [&](const auto& entry) { return !kept.count(entry.first); });
    closed_ = true;
    return 0;
  }
  int LimitRights(int fd, const RightSet& rights) noexcept override {
    return Limit(fd,
                 "rights " + std::to_string(rights.word(0)) + " " + std::to_string(rights.word(1)));
  }
  int LimitIoctls(int fd, const uint64_t* commands, size_t count) noexcept override {
    std::string what = "ioctls";
    for (size_t i = 0; i < count; ++i) what += " " + std::to_string(commands[i]);
    return Limit(fd, what);
  }
  int LimitFcntls(int fd, uint32_t mask) noexcept override {
    return Limit(fd, "fcntls " + std::to_string(mask));
  }
  int EnterCapabilityMode() noexcept override {
    Step();
    capability_mode_ = true;
    return 0;
  }
  int Exec(int fd, const char* path, char* const argv[], char* const envp[]) noexcept override {
    Step();
    STOCKADE_CHECK(table_.count(fd) && table_[fd].rfind("exec ", 0) == 0)
        << "exec of descriptor " << fd << ", which holds no program";
    exec_fd_ = fd;
    exec_path_ = path ? path : "";
    for (char* const* a = argv; *a; ++a) argv_.emplace_back(*a);
    for (char* const* e = envp; *e; ++e) envp_.emplace_back(*e);
    execed_ = true;
    return ENOEXEC;  // the launch "fails" here, so Run returns and the result can be checked
  }

  const std::map<int, std::string>& table() const { return table_; }
  const std::map<int, std::vector<std::string>>& limits() const { return limits_; }
  bool capability_mode() const { return capability_mode_; }
  bool execed() const { return execed_; }
  int exec_fd() const { return exec_fd_; }
  const std::vector<std::string>& argv() const { return argv_; }
  const std::vector<std::string>& envp() const { return envp_; }

 private:
  int Install(std::string what, int min) {
    Step();
    int fd = min;
    while (table_.count(fd)) ++fd;
    table_[fd] = std::move(what);
    return fd;
  }
  int Step() {
    STOCKADE_CHECK(!execed_) << "a step after exec";
    return 0;
  }
  int Limit(int fd, std::string what) {
    Step();
    STOCKADE_CHECK(!capability_mode_) << "a limit after capability mode";
    STOCKADE_CHECK(closed_) << "a limit before the other descriptors are closed";
    if (!table_.count(fd)) return EBADF;
    limits_[fd].push_back(table_[fd] + ": " + what);
    return 0;
  }

  std::map<int, std::string> table_;
  std::map<int, std::vector<std::string>> limits_;
  bool closed_ = false;
  bool capability_mode_ = false;
  bool execed_ = false;
  int exec_fd_ = -1;
  std::string exec_path_;
  std::vector<std::string> argv_, envp_;
};

std::string_view NameOf(std::string_view assignment) {
  return assignment.substr(0, assignment.find('='));
}

void CheckLaunch(const Manifest& m) {
  static const char* kEnviron[] = {
      "PATH=/usr/bin:/bin",       "HOME=/root", "TERM=xterm", "LANG=C.UTF-8",
      "LD_PRELOAD=/inherited.so", nullptr};
  SimulatedPlatform platform;
  Expected<launch::PreparedLaunch> prepared =
      launch::Prepare(m, platform, const_cast<char* const*>(kEnviron));
  if (!prepared) return;  // refused before any step (a layout that does not fit, no PATH)
  const launch::LaunchFailure failure = launch::Run(*prepared, platform);
  STOCKADE_CHECK(failure.step == launch::Step::kExec && platform.execed())
      << "the launch stopped at " << launch::StepName(failure.step) << " with nothing failing";

  // Exactly the descriptors the manifest names, each holding what it names.
  const std::map<int, std::string>& table = platform.table();
  const bool interpreted = m.capability_mode && !m.interpreter.empty();
  std::set<int> expected(m.keep.begin(), m.keep.end());
  for (int fd : m.keep) {
    STOCKADE_CHECK(table.count(fd) && table.at(fd) == "inherited " + std::to_string(fd))
        << "kept descriptor " << fd << " holds " << (table.count(fd) ? table.at(fd) : "nothing");
  }
  for (const launch::Preopen& p : m.preopens) {
    expected.insert(p.fd);
    STOCKADE_CHECK(table.count(p.fd) && table.at(p.fd) == "open " + p.path)
        << "descriptor " << p.fd << " holds " << (table.count(p.fd) ? table.at(p.fd) : "nothing")
        << ", not " << p.path;
  }
  int aux = prepared->aux_base();
  if (interpreted) {
    STOCKADE_CHECK(table.count(aux) && table.at(aux).rfind("exec ", 0) == 0)
        << "the program is not at descriptor " << aux;
    expected.insert(aux++);
    for (const std::string& dir : m.library_dirs) {
      STOCKADE_CHECK(table.count(aux) && table.at(aux) == "open " + dir)
          << "library directory " << dir << " is not at descriptor " << aux;
      expected.insert(aux++);
    }
    if (!m.preload.empty()) {
      STOCKADE_CHECK(table.count(aux) && table.at(aux) == "open " + m.preload);
      expected.insert(aux++);
    }
  }
  expected.insert(platform.exec_fd());
  for (const auto& [fd, what] : table) {
    STOCKADE_CHECK(expected.count(fd)) << "descriptor " << fd << " (" << what << ") leaks";
  }
  for (int fd : expected) STOCKADE_CHECK(table.count(fd)) << "descriptor " << fd << " is missing";

  // Every limit on the descriptor it names.
  for (const launch::DescriptorLimits& l : m.limits) {
    const size_t count = (l.rights ? 1 : 0) + (l.ioctls ? 1 : 0) + (l.fcntls ? 1 : 0);
    STOCKADE_CHECK(platform.limits().count(l.fd) && platform.limits().at(l.fd).size() == count)
        << "descriptor " << l.fd << " is not limited as the manifest says";
  }
  STOCKADE_CHECK(platform.capability_mode() == m.capability_mode);

  // argv, and an environment from the manifest's rules with each name once.
  std::vector<std::string> argv = platform.argv();
  if (interpreted) {
    STOCKADE_CHECK(argv.size() == m.argv.size() + 4 && argv[0] == m.interpreter);
    argv.erase(argv.begin(), argv.begin() + 4);
  }
  STOCKADE_CHECK(argv == m.argv) << "the program gets another argv";
  std::set<std::string_view> names;
  for (const std::string& assignment : platform.envp()) {
    const std::string_view name = NameOf(assignment);
    STOCKADE_CHECK(names.insert(name).second)
        << "the environment holds '" << name << "' twice, which the program may read either way";
    bool from_rules = std::find(m.env_set.begin(), m.env_set.end(), assignment) != m.env_set.end();
    for (const std::string& kept : m.env_keep) from_rules |= name == kept;
    from_rules |= !m.env_clean;
    from_rules |= name == "LD_PRELOAD" || name == "LD_PRELOAD_FDS" || name == "LD_LIBRARY_PATH_FDS";
    // The preopen library's map, which the launcher writes for it (docs/capsicum-linux.md).
    from_rules |=
        !m.preload.empty() && (name == "STOCKADE_PREOPENS" || name == "STOCKADE_PREOPEN_CWD");
    STOCKADE_CHECK(from_rules) << "'" << assignment << "' is in the environment; no rule puts it";
  }
}

}  // namespace
}  // namespace stockade::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stockade;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Expected<launch::Manifest> manifest = launch::ParseManifest(text);
  if (!manifest) {
    fuzz::CheckRefusal(manifest.error());
    return 0;
  }
  fuzz::CheckAccepted(*manifest, size);
  const std::string written = launch::WriteManifest(*manifest);
  Expected<launch::Manifest> again = launch::ParseManifest(written);
  STOCKADE_CHECK(again) << "the parser refuses what the writer wrote: " << again.error().message()
                        << "\n"
                        << written;
  STOCKADE_CHECK(*again == *manifest) << "the manifest changed on the round trip:\n" << written;
  STOCKADE_CHECK(launch::WriteManifest(*again) == written) << "writing is not a fixed point";
  fuzz::CheckLaunch(*manifest);
  return 0;
}
