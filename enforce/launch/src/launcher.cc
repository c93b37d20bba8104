// SPDX-License-Identifier: BSD-2-Clause
// The launcher core's steps. Prepare() does every allocation; Run() only calls the platform.

#include "stockade/launch/launcher.h"

#include <errno.h>
#include <string.h>

#include <algorithm>
#include <set>

namespace stockade::launch {
namespace {

// Rights the run-time linker needs on what it is handed in capability mode: it reads, maps and
// stats the program (rtld -f); looks libraries up beneath the directories and maps them; reads
// the preload library. See rtld(1), "LD_LIBRARY_PATH_FDS".
RightSet ProgramRights() {
  RightSet rights;
  for (const char* name : {"CAP_READ", "CAP_SEEK", "CAP_FSTAT", "CAP_MMAP_RX", "CAP_FEXECVE"}) {
    rights.Add(FindRight(name)->value);
  }
  return rights;
}

RightSet LibraryDirRights() {
  RightSet rights = ProgramRights();
  for (const char* name : {"CAP_LOOKUP", "CAP_FSTATAT", "CAP_FCNTL"})
    rights.Add(FindRight(name)->value);
  return rights;
}

std::string_view NameOf(std::string_view assignment) {
  return assignment.substr(0, assignment.find('='));
}

// The preopen library's encoding of one path (docs/freebsd-launcher.md): '%', ',' and every
// byte outside 0x21..0x7e as %XX.
std::string EncodePreopenPath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (c < 0x21 || c > 0x7e || c == '%' || c == ',') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

const char* StepName(Step step) {
  switch (step) {
    case Step::kOpenPreopen:
      return "open-preopen";
    case Step::kOpenProgram:
      return "open-program";
    case Step::kInspectProgram:
      return "inspect-program";
    case Step::kOpenInterpreter:
      return "open-interpreter";
    case Step::kOpenLibraryDir:
      return "open-library-dir";
    case Step::kOpenPreload:
      return "open-preload";
    case Step::kSetIdentity:
      return "set-identity";
    case Step::kChangeDirectory:
      return "change-directory";
    case Step::kArrangeDescriptors:
      return "arrange-descriptors";
    case Step::kCloseDescriptors:
      return "close-descriptors";
    case Step::kLimitRights:
      return "limit-rights";
    case Step::kLimitIoctls:
      return "limit-ioctls";
    case Step::kLimitFcntls:
      return "limit-fcntls";
    case Step::kEnterCapabilityMode:
      return "enter-capability-mode";
    case Step::kExec:
      return "exec";
  }
  return "unknown-step";
}

int ExitStatusFor(const LaunchFailure& failure) {
  const bool exec_step = failure.step == Step::kOpenProgram || failure.step == Step::kExec;
  if (exec_step && (failure.error_number == ENOENT || failure.error_number == ENOTDIR)) {
    return kExitNotFound;
  }
  if (exec_step && (failure.error_number == EACCES || failure.error_number == ENOEXEC ||
                    failure.error_number == EISDIR || failure.error_number == EPERM)) {
    return kExitNotExecutable;
  }
  return kExitSetupFailed;
}

std::string PreparedLaunch::Describe(const LaunchFailure& failure) const {
  std::string text = StepName(failure.step);
  auto path_of = [&](int fd) -> std::string {
    for (const Preopen& p : manifest_.preopens) {
      if (p.fd == fd) return p.path;
    }
    return "";
  };
  switch (failure.step) {
    case Step::kOpenProgram:
    case Step::kInspectProgram:
    case Step::kExec:
      text += " " + manifest_.program;
      break;
    case Step::kOpenInterpreter:
      text += " " + manifest_.interpreter;
      break;
    case Step::kOpenLibraryDir:
      if (failure.fd >= 0 && static_cast<size_t>(failure.fd) < manifest_.library_dirs.size()) {
        text += " " + manifest_.library_dirs[failure.fd];
      }
      break;
    case Step::kOpenPreload:
      text += " " + manifest_.preload;
      break;
    case Step::kChangeDirectory:
      text += " " + manifest_.workdir;
      break;
    case Step::kSetIdentity:
      text += " " + manifest_.user + (manifest_.group.empty() ? "" : ":" + manifest_.group);
      break;
    default:
      if (failure.fd >= 0) {
        text += " of fd " + std::to_string(failure.fd);
        const std::string path = path_of(failure.fd);
        if (!path.empty()) text += " (" + path + ")";
      }
      break;
  }
  if (failure.error_number) text += std::string(": ") + strerror(failure.error_number);
  return text;
}

Expected<PreparedLaunch> Prepare(const Manifest& manifest, Platform& platform,
                                 char* const* environ) {
  PreparedLaunch launch;
  launch.manifest_ = manifest;
  const Manifest& m = launch.manifest_;
  if (m.argv.empty() || m.program.empty()) {
    return Error(ErrorCode::kInvalidArgument, "the manifest names no program");
  }
  if (!m.user.empty()) {
    STOCKADE_ASSIGN_OR_RETURN(launch.identity_, platform.ResolveIdentity(m.user, m.group));
    launch.has_identity_ = true;
  }

  // The environment: the launcher's own when not clean, the kept names, then explicit values.
  std::vector<std::string> env;
  auto set = [&](std::string assignment) {
    const std::string_view name = NameOf(assignment);
    for (std::string& existing : env) {
      if (NameOf(existing) == name) {
        existing = std::move(assignment);
        return;
      }
    }
    env.push_back(std::move(assignment));
  };
  for (char* const* e = environ; e && *e; ++e) {
    std::string_view assignment(*e);
    if (assignment.find('=') == std::string_view::npos) continue;
    const std::string_view name = NameOf(assignment);
    const bool kept = std::find(m.env_keep.begin(), m.env_keep.end(), name) != m.env_keep.end();
    if (!m.env_clean || kept) set(std::string(assignment));
  }
  for (const std::string& assignment : m.env_set) set(assignment);
  // The preopen library maps paths onto the preopened directories: it is told which they are
  // and where the program starts (docs/freebsd-launcher.md, "Environment").
  if (!m.preload.empty()) {
    std::string map;
    for (const Preopen& p : m.preopens) {
      if (!(p.flags & kDirectory)) continue;
      map += (map.empty() ? "" : ",") + std::to_string(p.fd) + ":" + EncodePreopenPath(p.path);
    }
    if (!map.empty()) {
      set("STOCKADE_PREOPENS=" + map);
      set("STOCKADE_PREOPEN_CWD=" + EncodePreopenPath(m.workdir));
    }
  }

  // The program's candidate paths: a name without '/' is looked up in the final PATH (or
  // execvp(3)'s default), as the shell would; Run opens the first that exists.
  if (m.program.find('/') != std::string::npos) {
    launch.program_candidates_.push_back(m.program);
  } else {
    std::string path = "/bin:/usr/bin";
    for (const std::string& assignment : env) {
      if (NameOf(assignment) == "PATH") path = assignment.substr(5);
    }
    size_t start = 0;
    while (start <= path.size()) {
      size_t colon = path.find(':', start);
      if (colon == std::string::npos) colon = path.size();
      std::string dir = path.substr(start, colon - start);
      // Relative PATH entries would be looked up from the working directory; a sandbox
      // launcher refuses to guess and skips them.
      if (!dir.empty() && dir[0] == '/') {
        launch.program_candidates_.push_back(dir + (dir.back() == '/' ? "" : "/") + m.program);
      }
      start = colon + 1;
    }
    if (launch.program_candidates_.empty()) {
      return Error(ErrorCode::kNotFound, "'" + m.program + "': no absolute directory in PATH");
    }
  }

  // Descriptor layout: kept standard descriptors and preopens at their numbers; the
  // interpreter's descriptors right after the highest of them.
  std::set<int> numbers(m.keep.begin(), m.keep.end());
  for (const Preopen& p : m.preopens) numbers.insert(p.fd);
  launch.aux_base_ = std::max(3, numbers.empty() ? 3 : *numbers.rbegin() + 1);
  const int aux_count = 1 + static_cast<int>(m.library_dirs.size()) + (m.preload.empty() ? 0 : 1);
  if (!m.interpreter.empty() && launch.aux_base_ + aux_count > kMaxFd + 1) {
    return Error(ErrorCode::kInvalidArgument, "too many descriptors for the interpreter's layout");
  }

  // Strings first (their addresses must not move), then the pointer arrays.
  std::vector<std::string>& s = launch.strings_;
  s.reserve(m.argv.size() * 2 + env.size() * 2 + 16);
  auto keep_string = [&](std::string value) -> char* {
    s.push_back(std::move(value));
    return s.back().data();
  };
  for (const std::string& arg : m.argv) launch.direct_argv_.push_back(keep_string(arg));
  launch.direct_argv_.push_back(nullptr);
  // The launcher's own variables replace what the rules gave, so that every name is in the
  // environment once (with two, libc and the run-time linker may each read another one; found
  // by fuzz/manifest_fuzzer.cc). The preopen library goes first in LD_PRELOAD, and a list the
  // program would have had stays after it.
  std::vector<std::string> direct_env = env;
  auto replace = [](std::vector<std::string>& list, std::string assignment) {
    const std::string_view name = NameOf(assignment);
    std::erase_if(list, [&](const std::string& e) { return NameOf(e) == name; });
    list.push_back(std::move(assignment));
  };
  if (!m.preload.empty()) {
    constexpr std::string_view kPreload = "LD_PRELOAD=";
    std::string preload = std::string(kPreload) + m.preload;
    for (const std::string& e : env) {
      if (NameOf(e) == "LD_PRELOAD" && e.size() > kPreload.size()) {
        preload += ":" + e.substr(kPreload.size());
      }
    }
    replace(direct_env, std::move(preload));
  }
  for (const std::string& assignment : direct_env) {
    launch.direct_envp_.push_back(keep_string(assignment));
  }
  launch.direct_envp_.push_back(nullptr);
  if (!m.interpreter.empty()) {
    launch.interp_argv_.push_back(keep_string(m.interpreter));
    launch.interp_argv_.push_back(keep_string("-f"));
    launch.interp_argv_.push_back(keep_string(std::to_string(launch.aux_base_)));
    launch.interp_argv_.push_back(keep_string("--"));
    for (const std::string& arg : m.argv) launch.interp_argv_.push_back(keep_string(arg));
    launch.interp_argv_.push_back(nullptr);
    std::vector<std::string> interp_env = env;
    std::string fds;
    for (size_t i = 0; i < m.library_dirs.size(); ++i) {
      fds += (i ? ":" : "") + std::to_string(launch.aux_base_ + 1 + static_cast<int>(i));
    }
    if (!fds.empty()) replace(interp_env, "LD_LIBRARY_PATH_FDS=" + fds);
    if (!m.preload.empty()) {
      replace(interp_env, "LD_PRELOAD_FDS=" + std::to_string(launch.aux_base_ + aux_count - 1));
    }
    for (const std::string& assignment : interp_env) {
      launch.interp_envp_.push_back(keep_string(assignment));
    }
    launch.interp_envp_.push_back(nullptr);
  }

  // Scratch for Run: room for every descriptor it places and keeps, so Run never allocates.
  const size_t places = m.preopens.size() + static_cast<size_t>(aux_count) + 2;
  launch.sources_.assign(places, -1);
  launch.targets_.assign(places, -1);
  launch.keep_.assign(numbers.size() + places, -1);
  launch.program_rights_ = ProgramRights();
  launch.library_rights_ = LibraryDirRights();
  return launch;
}

LaunchFailure Run(PreparedLaunch& launch, Platform& platform) noexcept {
  const Manifest& m = launch.manifest_;
  size_t placed = 0;
  auto place = [&](int source, int target) {
    launch.sources_[placed] = source;
    launch.targets_[placed] = target;
    ++placed;
  };

  // 1. Preopens.
  for (const Preopen& p : m.preopens) {
    const int fd = platform.Open(p.path.c_str(), p.flags, p.mode);
    if (fd < 0) return {Step::kOpenPreopen, p.fd, -fd};
    place(fd, p.fd);
  }

  // 2. The program, and what its run-time linker needs in capability mode.
  int program = -ENOENT;
  for (const std::string& candidate : launch.program_candidates_) {
    const int fd = platform.OpenExecutable(candidate.c_str());
    if (fd >= 0) {
      program = fd;
      launch.program_path_ = candidate.c_str();
      break;
    }
    // As execvp(3): a candidate that exists but cannot be executed is remembered.
    if (program == -ENOENT || fd == -EACCES) program = fd;
  }
  if (program < 0) return {Step::kOpenProgram, -1, -program};
  bool via_interpreter = false;
  int exec_fd = program;
  if (m.capability_mode && !m.interpreter.empty()) {
    bool dynamic = false;
    if (int error = platform.IsDynamicExecutable(program, &dynamic)) {
      return {Step::kInspectProgram, -1, error};
    }
    via_interpreter = dynamic;
  }
  int next_aux = launch.aux_base_;
  if (via_interpreter) {
    exec_fd = platform.OpenExecutable(m.interpreter.c_str());
    if (exec_fd < 0) return {Step::kOpenInterpreter, -1, -exec_fd};
    place(program, next_aux++);
    for (size_t i = 0; i < m.library_dirs.size(); ++i) {
      const int dir = platform.Open(m.library_dirs[i].c_str(), kRead | kDirectory, 0);
      if (dir < 0) return {Step::kOpenLibraryDir, static_cast<int32_t>(i), -dir};
      place(dir, next_aux++);
    }
    if (!m.preload.empty()) {
      const int preload = platform.Open(m.preload.c_str(), kRead, 0);
      if (preload < 0) return {Step::kOpenPreload, -1, -preload};
      place(preload, next_aux++);
    }
  }

  // 3, 4. Identity and working directory.
  if (launch.has_identity_) {
    if (int error = platform.SetIdentity(launch.identity_)) return {Step::kSetIdentity, -1, error};
  }
  if (int error = platform.ChangeDirectory(m.workdir.c_str())) {
    return {Step::kChangeDirectory, -1, error};
  }

  // 5. Every placed descriptor to its number. A source (or the descriptor to execute) may sit on
  // a placement's target: such descriptors first move above every target, then each placement
  // is duplicated into place from a number no other placement writes.
  auto is_target = [&](int fd) {
    for (size_t i = 0; i < placed; ++i) {
      if (launch.targets_[i] == fd) return true;
    }
    return false;
  };
  int above = 3;
  for (size_t i = 0; i < placed; ++i) above = std::max(above, launch.targets_[i] + 1);
  auto move_up = [&](int& fd) -> int {
    if (!is_target(fd)) return 0;
    const int moved = platform.DuplicateAbove(fd, above);
    if (moved < 0) return -moved;
    platform.Close(fd);
    fd = moved;
    return 0;
  };
  for (size_t i = 0; i < placed; ++i) {
    if (int error = move_up(launch.sources_[i])) {
      return {Step::kArrangeDescriptors, launch.targets_[i], error};
    }
  }
  if (int error = move_up(exec_fd)) return {Step::kArrangeDescriptors, -1, error};
  for (size_t i = 0; i < placed; ++i) {
    if (int error = platform.Duplicate(launch.sources_[i], launch.targets_[i], /*cloexec=*/false)) {
      return {Step::kArrangeDescriptors, launch.targets_[i], error};
    }
    platform.Close(launch.sources_[i]);
  }

  // 6. Close everything else: the kept standard descriptors, the placements and the
  // descriptor to execute stay.
  size_t kept = 0;
  for (int fd : m.keep) launch.keep_[kept++] = fd;
  for (size_t i = 0; i < placed; ++i) launch.keep_[kept++] = launch.targets_[i];
  launch.keep_[kept++] = exec_fd;
  std::sort(launch.keep_.begin(), launch.keep_.begin() + static_cast<long>(kept));
  if (int error = platform.CloseAllExcept(launch.keep_.data(), kept)) {
    return {Step::kCloseDescriptors, -1, error};
  }

  // 7. Limits, before capability mode (cap_rights_limit works in it too, but a failure must
  // stop the launch while the launcher can still report it cleanly).
  for (const DescriptorLimits& l : m.limits) {
    if (l.rights) {
      if (int error = platform.LimitRights(l.fd, *l.rights))
        return {Step::kLimitRights, l.fd, error};
    }
    if (l.ioctls) {
      if (int error = platform.LimitIoctls(l.fd, l.ioctls->data(), l.ioctls->size())) {
        return {Step::kLimitIoctls, l.fd, error};
      }
    }
    if (l.fcntls) {
      if (int error = platform.LimitFcntls(l.fd, *l.fcntls))
        return {Step::kLimitFcntls, l.fd, error};
    }
  }
  if (via_interpreter) {
    int fd = launch.aux_base_;
    if (int error = platform.LimitRights(fd, launch.program_rights_)) {
      return {Step::kLimitRights, fd, error};
    }
    for (size_t i = 0; i < m.library_dirs.size(); ++i) {
      ++fd;
      if (int error = platform.LimitRights(fd, launch.library_rights_)) {
        return {Step::kLimitRights, fd, error};
      }
    }
    if (!m.preload.empty()) {
      ++fd;
      if (int error = platform.LimitRights(fd, launch.program_rights_)) {
        return {Step::kLimitRights, fd, error};
      }
    }
  }

  // 8. Capability mode.
  if (m.capability_mode) {
    if (int error = platform.EnterCapabilityMode()) return {Step::kEnterCapabilityMode, -1, error};
  }

  // 9. Exec. Nothing after it.
  const int error = via_interpreter
                        ? platform.Exec(exec_fd, m.interpreter.c_str(), launch.interp_argv_.data(),
                                        launch.interp_envp_.data())
                        : platform.Exec(exec_fd, launch.program_path_, launch.direct_argv_.data(),
                                        launch.direct_envp_.data());
  return {Step::kExec, -1, error ? error : EINVAL};
}

}  // namespace stockade::launch
