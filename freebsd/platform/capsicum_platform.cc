// SPDX-License-Identifier: BSD-2-Clause
// CapsicumPlatform: each launch step as FreeBSD system calls. Man page references are to
// FreeBSD's pages (12.2 and later); nothing here has run on FreeBSD yet.

#include "capsicum_platform.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capsicum.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <climits>
#include <iterator>
#include <vector>

#include "stockade/launch/manifest.h"

namespace stockade::freebsd {
namespace {

// The launcher writes RightSet words straight into cap_rights_t; both follow
// sys/sys/capsicum.h's CAPRIGHT(idx, bit) encoding. Spot-check it against the real header.
static_assert(CAP_RIGHTS_VERSION == 0, "RightSet encodes cap_rights_t version 0");
static_assert(CAP_READ == 0x0200000000000001ULL, "base/rights.def CAP_READ");
static_assert(CAP_FEXECVE == 0x0200000000000080ULL, "base/rights.def CAP_FEXECVE");
static_assert(CAP_LOOKUP == 0x0200000000000400ULL, "base/rights.def CAP_LOOKUP");

// cap_ioctls_limit(2): "There can be up to 256 elements in the array."
constexpr size_t kMaxIoctls = 256;

int ErrnoOr(int result) { return result == 0 ? 0 : errno; }

// pread(2) of exactly `size` bytes, retried on EINTR; ENOEXEC when the file is shorter.
int ReadAt(int fd, void* buffer, size_t size, off_t offset) {
  auto* out = static_cast<unsigned char*>(buffer);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, out + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return ENOEXEC;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// elf(5): the program headers are e_phnum entries of e_phentsize bytes at e_phoff. The kernel
// (sys/kern/imgact_elf.c) refuses an e_phentsize other than sizeof(Elf_Phdr), and so do we.
template <typename Ehdr, typename Phdr>
int HasInterpreter(int fd, bool* dynamic) {
  Ehdr header;
  if (int error = ReadAt(fd, &header, sizeof(header), 0)) return error;
  if (header.e_phnum == 0) return 0;
  if (header.e_phentsize != sizeof(Phdr) || header.e_phnum >= PN_XNUM) return ENOEXEC;
  Phdr batch[32];
  const size_t total = header.e_phnum;
  for (size_t first = 0; first < total;) {
    const size_t count = std::min(total - first, std::size(batch));
    const off_t offset = static_cast<off_t>(header.e_phoff + first * sizeof(Phdr));
    if (int error = ReadAt(fd, batch, count * sizeof(Phdr), offset)) return error;
    for (size_t i = 0; i < count; ++i) {
      if (batch[i].p_type == PT_INTERP) {
        *dynamic = true;
        return 0;
      }
    }
    first += count;
  }
  return 0;
}

// True when the process has exactly `id` (real, effective and saved ids; no supplementary
// group other than the gid, which FreeBSD before 15 keeps as groups[0]) and cannot regain root
// (CERT POS37-C: verify that privilege relinquishment succeeded).
bool HasExactly(const launch::Identity& id) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0) return false;
  if (ruid != id.uid || euid != id.uid || suid != id.uid) return false;
  if (rgid != id.gid || egid != id.gid || sgid != id.gid) return false;
  const int count = getgroups(0, nullptr);  // getgroups(2): 0 asks for the count only
  if (count < 0 || count > 1) return false;
  if (count == 1) {
    gid_t group;
    if (getgroups(1, &group) != 1 || group != id.gid) return false;
  }
  if (id.uid != 0 && setuid(0) == 0) return false;
  return true;
}

bool ParseId(const std::string& text, unsigned long* id) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *id);
  return error == std::errc() && end == text.data() + text.size();
}

// getpwnam_r(3) and friends want a caller buffer; sysconf(3) suggests a size, ERANGE asks for
// more. Grows up to 1 MiB.
template <typename Lookup>
int WithBuffer(Lookup lookup) {
  long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<size_t>(suggested) : 1024);
  for (;;) {
    const int error = lookup(buffer.data(), buffer.size());
    if (error != ERANGE || buffer.size() >= (1u << 20)) return error;
    buffer.resize(buffer.size() * 2);
  }
}

Expected<gid_t> PrimaryGroup(uid_t uid, const std::string& user) {
  passwd entry;
  passwd* found = nullptr;
  const int error = WithBuffer(
      [&](char* buf, size_t size) { return getpwuid_r(uid, &entry, buf, size, &found); });
  if (error != 0) return Error::FromErrno("reading the passwd entry of uid " + user, error);
  if (found == nullptr) {
    return Error(ErrorCode::kNotFound,
                 "uid " + user + " has no passwd entry, so it has no primary group; name a group");
  }
  return found->pw_gid;
}

}  // namespace

bool ToOpenFlags(uint32_t flags, int* out) noexcept {
  constexpr uint32_t kKnown = launch::kRead | launch::kWrite | launch::kAppend | launch::kCreate |
                              launch::kTruncate | launch::kExclusive | launch::kDirectory |
                              launch::kNoFollow | launch::kSync | launch::kNonBlock |
                              launch::kExecOnly;
  if (flags & ~kKnown) return false;
  int result = (flags & launch::kRead) && (flags & launch::kWrite) ? O_RDWR
               : (flags & launch::kWrite)                          ? O_WRONLY
                                                                   : O_RDONLY;
  // open(2): O_EXEC may not be combined with O_WRONLY or O_RDWR (EINVAL); the kernel says so.
  if (flags & launch::kExecOnly) result |= O_EXEC;
  if (flags & launch::kAppend) result |= O_APPEND;
  if (flags & launch::kCreate) result |= O_CREAT;
  if (flags & launch::kTruncate) result |= O_TRUNC;
  if (flags & launch::kExclusive) result |= O_EXCL;
  if (flags & launch::kDirectory) result |= O_DIRECTORY;
  if (flags & launch::kNoFollow) result |= O_NOFOLLOW;
  if (flags & launch::kSync) result |= O_SYNC;
  if (flags & launch::kNonBlock) result |= O_NONBLOCK;
  *out = result;
  return true;
}

Expected<launch::Identity> CapsicumPlatform::ResolveIdentity(const std::string& user,
                                                             const std::string& group) {
  launch::Identity id;
  unsigned long number = 0;
  if (ParseId(user, &number)) {
    if (number > UINT_MAX - 1) return Error(ErrorCode::kInvalidArgument, "uid out of range");
    id.uid = static_cast<uid_t>(number);
    if (group.empty()) {
      STOCKADE_ASSIGN_OR_RETURN(id.gid, PrimaryGroup(id.uid, user));
    }
  } else {
    passwd entry;
    passwd* found = nullptr;
    const int error = WithBuffer([&](char* buf, size_t size) {
      return getpwnam_r(user.c_str(), &entry, buf, size, &found);
    });
    if (error != 0) return Error::FromErrno("reading the passwd entry of '" + user + "'", error);
    if (found == nullptr) return Error(ErrorCode::kNotFound, "unknown user '" + user + "'");
    id.uid = found->pw_uid;
    id.gid = found->pw_gid;
  }
  if (group.empty()) return id;
  if (ParseId(group, &number)) {
    if (number > UINT_MAX - 1) return Error(ErrorCode::kInvalidArgument, "gid out of range");
    id.gid = static_cast<gid_t>(number);
    return id;
  }
  struct group entry;
  struct group* found = nullptr;
  const int error = WithBuffer(
      [&](char* buf, size_t size) { return getgrnam_r(group.c_str(), &entry, buf, size, &found); });
  if (error != 0) return Error::FromErrno("reading the group entry of '" + group + "'", error);
  if (found == nullptr) return Error(ErrorCode::kNotFound, "unknown group '" + group + "'");
  id.gid = found->gr_gid;
  return id;
}

int CapsicumPlatform::Open(const char* path, uint32_t flags, uint32_t mode) noexcept {
  int oflags = 0;
  if (!ToOpenFlags(flags, &oflags)) return -EINVAL;
  // open(2): the mode argument is read only with O_CREAT.
  const int fd = open(path, oflags | O_CLOEXEC, static_cast<mode_t>(mode));
  return fd >= 0 ? fd : -errno;
}

int CapsicumPlatform::OpenExecutable(const char* path) noexcept {
  // fexecve(2): "the file descriptor fd need not have been opened with the O_EXEC flag.
  // However, if the file to be executed denies read permission for the process preparing to
  // do the exec, the only way to provide the fd to fexecve() is to use the O_EXEC flag".
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == EACCES) fd = open(path, O_EXEC | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

int CapsicumPlatform::IsDynamicExecutable(int fd, bool* dynamic) noexcept {
  *dynamic = false;
  unsigned char ident[EI_NIDENT];
  ssize_t n;
  do {
    n = pread(fd, ident, sizeof(ident), 0);  // pread(2); a file shorter than this is not ELF
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  if (n < static_cast<ssize_t>(sizeof(ident)) || ident[EI_MAG0] != ELFMAG0 ||
      ident[EI_MAG1] != ELFMAG1 || ident[EI_MAG2] != ELFMAG2 || ident[EI_MAG3] != ELFMAG3) {
    return 0;  // not ELF: fexecve(2) runs it (or refuses it) directly
  }
  const unsigned char host_order =
      std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  if (ident[EI_DATA] != host_order) return ENOEXEC;
  if (ident[EI_CLASS] == ELFCLASS64) return HasInterpreter<Elf64_Ehdr, Elf64_Phdr>(fd, dynamic);
  if (ident[EI_CLASS] == ELFCLASS32) return HasInterpreter<Elf32_Ehdr, Elf32_Phdr>(fd, dynamic);
  return ENOEXEC;
}

int CapsicumPlatform::SetIdentity(const launch::Identity& identity) noexcept {
  // setgroups(2) with 0 entries: FreeBSD before 15 keeps only the effective gid as groups[0]
  // (sys/kern/kern_prot.c), 15 and later clear the list; setgid(2) then sets groups[0] too.
  if (setgroups(0, nullptr) != 0) {
    const int error = errno;
    return error == EPERM && HasExactly(identity) ? 0 : error;
  }
  // setgid(2), setuid(2): as the super-user they set the real, effective and saved ids.
  if (setgid(identity.gid) != 0) return errno;
  if (setuid(identity.uid) != 0) return errno;
  return HasExactly(identity) ? 0 : EPERM;
}

int CapsicumPlatform::ChangeDirectory(const char* path) noexcept { return ErrnoOr(chdir(path)); }

int CapsicumPlatform::Duplicate(int from, int to, bool cloexec) noexcept {
  // dup2(2) clears FD_CLOEXEC on the new descriptor, but does nothing when from == to.
  if (from != to && dup2(from, to) < 0) return errno;
  if (from == to || cloexec) return ErrnoOr(fcntl(to, F_SETFD, cloexec ? FD_CLOEXEC : 0));
  return 0;
}

int CapsicumPlatform::DuplicateAbove(int fd, int min) noexcept {
  // fcntl(2) F_DUPFD_CLOEXEC: the lowest free number >= min, close-on-exec.
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, min);
  return moved >= 0 ? moved : -errno;
}

int CapsicumPlatform::Close(int fd) noexcept { return ErrnoOr(close(fd)); }

int CapsicumPlatform::CloseAllExcept(const int* keep, size_t count) noexcept {
  // close_range(2) (FreeBSD 12.2 and later) reports errors, unlike closefrom(2), and closes a
  // whole gap in one call; it is clamped to the descriptors that are open.
  unsigned int next = 0;
  for (size_t i = 0; i < count; ++i) {
    if (keep[i] < 0) return EINVAL;
    const auto fd = static_cast<unsigned int>(keep[i]);
    if (fd < next) continue;  // a duplicate in `keep`
    if (fd > next && close_range(next, fd - 1, 0) != 0) return errno;
    next = fd + 1;
  }
  return ErrnoOr(close_range(next, UINT_MAX, 0));
}

int CapsicumPlatform::LimitRights(int fd, const RightSet& rights) noexcept {
  cap_rights_t limit;
  static_assert(std::size(limit.cr_rights) == 2, "cap_rights_t has two words in version 0");
  limit.cr_rights[0] = rights.word(0);
  limit.cr_rights[1] = rights.word(1);
  return ErrnoOr(cap_rights_limit(fd, &limit));
}

int CapsicumPlatform::LimitIoctls(int fd, const uint64_t* commands, size_t count) noexcept {
  unsigned long converted[kMaxIoctls];
  if (count > kMaxIoctls) return EINVAL;  // what the kernel answers, without asking it
  for (size_t i = 0; i < count; ++i) {
    if constexpr (sizeof(unsigned long) < sizeof(uint64_t)) {
      if (commands[i] > ULONG_MAX) return EINVAL;  // not an ioctl command on this ABI
    }
    converted[i] = static_cast<unsigned long>(commands[i]);
  }
  // cap_ioctls_limit(2) with 0 commands: no ioctl is allowed.
  return ErrnoOr(cap_ioctls_limit(fd, converted, count));
}

int CapsicumPlatform::LimitFcntls(int fd, uint32_t mask) noexcept {
  return ErrnoOr(cap_fcntls_limit(fd, mask));
}

int CapsicumPlatform::EnterCapabilityMode() noexcept {
  // cap_enter(2) fails with ENOSYS on a kernel built without options CAPABILITY_MODE: that is
  // returned like any other error, so the program never starts unconfined.
  if (cap_enter() != 0) return errno;
  u_int mode = 0;
  if (cap_getmode(&mode) != 0) return errno;
  return mode != 0 ? 0 : EPERM;
}

int CapsicumPlatform::Exec(int fd, const char*, char* const argv[], char* const envp[]) noexcept {
  // fexecve(2) is allowed in capability mode (syscall 492 is CAPENABLED); it returns only on
  // failure.
  fexecve(fd, argv, envp);
  return errno;
}

}  // namespace stockade::freebsd
