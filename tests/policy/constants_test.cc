// SPDX-License-Identifier: BSD-2-Clause
// Constants, errnos and signals: Linux values against this host's glibc/UAPI headers (the test
// may include OS headers; policy/ may not), FreeBSD ioctls against their _IOC() encoding, and
// FreeBSD errnos against ../shared/reference/freebsd/errno.tsv.

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::policy {
namespace {

// The register value a seccomp comparison sees: ints sign-extended to 64 bits (names.h).
#define C(name) \
  { #name, static_cast < uint64_t>(static_cast <int64_t>(name)) }

// Every Linux constant of the table, as the host headers define it.
const std::map<std::string_view, uint64_t>& LinuxHeaderConstants() {
  static const auto* const constants = new std::map<std::string_view, uint64_t>{
      C(AF_UNSPEC),
      C(AF_UNIX),
      C(AF_LOCAL),
      C(AF_INET),
      C(AF_INET6),
      C(AF_NETLINK),
      C(AF_ROUTE),
      C(AF_PACKET),
      C(AF_KEY),
      C(AF_BLUETOOTH),
      C(AF_VSOCK),
      C(AF_ALG),
      C(SOCK_STREAM),
      C(SOCK_DGRAM),
      C(SOCK_RAW),
      C(SOCK_RDM),
      C(SOCK_SEQPACKET),
      C(SOCK_NONBLOCK),
      C(SOCK_CLOEXEC),
      C(IPPROTO_IP),
      C(IPPROTO_ICMP),
      C(IPPROTO_TCP),
      C(IPPROTO_UDP),
      C(IPPROTO_IPV6),
      C(IPPROTO_ICMPV6),
      C(IPPROTO_SCTP),
      C(IPPROTO_RAW),
      C(SOL_SOCKET),
      C(SO_DEBUG),
      C(SO_REUSEADDR),
      C(SO_TYPE),
      C(SO_ERROR),
      C(SO_DONTROUTE),
      C(SO_BROADCAST),
      C(SO_SNDBUF),
      C(SO_RCVBUF),
      C(SO_KEEPALIVE),
      C(SO_OOBINLINE),
      C(SO_PRIORITY),
      C(SO_LINGER),
      C(SO_REUSEPORT),
      C(SO_PASSCRED),
      C(SO_PEERCRED),
      C(SO_RCVLOWAT),
      C(SO_SNDLOWAT),
      C(SO_RCVTIMEO),
      C(SO_SNDTIMEO),
      C(SO_BINDTODEVICE),
      C(SO_TIMESTAMP),
      C(SO_ACCEPTCONN),
      C(SO_MARK),
      C(SO_PROTOCOL),
      C(SO_DOMAIN),
      C(MSG_OOB),
      C(MSG_PEEK),
      C(MSG_DONTROUTE),
      C(MSG_CTRUNC),
      C(MSG_TRUNC),
      C(MSG_DONTWAIT),
      C(MSG_EOR),
      C(MSG_WAITALL),
      C(MSG_NOSIGNAL),
      C(MSG_MORE),
      C(MSG_WAITFORONE),
      C(MSG_CMSG_CLOEXEC),
      C(SHUT_RD),
      C(SHUT_WR),
      C(SHUT_RDWR),
      C(O_RDONLY),
      C(O_WRONLY),
      C(O_RDWR),
      C(O_ACCMODE),
      C(O_CREAT),
      C(O_EXCL),
      C(O_NOCTTY),
      C(O_TRUNC),
      C(O_APPEND),
      C(O_NONBLOCK),
      C(O_NDELAY),
      C(O_DSYNC),
      C(O_ASYNC),
      C(O_DIRECT),
      C(O_DIRECTORY),
      C(O_NOFOLLOW),
      C(O_NOATIME),
      C(O_CLOEXEC),
      C(O_SYNC),
      C(O_FSYNC),
      C(O_PATH),
      C(O_TMPFILE),
      C(AT_FDCWD),
      C(AT_SYMLINK_NOFOLLOW),
      C(AT_REMOVEDIR),
      C(AT_EACCESS),
      C(AT_SYMLINK_FOLLOW),
      C(AT_NO_AUTOMOUNT),
      C(AT_EMPTY_PATH),
      C(AT_RECURSIVE),
      C(F_DUPFD),
      C(F_GETFD),
      C(F_SETFD),
      C(F_GETFL),
      C(F_SETFL),
      C(F_GETLK),
      C(F_SETLK),
      C(F_SETLKW),
      C(F_SETOWN),
      C(F_GETOWN),
      C(F_SETSIG),
      C(F_GETSIG),
      C(F_OFD_GETLK),
      C(F_OFD_SETLK),
      C(F_OFD_SETLKW),
      C(F_SETLEASE),
      C(F_GETLEASE),
      C(F_NOTIFY),
      C(F_DUPFD_CLOEXEC),
      C(F_SETPIPE_SZ),
      C(F_GETPIPE_SZ),
      C(F_ADD_SEALS),
      C(F_GET_SEALS),
      C(FD_CLOEXEC),
      C(F_RDLCK),
      C(F_WRLCK),
      C(F_UNLCK),
      C(F_SEAL_SEAL),
      C(F_SEAL_SHRINK),
      C(F_SEAL_GROW),
      C(F_SEAL_WRITE),
      C(LOCK_SH),
      C(LOCK_EX),
      C(LOCK_NB),
      C(LOCK_UN),
      C(POSIX_FADV_NORMAL),
      C(POSIX_FADV_RANDOM),
      C(POSIX_FADV_SEQUENTIAL),
      C(POSIX_FADV_WILLNEED),
      C(POSIX_FADV_DONTNEED),
      C(POSIX_FADV_NOREUSE),
      C(PROT_NONE),
      C(PROT_READ),
      C(PROT_WRITE),
      C(PROT_EXEC),
      C(MAP_SHARED),
      C(MAP_PRIVATE),
      C(MAP_SHARED_VALIDATE),
      C(MAP_FIXED),
      C(MAP_ANONYMOUS),
      C(MAP_ANON),
      C(MAP_32BIT),
      C(MAP_GROWSDOWN),
      C(MAP_LOCKED),
      C(MAP_NORESERVE),
      C(MAP_POPULATE),
      C(MAP_STACK),
      C(MAP_HUGETLB),
      C(MAP_FIXED_NOREPLACE),
      C(MADV_NORMAL),
      C(MADV_RANDOM),
      C(MADV_SEQUENTIAL),
      C(MADV_WILLNEED),
      C(MADV_DONTNEED),
      C(MADV_FREE),
      C(MADV_DONTFORK),
      C(MADV_DOFORK),
      C(MADV_DONTDUMP),
      C(MADV_DODUMP),
      C(MADV_WIPEONFORK),
      C(MS_ASYNC),
      C(MS_INVALIDATE),
      C(MS_SYNC),
      C(MCL_CURRENT),
      C(MCL_FUTURE),
      C(MCL_ONFAULT),
      C(CLONE_NEWTIME),
      C(CLONE_VM),
      C(CLONE_FS),
      C(CLONE_FILES),
      C(CLONE_SIGHAND),
      C(CLONE_PIDFD),
      C(CLONE_PTRACE),
      C(CLONE_VFORK),
      C(CLONE_PARENT),
      C(CLONE_THREAD),
      C(CLONE_NEWNS),
      C(CLONE_SYSVSEM),
      C(CLONE_SETTLS),
      C(CLONE_PARENT_SETTID),
      C(CLONE_CHILD_CLEARTID),
      C(CLONE_UNTRACED),
      C(CLONE_CHILD_SETTID),
      C(CLONE_NEWCGROUP),
      C(CLONE_NEWUTS),
      C(CLONE_NEWIPC),
      C(CLONE_NEWUSER),
      C(CLONE_NEWPID),
      C(CLONE_NEWNET),
      C(CLONE_IO),
      C(PR_SET_PDEATHSIG),
      C(PR_GET_PDEATHSIG),
      C(PR_GET_DUMPABLE),
      C(PR_SET_DUMPABLE),
      C(PR_GET_KEEPCAPS),
      C(PR_SET_KEEPCAPS),
      C(PR_SET_NAME),
      C(PR_GET_NAME),
      C(PR_GET_SECCOMP),
      C(PR_SET_SECCOMP),
      C(PR_CAPBSET_READ),
      C(PR_CAPBSET_DROP),
      C(PR_GET_SECUREBITS),
      C(PR_SET_SECUREBITS),
      C(PR_SET_TIMERSLACK),
      C(PR_GET_TIMERSLACK),
      C(PR_SET_MM),
      C(PR_SET_CHILD_SUBREAPER),
      C(PR_GET_CHILD_SUBREAPER),
      C(PR_SET_NO_NEW_PRIVS),
      C(PR_GET_NO_NEW_PRIVS),
      C(PR_GET_TID_ADDRESS),
      C(PR_SET_THP_DISABLE),
      C(PR_GET_THP_DISABLE),
      C(PR_CAP_AMBIENT),
      C(PR_GET_SPECULATION_CTRL),
      C(PR_SET_SPECULATION_CTRL),
      C(PR_SET_PTRACER),
      C(CLOCK_REALTIME),
      C(CLOCK_MONOTONIC),
      C(CLOCK_PROCESS_CPUTIME_ID),
      C(CLOCK_THREAD_CPUTIME_ID),
      C(CLOCK_MONOTONIC_RAW),
      C(CLOCK_REALTIME_COARSE),
      C(CLOCK_MONOTONIC_COARSE),
      C(CLOCK_BOOTTIME),
      C(RLIMIT_CPU),
      C(RLIMIT_FSIZE),
      C(RLIMIT_DATA),
      C(RLIMIT_STACK),
      C(RLIMIT_CORE),
      C(RLIMIT_RSS),
      C(RLIMIT_NPROC),
      C(RLIMIT_NOFILE),
      C(RLIMIT_MEMLOCK),
      C(RLIMIT_AS),
      C(RLIMIT_LOCKS),
      C(RLIMIT_SIGPENDING),
      C(RLIMIT_MSGQUEUE),
      C(RLIMIT_NICE),
      C(RLIMIT_RTPRIO),
      C(RLIMIT_RTTIME),
      C(TCGETS),
      C(TCSETS),
      C(TCSETSW),
      C(TCSETSF),
      C(TIOCEXCL),
      C(TIOCNXCL),
      C(TIOCSCTTY),
      C(TIOCGPGRP),
      C(TIOCSPGRP),
      C(TIOCOUTQ),
      C(TIOCSTI),
      C(TIOCGWINSZ),
      C(TIOCSWINSZ),
      C(TIOCMGET),
      C(TIOCLINUX),
      C(TIOCCONS),
      C(TIOCPKT),
      C(TIOCNOTTY),
      C(TIOCSETD),
      C(TIOCGETD),
      C(TIOCGSID),
      C(TIOCGPTN),
      C(FIONREAD),
      C(FIONBIO),
      C(FIONCLEX),
      C(FIOCLEX),
      C(FIOASYNC),
      C(FIOQSIZE),
      C(FIOSETOWN),
      C(FIOGETOWN),
  };
  return *constants;
}

const std::map<std::string_view, uint64_t>& LinuxHeaderErrnos() {
  static const auto* const errnos = new std::map<std::string_view, uint64_t>{
      C(EPERM),
      C(ENOENT),
      C(ESRCH),
      C(EINTR),
      C(EIO),
      C(ENXIO),
      C(E2BIG),
      C(ENOEXEC),
      C(EBADF),
      C(ECHILD),
      C(EAGAIN),
      C(ENOMEM),
      C(EACCES),
      C(EFAULT),
      C(ENOTBLK),
      C(EBUSY),
      C(EEXIST),
      C(EXDEV),
      C(ENODEV),
      C(ENOTDIR),
      C(EISDIR),
      C(EINVAL),
      C(ENFILE),
      C(EMFILE),
      C(ENOTTY),
      C(ETXTBSY),
      C(EFBIG),
      C(ENOSPC),
      C(ESPIPE),
      C(EROFS),
      C(EMLINK),
      C(EPIPE),
      C(EDOM),
      C(ERANGE),
      C(EDEADLK),
      C(ENAMETOOLONG),
      C(ENOLCK),
      C(ENOSYS),
      C(ENOTEMPTY),
      C(ELOOP),
      C(ENOMSG),
      C(EIDRM),
      C(ECHRNG),
      C(EL2NSYNC),
      C(EL3HLT),
      C(EL3RST),
      C(ELNRNG),
      C(EUNATCH),
      C(ENOCSI),
      C(EL2HLT),
      C(EBADE),
      C(EBADR),
      C(EXFULL),
      C(ENOANO),
      C(EBADRQC),
      C(EBADSLT),
      C(EBFONT),
      C(ENOSTR),
      C(ENODATA),
      C(ETIME),
      C(ENOSR),
      C(ENONET),
      C(ENOPKG),
      C(EREMOTE),
      C(ENOLINK),
      C(EADV),
      C(ESRMNT),
      C(ECOMM),
      C(EPROTO),
      C(EMULTIHOP),
      C(EDOTDOT),
      C(EBADMSG),
      C(EOVERFLOW),
      C(ENOTUNIQ),
      C(EBADFD),
      C(EREMCHG),
      C(ELIBACC),
      C(ELIBBAD),
      C(ELIBSCN),
      C(ELIBMAX),
      C(ELIBEXEC),
      C(EILSEQ),
      C(ERESTART),
      C(ESTRPIPE),
      C(EUSERS),
      C(ENOTSOCK),
      C(EDESTADDRREQ),
      C(EMSGSIZE),
      C(EPROTOTYPE),
      C(ENOPROTOOPT),
      C(EPROTONOSUPPORT),
      C(ESOCKTNOSUPPORT),
      C(EOPNOTSUPP),
      C(EPFNOSUPPORT),
      C(EAFNOSUPPORT),
      C(EADDRINUSE),
      C(EADDRNOTAVAIL),
      C(ENETDOWN),
      C(ENETUNREACH),
      C(ENETRESET),
      C(ECONNABORTED),
      C(ECONNRESET),
      C(ENOBUFS),
      C(EISCONN),
      C(ENOTCONN),
      C(ESHUTDOWN),
      C(ETOOMANYREFS),
      C(ETIMEDOUT),
      C(ECONNREFUSED),
      C(EHOSTDOWN),
      C(EHOSTUNREACH),
      C(EALREADY),
      C(EINPROGRESS),
      C(ESTALE),
      C(EUCLEAN),
      C(ENOTNAM),
      C(ENAVAIL),
      C(EISNAM),
      C(EREMOTEIO),
      C(EDQUOT),
      C(ENOMEDIUM),
      C(EMEDIUMTYPE),
      C(ECANCELED),
      C(ENOKEY),
      C(EKEYEXPIRED),
      C(EKEYREVOKED),
      C(EKEYREJECTED),
      C(EOWNERDEAD),
      C(ENOTRECOVERABLE),
      C(ERFKILL),
      C(EHWPOISON),
      C(EWOULDBLOCK),
      C(EDEADLOCK),
      C(ENOTSUP),
  };
  return *errnos;
}

#undef C

TEST(ConstantsTest, LinuxValuesMatchTheHostHeaders) {
  const auto& headers = LinuxHeaderConstants();
  size_t linux_rows = 0;
  for (const ConstantInfo& constant : Constants()) {
    if (!constant.linux_value) continue;
    ++linux_rows;
    const auto it = headers.find(constant.name);
    ASSERT_NE(it, headers.end()) << constant.name << " has a Linux value but no header check";
    EXPECT_EQ(*constant.linux_value, it->second) << constant.name;
  }
  EXPECT_EQ(linux_rows, headers.size()) << "the header list names constants the table lacks";
  for (const auto& [name, value] : headers) {
    const ConstantInfo* constant = FindConstant(name);
    ASSERT_NE(constant, nullptr) << name;
    EXPECT_EQ(ConstantValue(*constant, Target::kLinux), value) << name;
  }
}

// FreeBSD's sys/sys/ioccom.h, as the header defines it.
constexpr uint64_t kIocVoid = 0x20000000;
constexpr uint64_t kIocOut = 0x40000000;
constexpr uint64_t kIocIn = 0x80000000;
constexpr uint64_t kIocParmMask = 0x1fff;
constexpr uint64_t Ioc(uint64_t inout, char group, uint64_t num, uint64_t len) {
  return inout | ((len & kIocParmMask) << 16) | (static_cast<uint64_t>(group) << 8) | num;
}
constexpr uint64_t Io(char g, uint64_t n) { return Ioc(kIocVoid, g, n, 0); }
constexpr uint64_t Ior(char g, uint64_t n, uint64_t size) { return Ioc(kIocOut, g, n, size); }
constexpr uint64_t Iow(char g, uint64_t n, uint64_t size) { return Ioc(kIocIn, g, n, size); }
constexpr uint64_t Iowr(char g, uint64_t n, uint64_t size) {
  return Ioc(kIocIn | kIocOut, g, n, size);
}

// Sizes of the argument types on FreeBSD amd64.
constexpr uint64_t kInt = 4;
constexpr uint64_t kChar = 1;
constexpr uint64_t kOffT = 8;
constexpr uint64_t kWinsize = 8;   // four unsigned shorts
constexpr uint64_t kTermios = 44;  // 4 tcflag_t, cc_t c_cc[NCCS = 20], 2 speed_t

TEST(ConstantsTest, FreeBsdIoctlsMatchTheirDefinitions) {
  // Each definition as sys/sys/ttycom.h and sys/sys/filio.h write it.
  const std::map<std::string_view, uint64_t> definitions = {
      {"TIOCEXCL", Io('t', 13)},
      {"TIOCNXCL", Io('t', 14)},
      {"TIOCGPTN", Ior('t', 15, kInt)},
      {"TIOCFLUSH", Iow('t', 16, kInt)},
      {"TIOCGETA", Ior('t', 19, kTermios)},
      {"TIOCSETA", Iow('t', 20, kTermios)},
      {"TIOCSETAW", Iow('t', 21, kTermios)},
      {"TIOCSETAF", Iow('t', 22, kTermios)},
      {"TIOCGETD", Ior('t', 26, kInt)},
      {"TIOCSETD", Iow('t', 27, kInt)},
      {"TIOCDRAIN", Io('t', 94)},
      {"TIOCSCTTY", Io('t', 97)},
      {"TIOCCONS", Iow('t', 98, kInt)},
      {"TIOCGSID", Ior('t', 99, kInt)},
      {"TIOCSWINSZ", Iow('t', 103, kWinsize)},
      {"TIOCGWINSZ", Ior('t', 104, kWinsize)},
      {"TIOCMGET", Ior('t', 106, kInt)},
      {"TIOCPKT", Iow('t', 112, kInt)},
      {"TIOCNOTTY", Io('t', 113)},
      {"TIOCSTI", Iow('t', 114, kChar)},
      {"TIOCOUTQ", Ior('t', 115, kInt)},
      {"TIOCSPGRP", Iow('t', 118, kInt)},
      {"TIOCGPGRP", Ior('t', 119, kInt)},
      {"FIOCLEX", Io('f', 1)},
      {"FIONCLEX", Io('f', 2)},
      {"FIOSEEKDATA", Iowr('f', 97, kOffT)},
      {"FIOSEEKHOLE", Iowr('f', 98, kOffT)},
      {"FIONSPACE", Ior('f', 118, kInt)},
      {"FIONWRITE", Ior('f', 119, kInt)},
      {"FIODTYPE", Ior('f', 122, kInt)},
      {"FIOGETOWN", Ior('f', 123, kInt)},
      {"FIOSETOWN", Iow('f', 124, kInt)},
      {"FIOASYNC", Iow('f', 125, kInt)},
      {"FIONBIO", Iow('f', 126, kInt)},
      {"FIONREAD", Ior('f', 127, kInt)},
  };
  size_t freebsd_ioctls = 0;
  for (const ConstantInfo& constant : Constants()) {
    if (constant.kind != ConstantKind::kIoctl || !constant.freebsd_value) continue;
    ++freebsd_ioctls;
    const auto it = definitions.find(constant.name);
    ASSERT_NE(it, definitions.end()) << constant.name << " has no _IOC definition in this test";
    EXPECT_EQ(*constant.freebsd_value, it->second) << constant.name;
  }
  EXPECT_EQ(freebsd_ioctls, definitions.size());
  // The values the brief and the language docs quote.
  EXPECT_EQ(Ior('f', 127, kInt), 0x4004667fu);
  EXPECT_EQ(Ior('t', 104, kWinsize), 0x40087468u);
}

TEST(ConstantsTest, RowsAreWellFormed) {
  std::set<std::string_view> names;
  for (const ConstantInfo& constant : Constants()) {
    EXPECT_TRUE(names.insert(constant.name).second) << constant.name;
    EXPECT_TRUE(constant.linux_value || constant.freebsd_value) << constant.name;
    EXPECT_EQ(constant.freebsd_value.has_value(), !constant.freebsd_source.empty())
        << constant.name;
    if (constant.freebsd_value) {
      EXPECT_TRUE(constant.freebsd_source.starts_with("sys/")) << constant.name;
    }
    EXPECT_EQ(FindConstant(constant.name), &constant);
    EXPECT_EQ(ConstantValue(constant, Target::kFreeBsd), constant.freebsd_value);
  }
  EXPECT_EQ(FindConstant("O_CREATE"), nullptr);
}

TEST(ConstantsTest, TargetOnlyConstantsAndNegativeValues) {
  auto value = [](std::string_view name, Target target) {
    const ConstantInfo* constant = FindConstant(name);
    EXPECT_NE(constant, nullptr) << name;
    return constant ? ConstantValue(*constant, target) : std::nullopt;
  };
  EXPECT_EQ(value("AT_FDCWD", Target::kLinux), 0xffffffffffffff9cu);
  EXPECT_EQ(value("AT_FDCWD", Target::kFreeBsd), 0xffffffffffffff9cu);
  EXPECT_EQ(value("O_CREAT", Target::kLinux), 0x40u);
  EXPECT_EQ(value("O_CREAT", Target::kFreeBsd), 0x200u);
  EXPECT_EQ(value("FIONREAD", Target::kLinux), 0x541bu);
  EXPECT_EQ(value("FIONREAD", Target::kFreeBsd), 0x4004667fu);
  EXPECT_EQ(value("O_EXEC", Target::kLinux), std::nullopt);
  EXPECT_EQ(value("O_TMPFILE", Target::kFreeBsd), std::nullopt);
  EXPECT_EQ(value("TCGETS", Target::kFreeBsd), std::nullopt);
  EXPECT_EQ(value("TIOCGETA", Target::kLinux), std::nullopt);
  EXPECT_EQ(value("CLONE_NEWUSER", Target::kFreeBsd), std::nullopt);
  EXPECT_EQ(value("AF_PACKET", Target::kFreeBsd), std::nullopt);
  EXPECT_EQ(value("O_PATH", Target::kFreeBsd), 0x400000u);
  EXPECT_EQ(FindConstant("TIOCGWINSZ")->kind, ConstantKind::kIoctl);
  EXPECT_EQ(FindConstant("O_CREAT")->kind, ConstantKind::kFlag);
  EXPECT_EQ(FindConstant("AF_INET")->kind, ConstantKind::kValue);
}

TEST(ErrnosTest, LinuxValuesMatchErrnoH) {
  const auto& headers = LinuxHeaderErrnos();
  size_t linux_rows = 0;
  for (const ErrnoInfo& info : Errnos()) {
    EXPECT_EQ(FindErrno(info.name), &info);
    if (!info.linux_value) continue;
    ++linux_rows;
    const auto it = headers.find(info.name);
    ASSERT_NE(it, headers.end()) << info.name;
    EXPECT_EQ(static_cast<uint64_t>(*info.linux_value), it->second) << info.name;
  }
  EXPECT_EQ(linux_rows, headers.size());
#ifdef ECAPMODE
  FAIL() << "Linux headers define ECAPMODE; the table says Linux has none";
#endif
  EXPECT_FALSE(FindErrno("ECAPMODE")->linux_value.has_value());
  EXPECT_FALSE(FindErrno("ENOTCAPABLE")->linux_value.has_value());
}

TEST(ErrnosTest, FreeBsdValuesMatchTheReference) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "errno.tsv");
  std::set<std::string> expected;
  for (const auto& row : table.rows) {
    const std::string& name = row.at("name");
    if (name == "ELAST" || row.at("kernel_only") == "yes") {
      // Linux has an unrelated ERESTART (85); FreeBSD's pseudo errors never reach programs.
      const ErrnoInfo* info = FindErrno(name);
      EXPECT_TRUE(info == nullptr || !info->freebsd_value) << name << " is kernel-only";
      continue;
    }
    expected.insert(name);
    const ErrnoInfo* info = FindErrno(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->freebsd_value, std::stoi(row.at("value"))) << name;
  }
  std::set<std::string> actual;
  for (const ErrnoInfo& info : Errnos()) {
    if (info.freebsd_value) actual.insert(std::string(info.name));
  }
  EXPECT_EQ(actual, expected);
}

TEST(ErrnosTest, CapsicumErrorsAreFreeBsdOnly) {
  EXPECT_EQ(FindErrno("ENOTCAPABLE")->freebsd_value, 93);
  EXPECT_EQ(FindErrno("ECAPMODE")->freebsd_value, 94);
  EXPECT_EQ(FindErrno("EPERM")->linux_value, 1);
  EXPECT_EQ(FindErrno("EAGAIN")->freebsd_value, 35);
  EXPECT_EQ(FindErrno("EAGAIN")->linux_value, 11);
  EXPECT_FALSE(FindErrno("EBADRPC")->linux_value.has_value());
  EXPECT_FALSE(FindErrno("EHWPOISON")->freebsd_value.has_value());
  EXPECT_EQ(FindErrno("ELAST"), nullptr);
  EXPECT_EQ(FindErrno("eperm"), nullptr);
}

TEST(SignalsTest, LinuxNumbersMatchSignalH) {
  const std::map<std::string_view, int> headers = {
      {"hup", SIGHUP},       {"int", SIGINT},   {"quit", SIGQUIT},   {"ill", SIGILL},
      {"trap", SIGTRAP},     {"abrt", SIGABRT}, {"fpe", SIGFPE},     {"kill", SIGKILL},
      {"bus", SIGBUS},       {"segv", SIGSEGV}, {"sys", SIGSYS},     {"pipe", SIGPIPE},
      {"alrm", SIGALRM},     {"term", SIGTERM}, {"urg", SIGURG},     {"stop", SIGSTOP},
      {"tstp", SIGTSTP},     {"cont", SIGCONT}, {"chld", SIGCHLD},   {"ttin", SIGTTIN},
      {"ttou", SIGTTOU},     {"io", SIGIO},     {"xcpu", SIGXCPU},   {"xfsz", SIGXFSZ},
      {"vtalrm", SIGVTALRM}, {"prof", SIGPROF}, {"winch", SIGWINCH}, {"usr1", SIGUSR1},
      {"usr2", SIGUSR2},
  };
  for (const SignalInfo& signal : Signals()) {
    EXPECT_EQ(FindSignal(signal.name), &signal);
    const auto it = headers.find(signal.name);
    if (it == headers.end()) {
      EXPECT_EQ(signal.linux_number, 0) << signal.name << " has no Linux signal";
      continue;
    }
    EXPECT_EQ(signal.linux_number, it->second) << signal.name;
  }
#if defined(SIGEMT) || defined(SIGINFO)
  FAIL() << "this libc defines SIGEMT or SIGINFO; the table says Linux has neither";
#endif
  EXPECT_EQ(FindSignal("emt")->linux_number, 0);
  EXPECT_EQ(FindSignal("info")->linux_number, 0);
  EXPECT_EQ(FindSignal("sigkill"), nullptr);  // the table holds names without "sig"
}

TEST(SignalsTest, FreeBsdNumbersAreTheClassicOneToThirtyOne) {
  // sys/sys/signal.h numbers SIGHUP..SIGUSR2 1..31; the table is in that order.
  const auto signals = Signals();
  ASSERT_EQ(signals.size(), 31u);
  for (size_t i = 0; i < signals.size(); ++i) {
    EXPECT_EQ(signals[i].freebsd_number, static_cast<int>(i + 1)) << signals[i].name;
  }
  EXPECT_EQ(FindSignal("kill")->freebsd_number, 9);
  EXPECT_EQ(FindSignal("info")->freebsd_number, 29);
  EXPECT_EQ(FindSignal("usr1")->freebsd_number, 30);
  EXPECT_EQ(FindSignal("usr1")->linux_number, 10);
}

}  // namespace
}  // namespace stockade::policy
