// SPDX-License-Identifier: BSD-2-Clause
// P, the supervisor: prepares, clones C into the new namespaces, configures it from outside,
// and supervises the run (seccomp notifications, signals, the clock, the exit status).

#include "stockade/linux_sim/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "capsicum_supervisor.h"
#include "child.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/base/unique_fd.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/names.h"

extern char** environ;

namespace stockade::linux_sim {
namespace {

using detail::Message;
using detail::MessageType;
using detail::Step;

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

uint64_t Now() {
  struct timespec now {};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

Status WriteText(const std::string& path, const std::string& text) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno("open " + path, errno);
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return Error::FromErrno("write " + path, errno);
  }
  return {};
}

// The sandbox's cgroups: one directory per controller the limits use, under this process's own
// cgroup in that hierarchy, removed when the run ends.
class Cgroups {
 public:
  Status Create(const SandboxPlan& plan, const HostFacts& host) {
    static int counter = 0;
    const std::string leaf =
        "stockade-" + plan.name + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
    for (const CgroupSetting& setting : plan.limits.cgroup) {
      const CgroupController* controller = host.Controller(setting.controller);
      if (!controller || !controller->available) {
        return Error(ErrorCode::kUnsupported,
                     "the " + setting.controller + " cgroup controller is not available");
      }
      const std::string dir = controller->mount + controller->own_path + "/" + leaf;
      if (std::find(dirs_.begin(), dirs_.end(), dir) == dirs_.end()) {
        if (mkdir(dir.c_str(), 0755) != 0) return Error::FromErrno("mkdir " + dir, errno);
        dirs_.push_back(dir);
      }
    }
    return {};
  }
  Status Configure(const SandboxPlan& plan, const HostFacts& host) {
    for (const CgroupSetting& setting : plan.limits.cgroup) {
      const CgroupController* controller = host.Controller(setting.controller);
      for (const std::string& dir : dirs_) {
        if (dir.rfind(controller->mount + "/", 0) != 0) continue;
        if (Status s = WriteText(dir + "/" + setting.file, setting.value); !s) {
          return Error(
              s.error().code(),
              "cgroup " + setting.file + " = " + setting.value + ": " + s.error().message(),
              s.error().os_errno());
        }
      }
    }
    return {};
  }
  Status Attach(pid_t pid) {
    for (const std::string& dir : dirs_) {
      STOCKADE_RETURN_IF_ERROR(WriteText(dir + "/cgroup.procs", std::to_string(pid)));
    }
    return {};
  }
  // Removes the directories once their processes are gone (the kernel kills the namespace's
  // processes when its init exits, but they take a moment to leave).
  void Remove() {
    for (const std::string& dir : dirs_) {
      for (int attempt = 0; attempt < 400; ++attempt) {
        if (rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    dirs_.clear();
  }
  ~Cgroups() { Remove(); }

 private:
  std::vector<std::string> dirs_;
};

std::string Describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "stopped";
}

std::string SyscallText(int number, const uint64_t args[6]) {
  const policy::SyscallInfo* info = policy::FindSyscallByNumber(policy::Target::kLinux, number);
  std::string text = info ? std::string(info->name) : "syscall " + std::to_string(number);
  char buffer[32];
  text += "(";
  for (int i = 0; i < 6; ++i) {
    std::snprintf(buffer, sizeof(buffer), i ? ", %#llx" : "%#llx",
                  static_cast<unsigned long long>(args[i]));
    text += buffer;
  }
  return text + ")";
}

class Supervisor {
 public:
  Supervisor(const SandboxPlan& plan, const RunOptions& options)
      : plan_(plan), options_(options), capsicum_(plan) {}

  Expected<RunResult> Run() {
    const HostFacts host = ProbeHost();
    std::error_code ec;
    std::filesystem::create_directories(plan_.staging, ec);
    if (ec)
      return Error(ErrorCode::kPermissionDenied,
                   "cannot create " + plan_.staging + ": " + ec.message());

    detail::SimPlatform resolver(&plan_, -1);
    STOCKADE_ASSIGN_OR_RETURN(launch::PreparedLaunch prepared,
                              launch::Prepare(plan_.manifest, resolver, environ));

    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
      return Error::FromErrno("socketpair", errno);
    }
    UniqueFd report(sockets[0]), child_report(sockets[1]);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Error::FromErrno("pipe2", errno);
    UniqueFd go_read(pipe_fds[0]), go_write(pipe_fds[1]);

    void* page = MAP_FAILED;
    if (options_.trace_setup) {
      page = mmap(nullptr, sizeof(detail::TracePage), PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      if (page == MAP_FAILED) return Error::FromErrno("mmap", errno);
    }
    trace_ = page == MAP_FAILED ? nullptr : static_cast<detail::TracePage*>(page);

    STOCKADE_RETURN_IF_ERROR(cgroups_.Create(plan_, host));
    STOCKADE_RETURN_IF_ERROR(cgroups_.Configure(plan_, host));

    // Forwarded signals reach P through a signalfd; C and G restore the original mask.
    sigset_t forward, original;
    sigemptyset(&forward);
    for (int sig : kForwardedSignals) sigaddset(&forward, sig);
    sigprocmask(SIG_BLOCK, &forward, &original);
    struct RestoreMask {
      sigset_t mask;
      ~RestoreMask() { sigprocmask(SIG_SETMASK, &mask, nullptr); }
    } restore{original};
    UniqueFd signals(signalfd(-1, &forward, SFD_CLOEXEC | SFD_NONBLOCK));

    detail::ChildArgs args;
    args.plan = &plan_;
    args.launch = &prepared;
    args.go_fd = go_read.get();
    args.report_fd = child_report.get();
    args.trace = trace_;
    args.original_mask = original;

    start_ns_ = Now();
    int pidfd = -1;
    struct clone_args clone {};
    clone.flags = plan_.clone_flags | CLONE_PIDFD;
    clone.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    clone.exit_signal = SIGCHLD;
    const long pid = syscall(SYS_clone3, &clone, sizeof(clone));
    if (pid < 0) return Error::FromErrno("clone3 (new namespaces)", errno);
    if (pid == 0) {
      go_write.release();  // not ours to close: it is close-on-exec and C never execs
      detail::RunInit(args);
    }
    init_ = UniqueFd(pidfd);
    init_pid_ = static_cast<pid_t>(pid);
    go_read.reset();
    child_report.reset();

    if (Status s = ConfigureChild(); !s) {
      Kill();
      Wait();
      return s.error();
    }
    if (write(go_write.get(), "g", 1) != 1) {
      Kill();
      Wait();
      return Error::FromErrno("starting the sandbox", errno);
    }
    go_write.reset();
    if (plan_.limits.wallclock_ms) {
      timer_ = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
      struct itimerspec when {};
      when.it_value.tv_sec = static_cast<time_t>(*plan_.limits.wallclock_ms / 1000);
      when.it_value.tv_nsec = static_cast<long>(*plan_.limits.wallclock_ms % 1000) * 1'000'000;
      timerfd_settime(timer_.get(), 0, &when, nullptr);
    }
    Loop(report.get(), signals.get());
    Wait();
    RunResult result = Result();
    if (trace_) {
      CollectTimings(result);
      munmap(trace_, sizeof(detail::TracePage));
    }
    cgroups_.Remove();
    return result;
  }

 private:
  Status ConfigureChild() {
    if (plan_.userns.enabled) {
      const std::string proc = "/proc/" + std::to_string(init_pid_);
      STOCKADE_RETURN_IF_ERROR(WriteText(proc + "/setgroups", "deny"));
      STOCKADE_RETURN_IF_ERROR(
          WriteText(proc + "/uid_map", std::to_string(plan_.userns.inside_uid) + " " +
                                           std::to_string(plan_.userns.outside_uid) + " 1"));
      STOCKADE_RETURN_IF_ERROR(
          WriteText(proc + "/gid_map", std::to_string(plan_.userns.inside_gid) + " " +
                                           std::to_string(plan_.userns.outside_gid) + " 1"));
    }
    return cgroups_.Attach(init_pid_);
  }

  void Kill() {
    if (init_ && !init_exited_) syscall(SYS_pidfd_send_signal, init_.get(), SIGKILL, nullptr, 0);
  }

  void Wait() {
    if (!init_ || init_exited_) return;
    siginfo_t info{};
    while (waitid(P_PIDFD, static_cast<id_t>(init_.get()), &info, WEXITED) != 0 && errno == EINTR) {
    }
    init_exited_ = true;
    init_status_ = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  }

  void Loop(int report, int signals) {
    while (true) {
      struct pollfd fds[5];
      int n = 0;
      fds[n++] = {report, POLLIN, 0};
      fds[n++] = {init_.get(), POLLIN, 0};
      const int signal_index = n;
      fds[n++] = {signals, POLLIN, 0};
      int timer_index = -1, listener_index = -1;
      if (timer_) {
        timer_index = n;
        fds[n++] = {timer_.get(), POLLIN, 0};
      }
      if (listener_) {
        listener_index = n;
        fds[n++] = {listener_.get(), POLLIN, 0};
      }
      // While a listener is expected but not fetched yet, poll briefly and retry the fetch.
      const int timeout = pending_listener_ >= 0 && !listener_ ? 2 : -1;
      const int ready = poll(fds, static_cast<nfds_t>(n), timeout);
      if (ready < 0 && errno != EINTR) break;
      if (pending_listener_ >= 0 && !listener_) FetchListener();
      if (fds[0].revents & POLLIN) ReadReports(report);
      if (listener_index >= 0 && (fds[listener_index].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (fds[listener_index].revents & POLLIN) {
          HandleNotification();
        } else {
          listener_.reset();
        }
      }
      if (fds[signal_index].revents & POLLIN) ForwardSignal(signals);
      if (timer_index >= 0 && (fds[timer_index].revents & POLLIN)) {
        timed_out_ = true;
        Kill();
      }
      if (fds[1].revents & POLLIN) {
        // C is gone; drain what it and G reported before leaving.
        ReadReports(report);
        return;
      }
    }
  }

  void ReadReports(int report) {
    while (true) {
      Message message{};
      struct iovec iov {
        &message, sizeof(message)
      };
      alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
      struct msghdr header {};
      header.msg_iov = &iov;
      header.msg_iovlen = 1;
      header.msg_control = control;
      header.msg_controllen = sizeof(control);
      const ssize_t got = recvmsg(report, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
      if (got != sizeof(message)) return;
      int passed = -1;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
          memcpy(&passed, CMSG_DATA(c), sizeof(int));
        }
      }
      switch (message.type) {
        case MessageType::kProgramPid:
          program_ = UniqueFd(passed);
          passed = -1;
          break;
        case MessageType::kInstallingFilters:
          pending_listener_ = message.value;
          FetchListener();
          break;
        case MessageType::kProgramStatus:
          program_status_ = message.value;
          break;
        case MessageType::kSandboxRoot:
          // Only from the launcher: after its exec the report socket is gone (close-on-exec).
          if (execs_ == 0 && passed >= 0) {
            capsicum_.SetRoot(UniqueFd(passed));
            passed = -1;
          }
          break;
        case MessageType::kSetupFailed:
        case MessageType::kLaunchFailed:
          if (!failure_) failure_ = message;
          break;
      }
      if (passed >= 0) close(passed);
    }
  }

  // pidfd_getfd(2) of the listener G announced; verified to be a seccomp listener before use.
  void FetchListener() {
    if (!program_ || pending_listener_ < 0) return;
    const int fd = static_cast<int>(syscall(SYS_pidfd_getfd, program_.get(), pending_listener_, 0));
    if (fd < 0) return;  // not installed yet: retried from the loop
    char link[64] = {};
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t length = readlink(path.c_str(), link, sizeof(link) - 1);
    if (length > 0 &&
        std::string_view(link, static_cast<size_t>(length)) == "anon_inode:seccomp notify") {
      listener_ = UniqueFd(fd);
      fcntl(fd, F_SETFD, FD_CLOEXEC);
      pending_listener_ = -1;
    } else {
      close(fd);  // another file sits there for now; the filter is not installed yet
    }
  }

  void HandleNotification() {
    struct seccomp_notif notification {};
    if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, &notification) != 0) return;
    struct seccomp_notif_resp response {};
    response.id = notification.id;
    const FilterModel& model = plan_.seccomp.model;
    const int number = notification.data.nr;
    uint64_t args[6];
    for (int i = 0; i < 6; ++i) args[i] = notification.data.args[i];
    if (number == STOCKADE_CAPSICUM_SYSCALL && notification.data.arch == AUDIT_ARCH_X86_64) {
      // libstockade-capsicum's reserved call, whatever the policy's rules (they apply to the
      // calls it forwards).
      int forwarded_nr = -1;
      uint64_t forwarded[6] = {};
      auto policy = [&](int nr, const uint64_t call_args[6]) {
        forwarded_nr = nr;
        for (int i = 0; i < 6; ++i) forwarded[i] = call_args[i];
        return DecideSeccomp(model, notification.data.arch, nr, forwarded, 1);
      };
      // False: the policy kills the call the program's runtime filter trapped.
      if (!capsicum_.Request(listener_.get(), notification, policy)) {
        KillForPolicy(forwarded_nr, forwarded);
      }
      return;
    }
    const bool exec = number == 59 || number == 322;  // execve, execveat on x86_64
    const uint32_t decision =
        DecideSeccomp(model, notification.data.arch, number, args, exec ? execs_++ : 1);
    switch (decision & SECCOMP_RET_ACTION_FULL) {
      case SECCOMP_RET_ALLOW:
      case SECCOMP_RET_LOG:
        // The policy allows it; the Capsicum emulation may still have to perform it.
        if (capsicum_.Handles(notification)) {
          capsicum_.Handle(listener_.get(), notification, exec && execs_ == 1);
          return;
        }
        // The decision rests on register values only, which CONTINUE executes unchanged; no
        // memory the program could change is trusted (seccomp_unotify(2)).
        response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        break;
      case SECCOMP_RET_ERRNO:
        response.error = -static_cast<int32_t>(decision & SECCOMP_RET_DATA);
        break;
      default:
        // kill (and trap, which a supervised call cannot deliver faithfully): stop everything.
        KillForPolicy(number, args);
        return;
    }
    ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SEND, &response);
  }

  void KillForPolicy(int number, uint64_t args[6]) {
    const FilterModel& model = plan_.seccomp.model;
    const FilterRule* rule = DecidingRule(model, number, args);
    killed_ = "the syscall policy killed the program: " + SyscallText(number, args) +
              " is denied by " +
              (rule ? rule->where
                    : (number > policy::kLinuxHighestKnownSyscall
                           ? "the default action for numbers unknown to libseccomp (" +
                                 model.default_where + ")"
                           : "the default action (" + model.default_where + ")"));
    // Never answer: an answer would let the call return and the program run on until the
    // signal lands. The blocked thread dies in its wait; the rest of the process with it.
    if (program_) syscall(SYS_pidfd_send_signal, program_.get(), SIGKILL, nullptr, 0);
    Kill();
  }

  void ForwardSignal(int signals) {
    struct signalfd_siginfo info {};
    while (read(signals, &info, sizeof(info)) == sizeof(info)) {
      if (program_) {
        syscall(SYS_pidfd_send_signal, program_.get(), static_cast<int>(info.ssi_signo), nullptr,
                0);
      } else {
        Kill();
      }
    }
  }

  std::string FailureText(const Message& m) const {
    if (m.type == MessageType::kLaunchFailed) {
      return launch::StepName(m.launch_step) + std::string(m.error ? ": " : "") +
             (m.error ? strerror(m.error) : "");
    }
    std::string text = detail::StepName(m.step);
    if (m.step == Step::kFs && m.index >= 0 && static_cast<size_t>(m.index) < plan_.fs.size()) {
      const FsStep& step = plan_.fs[static_cast<size_t>(m.index)];
      text += " (" + step.origin.clause + ", " +
              (step.source.empty() ? step.target : step.source + " -> " + step.target) + ")";
    }
    if (m.step == Step::kRlimit && m.index >= 0 &&
        static_cast<size_t>(m.index) < plan_.limits.rlimits.size()) {
      text += " (" + plan_.limits.rlimits[static_cast<size_t>(m.index)].origin.clause + ")";
    }
    return text + ": " + strerror(m.error);
  }

  RunResult Result() const {
    RunResult r;
    if (!killed_.empty()) {
      r.outcome = RunResult::Outcome::kKilledByPolicy;
      r.kind = "killed-by-policy";
      r.exit_code = 128 + SIGSYS;
      r.message = killed_;
      return r;
    }
    if (timed_out_) {
      r.outcome = RunResult::Outcome::kTimedOut;
      r.kind = "timed-out";
      r.exit_code = 128 + SIGKILL;
      r.message = "the sandbox ran out of time (" +
                  Where(policy::SourceSet(), plan_.limits.wallclock_origin) + ") and was killed";
      return r;
    }
    if (failure_) {
      r.outcome = RunResult::Outcome::kSetupFailed;
      if (failure_->type == MessageType::kLaunchFailed) {
        const launch::LaunchFailure f{failure_->launch_step, failure_->index, failure_->error};
        r.exit_code = launch::ExitStatusFor(f);
        r.kind = r.exit_code == launch::kExitNotFound        ? "not-found"
                 : r.exit_code == launch::kExitNotExecutable ? "not-executable"
                                                             : "setup-failed";
      } else {
        r.exit_code = launch::kExitSetupFailed;
        r.kind = "setup-failed";
      }
      r.message = "sandbox setup failed at " + FailureText(*failure_);
      return r;
    }
    if (program_status_) {
      const int status = *program_status_;
      if (WIFEXITED(status)) {
        r.outcome = RunResult::Outcome::kExited;
        r.kind = "exited";
        r.exit_code = WEXITSTATUS(status);
      } else {
        r.outcome = RunResult::Outcome::kSignaled;
        r.kind = "signaled";
        r.exit_code = 128 + WTERMSIG(status);
        if (WTERMSIG(status) == SIGSYS) {
          r.message =
              "the program was killed by SIGSYS: a call from another ABI (i386 or x32), "
              "or a 'trap' rule it did not handle";
        }
      }
      return r;
    }
    r.kind = "setup-failed";
    r.message = "the sandbox's init " +
                Describe(init_status_ < 128 ? init_status_ << 8 : init_status_ - 128) +
                " before the program started";
    return r;
  }

  void CollectTimings(RunResult& result) const {
    const uint32_t count = std::min(trace_->count.load(), detail::TracePage::kCapacity);
    uint64_t previous = start_ns_;
    for (uint32_t i = 0; i < count; ++i) {
      const auto& e = trace_->entries[i];
      std::string name =
          e.step == Step::kLaunch ? launch::StepName(e.launch_step) : detail::StepName(e.step);
      result.timings.emplace_back(name, e.nanoseconds - previous);
      previous = e.nanoseconds;
    }
  }

  const SandboxPlan& plan_;
  const RunOptions& options_;
  detail::CapsicumSupervisor capsicum_;
  Cgroups cgroups_;
  detail::TracePage* trace_ = nullptr;
  UniqueFd init_, program_, listener_, timer_;
  pid_t init_pid_ = -1;
  bool init_exited_ = false;
  int init_status_ = 0;
  int pending_listener_ = -1;
  int execs_ = 0;
  uint64_t start_ns_ = 0;
  bool timed_out_ = false;
  std::string killed_;
  std::optional<Message> failure_;
  std::optional<int> program_status_;
};

}  // namespace

Expected<RunResult> RunSandbox(const SandboxPlan& plan, const RunOptions& options) {
  return Supervisor(plan, options).Run();
}

}  // namespace stockade::linux_sim
