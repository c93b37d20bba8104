// SPDX-License-Identifier: BSD-2-Clause
// The limits table: rctl resources as rlimits, cgroup settings, IPC-namespace sysctls and the
// supervisor's clock. docs/linux-sim.md prints this table.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include "mappings.h"
#include "stockade/linux_sim/tables.h"

namespace stockade::linux_sim::detail {
namespace {

using enforce::Fidelity;

enum class Mechanism : uint8_t { kRlimit, kCgroup, kIpcSysctl, kSupervisor, kNone };

struct LimitRow {
  std::string_view resource;
  Mechanism mechanism;
  int rlimit;                   // kRlimit
  std::string_view controller;  // kCgroup
  Fidelity fidelity;            // for the deny action
  std::string_view how;
};

constexpr LimitRow kRows[] = {
    {"memoryuse", Mechanism::kCgroup, 0, "memory", Fidelity::kApproximated,
     "the memory cgroup (memory.limit_in_bytes, or memory.max on cgroup v2) caps the memory of "
     "the whole sandbox; going over it runs the OOM killer instead of failing the allocation, "
     "stockade reports the kill (from the cgroup's oom_kill counter) with exit status 137"},
    {"maxproc", Mechanism::kCgroup, 0, "pids", Fidelity::kApproximated,
     "the pids cgroup (pids.max, the amount plus one for linux-sim's init) caps the sandbox's "
     "tasks: threads count too, fork(2) fails with EAGAIN; RLIMIT_NPROC is not used, as it "
     "counts every process of the uid on the host and the kernel ignores it for uid 0"},
    {"nthr", Mechanism::kCgroup, 0, "pids", Fidelity::kApproximated,
     "the pids cgroup caps tasks (processes and threads together, the init included): "
     "pthread_create fails with EAGAIN"},
    {"pcpu", Mechanism::kCgroup, 0, "cpu", Fidelity::kApproximated,
     "the CFS quota (cpu.cfs_quota_us per 100 ms cpu.cfs_period_us, or cpu.max on cgroup v2) "
     "throttles the sandbox to this share of one CPU instead of refusing"},
    {"openfiles", Mechanism::kRlimit, RLIMIT_NOFILE, "", Fidelity::kApproximated,
     "RLIMIT_NOFILE caps each process's descriptor table (open fails with EMFILE), not the "
     "sandbox's total"},
    {"vmemoryuse", Mechanism::kRlimit, RLIMIT_AS, "", Fidelity::kApproximated,
     "RLIMIT_AS caps each process's address space (mmap and brk fail with ENOMEM), not the "
     "sandbox's total"},
    {"datasize", Mechanism::kRlimit, RLIMIT_DATA, "", Fidelity::kExact,
     "RLIMIT_DATA, per process as on FreeBSD (brk and private writable mappings fail with "
     "ENOMEM)"},
    {"stacksize", Mechanism::kRlimit, RLIMIT_STACK, "", Fidelity::kExact,
     "RLIMIT_STACK, per process as on FreeBSD (growing past it is SIGSEGV)"},
    {"coredumpsize", Mechanism::kRlimit, RLIMIT_CORE, "", Fidelity::kExact, "RLIMIT_CORE"},
    {"memorylocked", Mechanism::kRlimit, RLIMIT_MEMLOCK, "", Fidelity::kApproximated,
     "RLIMIT_MEMLOCK, per process (mlock fails with ENOMEM)"},
    {"cputime", Mechanism::kRlimit, RLIMIT_CPU, "", Fidelity::kApproximated,
     "RLIMIT_CPU counts each process's CPU time: sigxcpu leaves the hard limit alone (SIGXCPU "
     "every second past it, as rctl repeats it), sigkill sets both (SIGKILL at the limit)"},
    {"wallclock", Mechanism::kSupervisor, 0, "", Fidelity::kExact,
     "the supervisor kills the sandbox when the time is up"},
    {"nshm", Mechanism::kIpcSysctl, 0, "kernel.shmmni", Fidelity::kApproximated,
     "kernel.shmmni of the sandbox's IPC namespace (SysV only, not POSIX shm)"},
    {"shmsize", Mechanism::kIpcSysctl, 0, "kernel.shmall", Fidelity::kApproximated,
     "kernel.shmall of the sandbox's IPC namespace, in pages (SysV only)"},
    {"nmsgq", Mechanism::kIpcSysctl, 0, "kernel.msgmni", Fidelity::kExact,
     "kernel.msgmni of the sandbox's IPC namespace"},
    {"msgqsize", Mechanism::kIpcSysctl, 0, "kernel.msgmnb", Fidelity::kApproximated,
     "kernel.msgmnb caps each queue, not their total"},
    {"nsem", Mechanism::kIpcSysctl, 0, "kernel.sem", Fidelity::kApproximated,
     "the SEMMNS field of kernel.sem in the sandbox's IPC namespace"},
    {"swapuse", Mechanism::kNone, 0, "", Fidelity::kNotEnforced,
     "the memory cgroup caps memory and swap together (memory.memsw), not swap alone; with "
     "memoryuse linux-sim keeps the sandbox out of swap (memory.swappiness 0)"},
    {"pseudoterminals", Mechanism::kNone, 0, "", Fidelity::kNotEnforced,
     "linux-sim gives no pseudo-terminals at all (/dev/pts is absent)"},
    {"msgqqueued", Mechanism::kNone, 0, "", Fidelity::kNotEnforced, "no Linux counterpart"},
    {"nsemop", Mechanism::kNone, 0, "", Fidelity::kNotEnforced,
     "SEMOPM is a system-wide setting in kernel.sem"},
    {"readbps", Mechanism::kNone, 0, "", Fidelity::kNotEnforced,
     "I/O throttling needs the blkio controller and a block device per limit"},
    {"writebps", Mechanism::kNone, 0, "", Fidelity::kNotEnforced, "as readbps"},
    {"readiops", Mechanism::kNone, 0, "", Fidelity::kNotEnforced, "as readbps"},
    {"writeiops", Mechanism::kNone, 0, "", Fidelity::kNotEnforced, "as readbps"},
};

std::string MechanismText(const LimitRow& row) {
  switch (row.mechanism) {
    case Mechanism::kRlimit:
      switch (row.rlimit) {
        case RLIMIT_NOFILE:
          return "RLIMIT_NOFILE";
        case RLIMIT_AS:
          return "RLIMIT_AS";
        case RLIMIT_DATA:
          return "RLIMIT_DATA";
        case RLIMIT_STACK:
          return "RLIMIT_STACK";
        case RLIMIT_CORE:
          return "RLIMIT_CORE";
        case RLIMIT_MEMLOCK:
          return "RLIMIT_MEMLOCK";
        case RLIMIT_CPU:
          return "RLIMIT_CPU";
        default:
          return "an rlimit";
      }
    case Mechanism::kCgroup:
      return std::string(row.controller) + " cgroup (v1 or v2, whichever offers it)";
    case Mechanism::kIpcSysctl:
      return std::string(row.controller) + " of the sandbox's IPC namespace";
    case Mechanism::kSupervisor:
      return "the supervisor's clock";
    case Mechanism::kNone:
      return "nothing";
  }
  return "nothing";
}

// Why the IPC limits need root: the sysctls of an IPC namespace are writable by the root of
// the user namespace that owns it, and the one a non-root caller gets maps only its own uid.
constexpr std::string_view kIpcUserns =
    "cannot be set when stockade is not root: the IPC namespace's sysctls belong to the root of "
    "its user namespace, which maps only the caller's uid";

const LimitRow* Row(std::string_view resource) {
  for (const LimitRow& row : kRows) {
    if (row.resource == resource) return &row;
  }
  return nullptr;
}

std::string Where(const policy::Limit& limit) { return "limits." + limit.resource; }

}  // namespace

Expected<LimitsPlan> PlanLimits(const policy::Policy& policy, const HostFacts& host) {
  LimitsPlan plan;
  // Without CAP_SYS_RESOURCE no limit can rise above the hard limit stockade was started with,
  // so a larger amount is lowered to it: the limit in force is the smaller of the two, as on
  // FreeBSD, where rctl never raises a process's own rlimits either.
  auto rlimit = [&](int resource, uint64_t soft, uint64_t hard, Origin origin) {
    struct rlimit current {};
    if (getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY) {
      hard = std::min<uint64_t>(hard, current.rlim_max);
    }
    soft = std::min(soft, hard);
    for (RlimitStep& existing : plan.rlimits) {
      if (existing.resource == resource) {
        existing.soft = std::min(existing.soft, soft);
        existing.hard = std::min(existing.hard, hard);
        return;
      }
    }
    plan.rlimits.push_back({resource, soft, hard, std::move(origin), ""});
  };
  if (!policy.exec.core_dumps) {
    rlimit(RLIMIT_CORE, 0, 0, {"exec.core_dumps", policy.exec.core_dumps_span});
  }
  if (policy.exec.timeout_ms) plan.wallclock_ms = *policy.exec.timeout_ms;
  if (policy.exec.timeout_ms) plan.wallclock_origin = {"exec.timeout", policy.exec.timeout_span};
  uint64_t pids = 0;
  Origin pids_origin;
  for (const policy::Limit& limit : policy.limits) {
    const LimitRow* row = Row(limit.resource);
    if (!row) continue;
    const Origin origin{Where(limit), limit.span};
    // Only limits that stop something are planned here; log and devctl have no Linux
    // counterpart and are reported as not enforced by AssessLimits.
    const bool stops =
        limit.action == policy::LimitAction::kDeny || limit.action == policy::LimitAction::kSignal;
    if (!stops) continue;
    switch (row->mechanism) {
      case Mechanism::kRlimit: {
        uint64_t hard = limit.amount;
        // sigxcpu: SIGXCPU from the soft limit on, every second; the hard limit stays.
        if (limit.resource == "cputime" && limit.action == policy::LimitAction::kSignal &&
            limit.signal == "xcpu") {
          hard = RLIM_INFINITY;
        }
        rlimit(row->rlimit, limit.amount, hard, origin);
        break;
      }
      case Mechanism::kSupervisor:
        if (limit.amount * 1000 < plan.wallclock_ms.value_or(UINT64_MAX)) {
          plan.wallclock_ms = limit.amount * 1000;
          plan.wallclock_origin = origin;
        }
        break;
      case Mechanism::kCgroup: {
        const CgroupController* controller = host.Controller(std::string(row->controller));
        if (!controller || !controller->available) {
          // Assess() reports the limit as not enforced; it is left out only when the policy
          // accepts exactly that (fidelity: not-enforced), whoever called us.
          if (enforce::Covers(
                  enforce::FindAcceptance(policy, Where(limit), enforce::BackendFamily::kLinux),
                  enforce::Fidelity::kNotEnforced)) {
            continue;
          }
          return Error(ErrorCode::kUnsupported,
                       "limits." + limit.resource + " needs the " + std::string(row->controller) +
                           " cgroup controller, which this host does not offer");
        }
        if (row->controller == "memory") {
          plan.cgroup.push_back({"memory", controller->v2 ? "memory.max" : "memory.limit_in_bytes",
                                 std::to_string(limit.amount), origin, ""});
          if (!controller->v2) {
            // Without swap accounting a v1 limit would let the sandbox spill into swap.
            plan.cgroup.push_back({"memory", "memory.swappiness", "0", origin, ""});
          }
        } else if (row->controller == "pids") {
          if (!pids || limit.amount < pids) {
            pids = limit.amount;
            pids_origin = origin;
          }
        } else if (row->controller == "cpu") {
          const uint64_t period = 100000;  // 100 ms, the CFS default
          const uint64_t quota = std::max<uint64_t>(1000, period * limit.amount / 100);
          if (controller->v2) {
            plan.cgroup.push_back({"cpu", "cpu.max",
                                   std::to_string(quota) + " " + std::to_string(period), origin,
                                   ""});
          } else {
            plan.cgroup.push_back({"cpu", "cpu.cfs_period_us", std::to_string(period), origin, ""});
            plan.cgroup.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(quota), origin, ""});
          }
        }
        break;
      }
      case Mechanism::kIpcSysctl: {
        if (!OwnIpcNamespace(policy.ipc))
          break;  // reported as not enforced: it would change the host
        if (!host.root) {
          return Error(ErrorCode::kUnsupported,
                       "limits." + limit.resource + " " + std::string(kIpcUserns));
        }
        std::string value = std::to_string(limit.amount);
        if (row->controller == "kernel.shmall") {
          value = std::to_string((limit.amount + 4095) / 4096);
        } else if (row->controller == "kernel.sem") {
          // SEMMSL SEMMNS SEMOPM SEMMNI: only SEMMNS, the total, is the policy's.
          value = "32000 " + std::to_string(limit.amount) + " 500 32000";
        }
        std::string path = "/proc/sys/" + std::string(row->controller);
        std::replace(path.begin() + 10, path.end(), '.', '/');
        plan.ipc_sysctls.emplace_back(path, value);
        break;
      }
      case Mechanism::kNone:
        break;
    }
  }
  // maxproc and nthr count the sandbox's tasks; linux-sim's init is one of them, which FreeBSD's
  // jail does not have.
  if (pids) plan.cgroup.push_back({"pids", "pids.max", std::to_string(pids + 1), pids_origin, ""});
  return plan;
}

void AssessLimits(const policy::Policy& policy, const HostFacts& host,
                  std::vector<enforce::ClauseFidelity>& out) {
  if (policy.exec.timeout_ms) {
    out.push_back({"exec.timeout", policy.exec.timeout_span, Fidelity::kExact,
                   "the supervisor kills the whole sandbox when the time is up"});
  }
  std::vector<std::string> seen;
  for (const policy::Limit& limit : policy.limits) {
    const std::string clause = Where(limit);
    if (std::find(seen.begin(), seen.end(), clause) != seen.end()) continue;
    seen.push_back(clause);
    Fidelity fidelity = Fidelity::kExact;
    std::string how;
    for (const policy::Limit& rule : policy.limits) {
      if (rule.resource != limit.resource) continue;
      const LimitRow* row = Row(rule.resource);
      Fidelity f;
      std::string h;
      if (rule.action == policy::LimitAction::kLog || rule.action == policy::LimitAction::kDevctl ||
          rule.action == policy::LimitAction::kThrottle) {
        f = Fidelity::kNotEnforced;
        h = "the '" +
            std::string(rule.action == policy::LimitAction::kLog      ? "log"
                        : rule.action == policy::LimitAction::kDevctl ? "devctl"
                                                                      : "throttle") +
            "' action has no Linux counterpart here";
      } else if (!row) {
        f = Fidelity::kNotEnforced;
        h = "no Linux counterpart";
      } else {
        f = row->fidelity;
        h = std::string(row->how);
        if (row->mechanism == Mechanism::kCgroup) {
          const CgroupController* c = host.Controller(std::string(row->controller));
          if (!c || !c->available) {
            f = Fidelity::kNotEnforced;
            h = "the " + std::string(row->controller) + " cgroup controller is not available here";
          }
        }
        struct rlimit current {};
        if (row->mechanism == Mechanism::kRlimit && getrlimit(row->rlimit, &current) == 0 &&
            current.rlim_max != RLIM_INFINITY && rule.amount > current.rlim_max) {
          h += "; stockade's own hard limit (" + std::to_string(current.rlim_max) +
               ") is lower and applies, since without CAP_SYS_RESOURCE no limit can be raised";
        }
        if (row->mechanism == Mechanism::kIpcSysctl && !OwnIpcNamespace(policy.ipc)) {
          f = Fidelity::kNotEnforced;
          h = "the sandbox shares the host's IPC namespace, whose limits are the host's";
        } else if (row->mechanism == Mechanism::kIpcSysctl && !host.root) {
          f = Fidelity::kNotEnforced;
          h = std::string(kIpcUserns);
        }
        if (rule.action == policy::LimitAction::kSignal &&
            row->mechanism != Mechanism::kSupervisor &&
            !(rule.resource == "cputime" && (rule.signal == "kill" || rule.signal == "xcpu"))) {
          f = std::max(f, Fidelity::kApproximated);
          h += "; the limit stops the program instead of sending SIG" + rule.signal;
        }
      }
      if (f > fidelity || how.empty()) {
        fidelity = std::max(fidelity, f);
        how = h;
      }
    }
    out.push_back({clause, limit.span, fidelity, how});
  }
}

}  // namespace stockade::linux_sim::detail

namespace stockade::linux_sim {

std::vector<MappingRow> LimitsTable() {
  std::vector<MappingRow> rows;
  for (const detail::LimitRow& row : detail::kRows) {
    rows.push_back({"limits." + std::string(row.resource), detail::MechanismText(row), row.fidelity,
                    std::string(row.how)});
  }
  return rows;
}

}  // namespace stockade::linux_sim
