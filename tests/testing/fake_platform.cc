// SPDX-License-Identifier: BSD-2-Clause
// FakePlatform.

#include "testing/fake_platform.h"

#include <errno.h>

namespace stockade::testing {

FakePlatform::FakePlatform() {
  table_[0] = {"stdin", false, std::nullopt};
  table_[1] = {"stdout", false, std::nullopt};
  table_[2] = {"stderr", false, std::nullopt};
  table_[5] = {"inherited leak", false, std::nullopt};  // must not survive the launch
}

void FakePlatform::FailAt(std::string prefix, int error, int nth) {
  failures_.push_back({std::move(prefix), error, nth});
}

int FakePlatform::IndexOf(const std::string& prefix) const {
  for (size_t i = 0; i < calls_.size(); ++i) {
    if (calls_[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
  }
  return -1;
}

int FakePlatform::Record(std::string call) {
  for (Failure& failure : failures_) {
    if (call.rfind(failure.prefix, 0) == 0 && --failure.remaining == 0) {
      calls_.push_back(call + " (fails)");
      return failure.error;
    }
  }
  calls_.push_back(std::move(call));
  return 0;
}

int FakePlatform::Lowest(int min) const {
  int fd = min;
  while (table_.count(fd)) ++fd;
  return fd;
}

Expected<launch::Identity> FakePlatform::ResolveIdentity(const std::string& user,
                                                         const std::string& group) {
  if (user == "nosuchuser") return Error(ErrorCode::kNotFound, "no user 'nosuchuser'");
  launch::Identity id;
  id.uid = user == "nobody" ? 65534 : 1000;
  id.gid = group.empty() ? id.uid : 2000;
  return id;
}

int FakePlatform::Open(const char* path, uint32_t, uint32_t) noexcept {
  if (int error = Record(std::string("open ") + path)) return -error;
  const int fd = Lowest(0);
  table_[fd] = {std::string("open ") + path, true, std::nullopt};
  return fd;
}

int FakePlatform::OpenExecutable(const char* path) noexcept {
  if (int error = Record(std::string("open-executable ") + path)) return -error;
  const int fd = Lowest(0);
  table_[fd] = {std::string("executable ") + path, true, std::nullopt};
  return fd;
}

int FakePlatform::IsDynamicExecutable(int fd, bool* dynamic) noexcept {
  if (int error = Record("inspect " + std::to_string(fd))) return error;
  *dynamic = dynamic_program;
  return 0;
}

int FakePlatform::SetIdentity(const launch::Identity& id) noexcept {
  if (int error = Record("set-identity " + std::to_string(id.uid) + ":" + std::to_string(id.gid))) {
    return error;
  }
  identity = id;
  return 0;
}

int FakePlatform::ChangeDirectory(const char* path) noexcept {
  if (int error = Record(std::string("chdir ") + path)) return error;
  workdir = path;
  return 0;
}

int FakePlatform::Duplicate(int from, int to, bool cloexec) noexcept {
  if (int error = Record("dup " + std::to_string(from) + " -> " + std::to_string(to))) return error;
  if (!table_.count(from)) return EBADF;
  Descriptor copy = table_[from];
  copy.cloexec = cloexec;
  table_[to] = copy;
  return 0;
}

int FakePlatform::DuplicateAbove(int fd, int min) noexcept {
  if (int error = Record("dup-above " + std::to_string(fd) + " " + std::to_string(min))) {
    return -error;
  }
  if (!table_.count(fd)) return -EBADF;
  const int to = Lowest(min);
  table_[to] = table_[fd];
  table_[to].cloexec = true;
  return to;
}

int FakePlatform::Close(int fd) noexcept {
  Record("close " + std::to_string(fd));
  table_.erase(fd);
  return 0;
}

int FakePlatform::CloseAllExcept(const int* keep, size_t count) noexcept {
  std::string list;
  for (size_t i = 0; i < count; ++i) list += " " + std::to_string(keep[i]);
  if (int error = Record("close-all-except" + list)) return error;
  for (auto it = table_.begin(); it != table_.end();) {
    bool kept = false;
    for (size_t i = 0; i < count; ++i) kept = kept || keep[i] == it->first;
    it = kept ? std::next(it) : table_.erase(it);
  }
  return 0;
}

int FakePlatform::LimitRights(int fd, const RightSet& rights) noexcept {
  if (int error = Record("limit-rights " + std::to_string(fd))) return error;
  if (!table_.count(fd)) return EBADF;
  table_[fd].rights = rights;
  return 0;
}

int FakePlatform::LimitIoctls(int fd, const uint64_t*, size_t count) noexcept {
  return Record("limit-ioctls " + std::to_string(fd) + " " + std::to_string(count));
}

int FakePlatform::LimitFcntls(int fd, uint32_t mask) noexcept {
  return Record("limit-fcntls " + std::to_string(fd) + " " + std::to_string(mask));
}

int FakePlatform::EnterCapabilityMode() noexcept {
  if (int error = Record("cap-enter")) return error;
  in_capability_mode = true;
  return 0;
}

int FakePlatform::Exec(int fd, const char* path, char* const argv[], char* const envp[]) noexcept {
  if (int error = Record("exec " + std::to_string(fd) + " " + path)) return error;
  executed = true;
  exec_what = table_.count(fd) ? table_[fd].what : "(closed)";
  for (char* const* a = argv; *a; ++a) exec_argv.emplace_back(*a);
  for (char* const* e = envp; *e; ++e) exec_envp.emplace_back(*e);
  // A real exec does not return; the core must treat a return as a failure.
  return ENOEXEC;
}

}  // namespace stockade::testing
