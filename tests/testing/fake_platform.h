// SPDX-License-Identifier: BSD-2-Clause
// FakePlatform: a launch::Platform that models a descriptor table and records every call, so the
// launcher core's order, error handling and descriptor hygiene are tested without a kernel.

#ifndef STOCKADE_TESTS_TESTING_FAKE_PLATFORM_H_
#define STOCKADE_TESTS_TESTING_FAKE_PLATFORM_H_

#include <map>
#include <string>
#include <vector>

#include "stockade/launch/platform.h"

namespace stockade::testing {

class FakePlatform : public launch::Platform {
 public:
  struct Descriptor {
    std::string what;  // "stdin", "open /srv/data", "program /bin/x"
    bool cloexec = false;
    std::optional<RightSet> rights;
  };

  FakePlatform();

  // Makes the `nth` (1-based) call whose log line starts with `prefix` fail with `error`.
  void FailAt(std::string prefix, int error, int nth = 1);

  // Every call, in order: "open /srv/data", "dup 5 -> 3", "limit-rights 3", "exec 7".
  const std::vector<std::string>& calls() const { return calls_; }
  // Index of the first call starting with `prefix`, or -1.
  int IndexOf(const std::string& prefix) const;
  const std::map<int, Descriptor>& table() const { return table_; }

  bool dynamic_program = false;
  bool in_capability_mode = false;
  bool executed = false;
  std::vector<std::string> exec_argv;
  std::vector<std::string> exec_envp;
  std::string exec_what;  // what the executed descriptor refers to
  launch::Identity identity;
  std::string workdir;

  Expected<launch::Identity> ResolveIdentity(const std::string& user,
                                             const std::string& group) override;
  int Open(const char* path, uint32_t flags, uint32_t mode) noexcept override;
  int OpenExecutable(const char* path) noexcept override;
  int IsDynamicExecutable(int fd, bool* dynamic) noexcept override;
  int SetIdentity(const launch::Identity& identity) noexcept override;
  int ChangeDirectory(const char* path) noexcept override;
  int Duplicate(int from, int to, bool cloexec) noexcept override;
  int DuplicateAbove(int fd, int min) noexcept override;
  int Close(int fd) noexcept override;
  int CloseAllExcept(const int* keep, size_t count) noexcept override;
  int LimitRights(int fd, const RightSet& rights) noexcept override;
  int LimitIoctls(int fd, const uint64_t* commands, size_t count) noexcept override;
  int LimitFcntls(int fd, uint32_t mask) noexcept override;
  int EnterCapabilityMode() noexcept override;
  int Exec(int fd, const char* path, char* const argv[], char* const envp[]) noexcept override;

 private:
  // Logs the call; returns the injected errno, or 0.
  int Record(std::string call);
  int Lowest(int min) const;

  std::vector<std::string> calls_;
  std::map<int, Descriptor> table_;
  struct Failure {
    std::string prefix;
    int error;
    int remaining;
  };
  std::vector<Failure> failures_;
};

}  // namespace stockade::testing

#endif  // STOCKADE_TESTS_TESTING_FAKE_PLATFORM_H_
