// SPDX-License-Identifier: BSD-2-Clause
// What a run leaves on the host, recorded so that nothing outlives it: the run record and
// `stockade gc`.
//
// Almost everything a sandbox owns dies with its namespaces: processes (the PID namespace),
// mounts (the mount namespace), the veth pair and its rules (the network namespace, once no
// process holds it). What does not die with them is host state stockade creates itself: the
// sandbox's cgroup directories, and the host end of a veth pair whose namespace something
// outside still holds open. A run records each such object in a run record before creating it:
//
//   /run/stockade/runs/<id>.run   (root; $XDG_RUNTIME_DIR/stockade/runs when not root)
//
// and holds an exclusive flock(2) on the record for its whole life. The kernel drops the lock
// when the last process holding the open file dies, however it dies (SIGKILL included), so a
// record whose lock can be taken belongs to a dead run: its objects are removed and the record
// deleted. Every run sweeps stale records before it creates its own, and `stockade gc` does
// the same on demand. Pids are never trusted (they are reused, and differ across PID
// namespaces); the lock is.

#ifndef STOCKADE_LINUX_SIM_GC_H_
#define STOCKADE_LINUX_SIM_GC_H_

#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/base/unique_fd.h"

namespace stockade::linux_sim {

// The directory that holds the run records of this user.
std::string RunRecordDirectory();

// A live run's record. Move-only. Forget() deletes it once the run removed its objects; a
// record that is only destroyed (closed) stays, unlocked, for the next sweep.
class RunRecord {
 public:
  // Creates a locked record named after `name` (the policy's name) in RunRecordDirectory().
  // The record is created nameless (O_TMPFILE), locked, and only then linked into place,
  // so a sweep never sees an unlocked record of a live run.
  static Expected<RunRecord> Create(const std::string& name);

  RunRecord() = default;
  RunRecord(RunRecord&&) noexcept;
  RunRecord& operator=(RunRecord&&) noexcept;
  ~RunRecord();

  // Records that the run is about to create the cgroup directory `path`. Called before the
  // mkdir, so that a run killed right after it still leaves a record of it.
  Status AddCgroup(const std::string& path);
  // Records the host end of a veth pair (its interface name), before it is created.
  Status AddLink(const std::string& name);
  // Deletes the record: the run has removed everything it recorded.
  void Forget();
  // Adds an "ended" line (which also sets the record's mtime): the run ended normally, having
  // removed the host end's address, while the kernel was still removing a recorded link with
  // the run's network namespace. A sweep within the grace period leaves such a link alone.
  void MarkEnded();
  // The descriptor holding the lock (close-on-exec), for children that must not keep it.
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

 private:
  Status Append(const std::string& line);

  UniqueFd fd_;
  std::string path_;
};

struct GcReport {
  std::vector<std::string> removed;  // cgroup directories, links and records removed
  std::vector<std::string> failed;   // "PATH: reason" for objects that could not be removed
  int live = 0;                      // records of runs that are still alive, left alone
};

// Removes what dead runs left behind. `dry_run` reports without removing. Never fails as a
// whole: each object that cannot be removed is listed in `failed`.
//
// `link_grace_seconds`: a link named by a record of a run that ended normally (MarkEnded) less
// than this long ago is left in place with its record, for a later sweep; a killed run's links
// (no "ended" line: their host end may still carry the gateway address) go at once. A run's veth
// pair goes with its network namespace, which the kernel frees asynchronously a moment after the
// run; deleting it explicitly (RTM_DELLINK) instead waits 10 to 30 ms for RCU grace periods under
// the rtnl lock and stalls every other launch's network setup meanwhile. Runs sweep with a grace
// period (kLaunchLinkGraceSeconds); `stockade gc` with none.
GcReport CollectGarbage(bool dry_run = false, int link_grace_seconds = 0);
inline constexpr int kLaunchLinkGraceSeconds = 10;

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_GC_H_
