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
#include <sys/resource.h>
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
#include "network.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/base/unique_fd.h"
#include "stockade/linux_sim/gc.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/names.h"

extern char** environ;

namespace stockade::linux_sim {
namespace {

// SECCOMP_IOCTL_NOTIF_SET_FLAGS and SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6), which
// Debian 12's headers do not have yet.
constexpr unsigned long kSeccompIoctlNotifSetFlags = _IOW('!', 4, __u64);
constexpr unsigned long kSeccompUserNotifFdSyncWakeUp = 1;

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
// cgroup in that hierarchy, removed when the run ends. Each is written into a run record
// before it is created (gc.h), so that a run killed at any point leaves nothing that the next
// run or `stockade gc` does not remove.
class Cgroups {
 public:
  Status Create(const SandboxPlan& plan, const HostFacts& host, RunRecord& record) {
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
        STOCKADE_RETURN_IF_ERROR(record.AddCgroup(dir));
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
  // The value of `key` in a flat-keyed cgroup file ("oom_kill 1") of `controller`'s directory.
  std::optional<uint64_t> Counter(const HostFacts& host, const std::string& controller,
                                  const std::string& file, const std::string& key) const {
    const CgroupController* c = host.Controller(controller);
    if (!c) return std::nullopt;
    for (const std::string& dir : dirs_) {
      if (dir.rfind(c->mount + "/", 0) != 0) continue;
      std::ifstream in(dir + "/" + file);
      std::string name;
      uint64_t value = 0;
      while (in >> name >> value) {
        if (name == key) return value;
      }
    }
    return std::nullopt;
  }

  // Removes the directories once their processes are gone (the kernel kills the namespace's
  // processes when its init exits, but they take a moment to leave).
  // True when every directory is gone; what could not be removed stays in the run record, for
  // the next sweep.
  bool Remove() {
    bool all_removed = true;
    for (const std::string& dir : dirs_) {
      bool removed = false;
      for (int attempt = 0; attempt < 400 && !removed; ++attempt) {
        removed = rmdir(dir.c_str()) == 0 || errno == ENOENT;
        if (!removed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      all_removed = all_removed && removed;
    }
    dirs_.clear();
    return all_removed;
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

// "64 MiB", or the number of bytes when it is not a whole number of KiB, MiB or GiB.
std::string Bytes(const std::string& decimal) {
  const uint64_t bytes = std::strtoull(decimal.c_str(), nullptr, 10);
  for (const auto& [unit, name] : {std::pair<uint64_t, const char*>{1ull << 30, " GiB"},
                                   {1ull << 20, " MiB"},
                                   {1ull << 10, " KiB"}}) {
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes / unit) + name;
  }
  return decimal + " bytes";
}

class Supervisor {
 public:
  Supervisor(const SandboxPlan& plan, const RunOptions& options)
      : plan_(plan), options_(options), capsicum_(plan) {}

  Expected<RunResult> Run() {
    start_ns_ = Now();
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
    Mark("prepare");

    // What the run creates on the host that does not die with its namespaces goes into a run
    // record first (gc.h); runs that create nothing of the kind need none.
    const bool veth = plan_.network.mode == NetworkPlan::Mode::kVeth;
    if (!plan_.limits.cgroup.empty() || veth) {
      // What earlier runs left behind; a veth pair of a run that just ended is left to the
      // kernel, which is removing it with its namespace (gc.h).
      CollectGarbage(false, kLaunchLinkGraceSeconds);
      STOCKADE_ASSIGN_OR_RETURN(record_, RunRecord::Create(plan_.name));
    }
    STOCKADE_RETURN_IF_ERROR(cgroups_.Create(plan_, host, record_));
    STOCKADE_RETURN_IF_ERROR(cgroups_.Configure(plan_, host));
    STOCKADE_RETURN_IF_ERROR(veth_.Prepare(plan_.network));
    if (veth) STOCKADE_RETURN_IF_ERROR(record_.AddLink(plan_.network.host_interface));
    if (!plan_.limits.cgroup.empty()) Mark("cgroups");

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

    int pidfd = -1;
    struct clone_args clone {};
    clone.flags = plan_.clone_flags | CLONE_PIDFD;
    clone.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    clone.exit_signal = SIGCHLD;
    const long pid = syscall(SYS_clone3, &clone, sizeof(clone));
    if (pid < 0) return Error::FromErrno("clone3 (new namespaces)", errno);
    if (pid == 0) {
      // C's copy of the write end must go: if P dies before it sends the go byte (killed while
      // configuring C from outside, before C's PR_SET_PDEATHSIG was in place), C's read must
      // see end-of-file and exit, not wait forever on a pipe it keeps open itself. The leak
      // test found this (tests/linux_sim/leak_test.cc).
      go_write.reset();
      detail::RunInit(args);
    }
    detail::Trace(trace_, Step::kClone, 0);
    init_ = UniqueFd(pidfd);
    init_pid_ = static_cast<pid_t>(pid);
    Mark("namespaces");
    go_read.reset();
    child_report.reset();

    if (Status s = MapIds(); !s) {
      Kill();
      Wait();
      return s.error();
    }
    if (write(go_write.get(), "g", 1) != 1) {
      Kill();
      Wait();
      return Error::FromErrno("starting the sandbox", errno);
    }
    if (Status s = ConfigureChild(); !s) {
      Kill();
      Wait();
      veth_.Teardown();
      return s.error();
    }
    Mark("configure-child");
    if (write(go_write.get(), "c", 1) != 1) {
      Kill();
      Wait();
      veth_.Teardown();
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
    ReadCounters(host);
    veth_.Teardown();
    RunResult result = Result();
    // A veth's pair is still being removed by the kernel when the run ends (network.h): its
    // record stays for the next sweep, which finds the link gone and drops it.
    if (cgroups_.Remove() && veth_.HostEndGone()) {
      record_.Forget();
    } else {
      record_.MarkEnded();
    }
    Mark("teardown");
    if (trace_) {
      CollectTimings(result);
      munmap(trace_, sizeof(detail::TracePage));
    }
    return result;
  }

 private:
  // Before the first go byte: C needs its ids mapped before it can mount anything.
  Status MapIds() {
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
    return {};
  }

  // While C builds its filesystem view: the cgroups (a v1 migration waits for an RCU grace
  // period, about 4 ms here) and the network. C forks the program only after the second byte.
  Status ConfigureChild() {
    STOCKADE_RETURN_IF_ERROR(cgroups_.Attach(init_pid_));
    return veth_.Setup(init_pid_, init_.get(), trace_);
  }

  // What the cgroups counted for each limit that uses one: OOM kills, refused forks, periods
  // the CPU quota throttled the sandbox (cgroup v1 and v2 name them alike but for memory).
  void ReadCounters(const HostFacts& host) {
    std::vector<std::string> done;
    for (const CgroupSetting& setting : plan_.limits.cgroup) {
      if (std::find(done.begin(), done.end(), setting.controller) != done.end()) continue;
      done.push_back(setting.controller);
      const CgroupController* c = host.Controller(setting.controller);
      std::string file, key;
      if (setting.controller == "memory") {
        file = c && c->v2 ? "memory.events" : "memory.oom_control";
        key = "oom_kill";
      } else if (setting.controller == "pids") {
        file = "pids.events";
        key = "max";
      } else if (setting.controller == "cpu") {
        file = "cpu.stat";
        key = "nr_throttled";
      } else {
        continue;
      }
      if (auto value = cgroups_.Counter(host, setting.controller, file, key)) {
        counters_.push_back({setting.origin.clause, setting.where, file + " " + key, *value});
        if (setting.controller == "memory" && *value > 0) oom_ = &setting;
      }
    }
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
    bool report_open = true;
    while (true) {
      struct pollfd fds[5];
      int n = 0;
      fds[n++] = {report_open ? report : -1, POLLIN, 0};
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
      // While a listener is expected but not fetched yet, retry the fetch after 50 us, doubling
      // up to 2 ms: G installs its filters in 50 to 200 us, and a fixed 2 ms wait cost every
      // launch with a listener 2 ms (docs/benchmarks.md).
      struct timespec wait {};
      const struct timespec* timeout = nullptr;
      if (pending_listener_ >= 0 && !listener_) {
        listener_wait_us_ = listener_wait_us_ ? std::min(2 * listener_wait_us_, 2000L) : 50L;
        wait.tv_nsec = listener_wait_us_ * 1000L;
        timeout = &wait;
      }
      const int ready = ppoll(fds, static_cast<nfds_t>(n), timeout, nullptr);
      if (ready < 0 && errno != EINTR) break;
      if (pending_listener_ >= 0 && !listener_) FetchListener();
      if (fds[0].revents & POLLIN) ReadReports(report);
      // Hung up: C closed it on its way out. Only C's pidfd is left to wait for, and the socket
      // would report POLLHUP at once on every poll: a busy loop of thousands of polls for as
      // long as the kernel tears C's namespaces down (docs/benchmarks.md).
      if (fds[0].revents & (POLLHUP | POLLERR)) report_open = false;
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
          program_cpu_ms_ = message.cpu_ms;
          Mark("exec-and-program");
          break;
        case MessageType::kSandboxRoot:
          // Only from the launcher: after its exec the report socket is gone (close-on-exec).
          if (execs_ == 0 && passed >= 0) {
            capsicum_.SetRoot(UniqueFd(passed));
            passed = -1;
          }
          break;
        case MessageType::kLandlockRuleset:
          if (execs_ == 0 && passed >= 0) {
            capsicum_.SetLandlock(UniqueFd(passed));
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
      // Linux 6.6: the program and the supervisor wake each other on the waker's CPU, without
      // an inter-processor interrupt; where the kernel lacks it nothing changes but speed.
      ioctl(fd, kSeccompIoctlNotifSetFlags, kSeccompUserNotifFdSyncWakeUp);
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
      const int sig = static_cast<int>(info.ssi_signo);
      // The first request to stop goes to the program, which may clean up or ignore it; a
      // second one stops the sandbox, whatever the program does.
      const bool stop = sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
      if (stop && ++stop_requests_ >= 2) {
        stopped_by_ = sig;
        if (program_) syscall(SYS_pidfd_send_signal, program_.get(), SIGKILL, nullptr, 0);
        Kill();
        continue;
      }
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
    RunResult r = Outcome();
    r.limits = counters_;
    return r;
  }

  // Killed for going over a limit: by the OOM killer (the memory cgroup counted a kill, and the
  // program, or the init with it, died of SIGKILL), or by RLIMIT_CPU (SIGXCPU, or SIGKILL once
  // the CPU time it used reached the hard limit).
  std::optional<RunResult> LimitKill() const {
    const bool program_killed = program_status_ && WIFSIGNALED(*program_status_);
    const int signal = program_killed ? WTERMSIG(*program_status_) : 0;
    const bool init_killed = !program_status_ && init_status_ == 128 + SIGKILL;
    RunResult r;
    r.outcome = RunResult::Outcome::kLimitExceeded;
    if (oom_ && (signal == SIGKILL || init_killed)) {
      r.kind = "out-of-memory";
      r.exit_code = 128 + SIGKILL;
      r.message = std::string(init_killed ? "the sandbox was" : "the program was") +
                  " killed by the kernel's OOM killer: " + oom_->origin.clause + " (" +
                  oom_->where + ") caps the sandbox's memory at " + Bytes(oom_->value);
      return r;
    }
    for (const RlimitStep& step : plan_.limits.rlimits) {
      if (step.resource != RLIMIT_CPU || !program_killed) continue;
      // rusage lags the scheduler's count a little: a quarter of slack, no more.
      const bool at_hard = signal == SIGKILL && step.hard != RLIM_INFINITY &&
                           uint64_t{program_cpu_ms_} * 4 >= step.hard * 1000 * 3;
      if (signal != SIGXCPU && !at_hard) continue;
      r.kind = "cpu-time-exceeded";
      r.exit_code = 128 + signal;
      r.message = std::string("the program was killed by ") + (at_hard ? "SIGKILL" : "SIGXCPU") +
                  " after " + std::to_string(program_cpu_ms_) +
                  " ms of CPU time: " + step.origin.clause + " (" + step.where + ") allows " +
                  std::to_string(step.soft) + " s";
      return r;
    }
    return std::nullopt;
  }

  RunResult Outcome() const {
    RunResult r;
    if (!killed_.empty()) {
      r.outcome = RunResult::Outcome::kKilledByPolicy;
      r.kind = "killed-by-policy";
      r.exit_code = 128 + SIGSYS;
      r.message = killed_;
      return r;
    }
    if (stopped_by_) {
      r.outcome = RunResult::Outcome::kSignaled;
      r.kind = "stopped";
      r.exit_code = 128 + stopped_by_;
      r.message = std::string("stopped by a second SIG") + sigabbrev_np(stopped_by_) +
                  ": the sandbox was killed";
      return r;
    }
    if (timed_out_) {
      r.outcome = RunResult::Outcome::kTimedOut;
      r.kind = "timed-out";
      r.exit_code = 128 + SIGKILL;
      r.message = "the sandbox ran out of time (" + plan_.limits.wallclock_origin.clause + ", " +
                  plan_.limits.wallclock_where + ") and was killed";
      return r;
    }
    if (auto killed = LimitKill()) return *killed;
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

  // P's own steps, when tracing: the time (and time stamp counter) each one ended.
  void Mark(const char* name) {
    if (options_.trace_setup) marks_.push_back({name, Now(), detail::ReadTsc()});
  }

  // Every step's duration, P's and the children's merged in the order they ended (C and G run
  // concurrently after the fork). A step recorded with the time stamp counter only is placed
  // with the counter's rate over P's first and last marks.
  void CollectTimings(RunResult& result) const {
    std::vector<std::pair<uint64_t, std::string>> ends;
    for (const TimeMark& m : marks_) ends.emplace_back(m.ns, m.name);
    const TimeMark* first = marks_.empty() ? nullptr : &marks_.front();
    const TimeMark* last = marks_.empty() ? nullptr : &marks_.back();
    const bool calibrated = first && last->tsc > first->tsc && last->ns > first->ns;
    const uint32_t count = std::min(trace_->count.load(), detail::TracePage::kCapacity);
    for (uint32_t i = 0; i < count; ++i) {
      const auto& e = trace_->entries[i];
      uint64_t ns = e.nanoseconds;
      if (ns == 0) {
        if (!calibrated || e.tsc < first->tsc) continue;
        ns = first->ns + static_cast<uint64_t>(static_cast<double>(e.tsc - first->tsc) *
                                               static_cast<double>(last->ns - first->ns) /
                                               static_cast<double>(last->tsc - first->tsc));
      }
      std::string name;
      if (e.step == Step::kLaunch) {
        name = launch::StepName(e.launch_step);
      } else if (e.step == Step::kFs && e.index >= 0 &&
                 static_cast<size_t>(e.index) < plan_.fs.size()) {
        const FsStep& step = plan_.fs[static_cast<size_t>(e.index)];
        name = step.kind == FsStep::Kind::kPivotRoot ? "pivot_root" : step.origin.clause;
      } else {
        name = detail::StepName(e.step);
      }
      ends.emplace_back(ns, std::move(name));
    }
    std::stable_sort(ends.begin(), ends.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    uint64_t previous = start_ns_;
    for (auto& [ns, name] : ends) {
      result.timings.emplace_back(std::move(name), ns - previous);
      previous = ns;
    }
  }

  struct TimeMark {
    const char* name;
    uint64_t ns;
    uint64_t tsc;
  };

  const SandboxPlan& plan_;
  const RunOptions& options_;
  RunRecord record_;  // declared first, destroyed last: it outlives what it records
  std::vector<TimeMark> marks_;
  detail::CapsicumSupervisor capsicum_;
  Cgroups cgroups_;
  detail::VethLink veth_;
  detail::TracePage* trace_ = nullptr;
  UniqueFd init_, program_, listener_, timer_;
  pid_t init_pid_ = -1;
  bool init_exited_ = false;
  int init_status_ = 0;
  int pending_listener_ = -1;
  long listener_wait_us_ = 0;
  int execs_ = 0;
  uint64_t start_ns_ = 0;
  bool timed_out_ = false;
  int stop_requests_ = 0;  // SIGINT, SIGTERM, SIGHUP and SIGQUIT received
  int stopped_by_ = 0;     // the signal that stopped the sandbox, after a first was forwarded
  std::string killed_;
  std::optional<Message> failure_;
  std::optional<int> program_status_;
  uint32_t program_cpu_ms_ = 0;
  std::vector<RunResult::LimitCounter> counters_;
  const CgroupSetting* oom_ = nullptr;  // the memory limit, when the OOM killer struck
};

}  // namespace

Expected<RunResult> RunSandbox(const SandboxPlan& plan, const RunOptions& options) {
  return Supervisor(plan, options).Run();
}

}  // namespace stockade::linux_sim
