// SPDX-License-Identifier: BSD-2-Clause
// Run records and the sweep that removes what dead runs left on the host (gc.h).

#include "stockade/linux_sim/gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "netlink.h"

namespace stockade::linux_sim {
namespace {

constexpr const char* kSuffix = ".run";
constexpr size_t kMaxRecordBytes = 64 * 1024;

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  off_t offset = 0;
  while (text.size() < kMaxRecordBytes) {
    const ssize_t got = pread(fd, buffer, sizeof(buffer), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    text.append(buffer, static_cast<size_t>(got));
    offset += got;
  }
  return text;
}

// A cgroup directory a record may name: absolute, under /sys/fs/cgroup, no '..', a leaf
// whose name starts with "stockade-". Anything else in a record is not ours to remove (the
// directory is root's alone, but a record is still input).
bool IsOurCgroup(const std::string& path) {
  if (path.rfind("/sys/fs/cgroup/", 0) != 0) return false;
  if (path.find("/../") != std::string::npos || path.find("/./") != std::string::npos) {
    return false;
  }
  const size_t slash = path.find_last_of('/');
  return path.compare(slash + 1, 9, "stockade-") == 0;
}

// A veth host end a record may name: "stk" and hex digits, as linux-sim names them.
bool IsOurLink(const std::string& name) {
  if (name.size() < 4 || name.size() >= IFNAMSIZ || name.rfind("stk", 0) != 0) return false;
  return name.find_first_not_of("0123456789abcdef", 3) == std::string::npos;
}

// Deletes the link `name` (and with a veth its peer, wherever that is). ENODEV: already gone.
Status DeleteLink(const std::string& name) {
  STOCKADE_ASSIGN_OR_RETURN(netlink::Socket socket, netlink::Socket::Open(NETLINK_ROUTE));
  struct ifinfomsg header {};
  header.ifi_family = AF_UNSPEC;
  netlink::Batch remove;
  remove.Begin(RTM_DELLINK, 0, header);
  remove.PutString(IFLA_IFNAME, name);
  remove.Describe("delete link " + name);
  return socket.Transact(remove, "gc");
}

// Removes what one dead run recorded; true when nothing of it is left. `recent`: the record
// was written within the grace period; if its run also ended normally (an "ended" line), its
// links are left to the kernel (CollectGarbage).
bool Sweep(const std::string& record, int fd, bool dry_run, bool recent, GcReport& report) {
  bool clean = true;
  const std::string text = ReadAll(fd);
  const bool links_settling =
      recent && (text.rfind("ended\n", 0) == 0 || text.find("\nended\n") != std::string::npos);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind("link ", 0) == 0) {
      const std::string name = line.substr(5);
      if (!IsOurLink(name)) {
        report.failed.push_back(name + ": not a stockade link; left alone");
        continue;
      }
      if (if_nametoindex(name.c_str()) == 0) continue;  // gone with its namespace
      if (links_settling) {
        clean = false;  // the kernel is removing it with its namespace; the record stays
        continue;
      }
      if (dry_run) {
        report.removed.push_back("link " + name);
      } else if (Status s = DeleteLink(name); s || s.error().os_errno() == ENODEV) {
        report.removed.push_back("link " + name);
      } else {
        report.failed.push_back("link " + name + ": " + s.error().message());
        clean = false;
      }
      continue;
    }
    if (line.rfind("cgroup ", 0) != 0) continue;
    const std::string dir = line.substr(7);
    if (!IsOurCgroup(dir)) {
      report.failed.push_back(dir + ": not a stockade cgroup; left alone");
      continue;
    }
    if (dry_run) {
      if (access(dir.c_str(), F_OK) == 0) report.removed.push_back(dir);
      continue;
    }
    if (rmdir(dir.c_str()) == 0) {
      report.removed.push_back(dir);
    } else if (errno != ENOENT) {
      // EBUSY: processes are still in it (they leave a moment after their namespace dies).
      report.failed.push_back(dir + ": " + strerror(errno));
      clean = false;
    }
  }
  if (clean && !dry_run) {
    unlink(record.c_str());
    report.removed.push_back(record);
  }
  return clean;
}

}  // namespace

std::string RunRecordDirectory() {
  if (geteuid() == 0) return "/run/stockade/runs";
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime == '/') {
    return std::string(runtime) + "/stockade/runs";
  }
  return "/tmp/stockade-" + std::to_string(getuid()) + "/runs";
}

Expected<RunRecord> RunRecord::Create(const std::string& name) {
  const std::string dir = RunRecordDirectory();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrorCode::kPermissionDenied, "cannot create " + dir + ": " + ec.message());
  // The record is born nameless (O_TMPFILE), locked, and only then linked into the directory:
  // a sweep can never see it unlocked. The name only helps a reader; uniqueness comes from the
  // random part (linkat fails with EEXIST on a clash).
  UniqueFd fd(open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return Error::FromErrno("create a run record in " + dir, errno);
  if (flock(fd.get(), LOCK_EX) != 0) return Error::FromErrno("flock a run record", errno);
  std::string safe;
  for (char c : name.substr(0, 40)) {
    safe += (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  }
  const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    char id[17];
    snprintf(id, sizeof(id), "%08x%08x", random(), random());
    const std::string final_path = dir + "/" + safe + "-" + id + kSuffix;
    if (linkat(AT_FDCWD, self.c_str(), AT_FDCWD, final_path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      return Error::FromErrno("link run record " + final_path, errno);
    }
    RunRecord record;
    record.fd_ = std::move(fd);
    record.path_ = final_path;
    return record;
  }
  return Error(ErrorCode::kInternal, "cannot find a free run record name in " + dir);
}

RunRecord::RunRecord(RunRecord&& other) noexcept
    : fd_(std::move(other.fd_)), path_(std::move(other.path_)) {
  other.path_.clear();
}

RunRecord& RunRecord::operator=(RunRecord&& other) noexcept {
  if (this != &other) {
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

RunRecord::~RunRecord() = default;  // closing drops the lock; a later sweep finishes the job

Status RunRecord::Append(const std::string& line) {
  // O_RDWR without O_APPEND: write at the end explicitly, one write per line.
  const off_t end = lseek(fd_.get(), 0, SEEK_END);
  if (end < 0 ||
      pwrite(fd_.get(), line.data(), line.size(), end) != static_cast<ssize_t>(line.size())) {
    return Error::FromErrno("write run record " + path_, errno);
  }
  return {};
}

Status RunRecord::AddCgroup(const std::string& path) { return Append("cgroup " + path + "\n"); }

Status RunRecord::AddLink(const std::string& name) { return Append("link " + name + "\n"); }

void RunRecord::MarkEnded() {
  if (fd_) (void)Append("ended\n");
}

void RunRecord::Forget() {
  if (!path_.empty()) unlink(path_.c_str());
  path_.clear();
  fd_.reset();
}

GcReport CollectGarbage(bool dry_run, int link_grace_seconds) {
  GcReport report;
  const std::string dir = RunRecordDirectory();
  DIR* listing = opendir(dir.c_str());
  if (!listing) return report;  // no run ever recorded anything here
  std::vector<std::string> records;
  while (struct dirent* entry = readdir(listing)) {
    const std::string name = entry->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, kSuffix) == 0 && name[0] != '.') {
      records.push_back(dir + "/" + name);
    }
  }
  closedir(listing);
  for (const std::string& record : records) {
    UniqueFd fd(open(record.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) continue;  // swept by a concurrent run
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      ++report.live;  // its run is alive
      continue;
    }
    // The lock is ours now; a record unlinked meanwhile by another sweep has no links left.
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || st.st_nlink == 0) continue;
    struct timespec now {};
    clock_gettime(CLOCK_REALTIME, &now);
    const bool recent = link_grace_seconds > 0 && st.st_mtim.tv_sec <= now.tv_sec &&
                        now.tv_sec - st.st_mtim.tv_sec < link_grace_seconds;
    Sweep(record, fd.get(), dry_run, recent, report);
  }
  return report;
}

}  // namespace stockade::linux_sim
