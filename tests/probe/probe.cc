// SPDX-License-Identifier: BSD-2-Clause
// probe: the program enforcement tests run inside a sandbox. One named action per run; prints
// one line of JSON: {"action":"...","ok":true|false,"errno":N,"error":"EPERM","value":...}.
// Built static and without sanitizers, so it runs in an empty root under tight filters.

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/sendfile.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "stockade/base/capsicum_abi.h"

extern char** environ;

namespace {

constexpr int kSoPassRights = 83;  // SO_PASSRIGHTS (Linux 6.16), not in Debian 12's headers

const char* ErrnoName(int e) {
  switch (e) {
    case 0:
      return "";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case EROFS:
      return "EROFS";
    case ENOSPC:
      return "ENOSPC";
    case ENOSYS:
      return "ENOSYS";
    case EAFNOSUPPORT:
      return "EAFNOSUPPORT";
    case ENETUNREACH:
      return "ENETUNREACH";
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case EINVAL:
      return "EINVAL";
    case EBADF:
      return "EBADF";
    case EEXIST:
      return "EEXIST";
    case EXDEV:
      return "EXDEV";
    case ESRCH:
      return "ESRCH";
    case EMFILE:
      return "EMFILE";
    case EFBIG:
      return "EFBIG";
    case ENOTTY:
      return "ENOTTY";
    case EIO:
      return "EIO";
    case EADDRINUSE:
      return "EADDRINUSE";
    case EADDRNOTAVAIL:
      return "EADDRNOTAVAIL";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case ENODEV:
      return "ENODEV";
    case EHOSTUNREACH:
      return "EHOSTUNREACH";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case ENOBUFS:
      return "ENOBUFS";
    case ECONNRESET:
      return "ECONNRESET";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case ELOOP:
      return "ELOOP";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    case EFAULT:
      return "EFAULT";
    case ENOTEMPTY:
      return "ENOTEMPTY";
    case ECHILD:
      return "ECHILD";
    case STOCKADE_ENOTCAPABLE:
      return "ENOTCAPABLE";
    case STOCKADE_ECAPMODE:
      return "ECAPMODE";
    default:
      return "other";
  }
}

std::string Escape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Prints the result line and returns the exit status: 0 when the action succeeded.
int Result(const std::string& action, bool ok, int error, const std::string& value_json = "null") {
  std::printf("{\"action\":\"%s\",\"ok\":%s,\"errno\":%d,\"error\":\"%s\",\"value\":%s}\n",
              Escape(action).c_str(), ok ? "true" : "false", ok ? 0 : error,
              ok ? "" : ErrnoName(error), value_json.c_str());
  std::fflush(stdout);
  return ok ? 0 : 1;
}

int Check(const std::string& action, long rc, const std::string& value = "null") {
  const int error = errno;
  return Result(action, rc >= 0, error, value);
}

std::string Quoted(const std::string& text) { return "\"" + Escape(text) + "\""; }

long Number(const char* text) { return std::strtol(text, nullptr, 0); }

int Family(const std::string& name) {
  static const std::map<std::string, int> kFamilies = {
      {"AF_UNIX", AF_UNIX},       {"AF_INET", AF_INET},     {"AF_INET6", AF_INET6},
      {"AF_NETLINK", AF_NETLINK}, {"AF_PACKET", AF_PACKET}, {"AF_BLUETOOTH", AF_BLUETOOTH},
      {"AF_KEY", AF_KEY},         {"AF_VSOCK", AF_VSOCK},   {"AF_ALG", AF_ALG}};
  auto it = kFamilies.find(name);
  return it == kFamilies.end() ? static_cast<int>(Number(name.c_str())) : it->second;
}

int Type(const std::string& name) {
  if (name == "SOCK_STREAM") return SOCK_STREAM;
  if (name == "SOCK_DGRAM") return SOCK_DGRAM;
  if (name == "SOCK_RAW") return SOCK_RAW;
  return static_cast<int>(Number(name.c_str()));
}

// Raw syscalls by name, for the ones tests ask about (x86_64 numbers from <sys/syscall.h>).
const std::map<std::string, long>& Syscalls() {
  static const std::map<std::string, long> kCalls = {
      {"ptrace", SYS_ptrace},
      {"mount", SYS_mount},
      {"umount2", SYS_umount2},
      {"unshare", SYS_unshare},
      {"setns", SYS_setns},
      {"clone3", SYS_clone3},
      {"personality", SYS_personality},
      {"chroot", SYS_chroot},
      {"reboot", SYS_reboot},
      {"kexec_load", SYS_kexec_load},
      {"bpf", SYS_bpf},
      {"keyctl", SYS_keyctl},
      {"add_key", SYS_add_key},
      {"io_uring_setup", SYS_io_uring_setup},
      {"perf_event_open", SYS_perf_event_open},
      {"userfaultfd", SYS_userfaultfd},
      {"getpid", SYS_getpid},
      {"getppid", SYS_getppid},
      {"sync", SYS_sync},
      {"acct", SYS_acct},
      {"swapon", SYS_swapon},
      {"init_module", SYS_init_module},
      {"sethostname", SYS_sethostname},
      {"settimeofday", SYS_settimeofday},
      {"shmget", SYS_shmget},
      {"msgget", SYS_msgget},
      {"semget", SYS_semget},
      {"mknod", SYS_mknod},
      {"mknodat", SYS_mknodat},
      {"iopl", SYS_iopl},
      {"pivot_root", SYS_pivot_root},
      {"open_by_handle_at", SYS_open_by_handle_at},
      {"process_vm_readv", SYS_process_vm_readv},
      {"fanotify_init", SYS_fanotify_init},
  };
  return kCalls;
}

std::string CapabilityLine(const char* field) {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (!status) return "null";
  char line[256];
  std::string value = "null";
  while (std::fgets(line, sizeof(line), status)) {
    if (std::strncmp(line, field, std::strlen(field)) == 0) {
      std::string v = line + std::strlen(field);
      while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
      while (!v.empty() && (v.front() == '\t' || v.front() == ' ')) v.erase(v.begin());
      value = Quoted(v);
    }
  }
  std::fclose(status);
  return value;
}

// ---- network -----------------------------------------------------------------------------

// ADDRESS (IPv4 or IPv6) and PORT as a socket address.
socklen_t Address(const char* text, const char* port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (std::strchr(text, ':')) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(Number(port)));
    if (inet_pton(AF_INET6, text, &in6->sin6_addr) != 1) return 0;
    return sizeof(*in6);
  }
  auto* in = reinterpret_cast<sockaddr_in*>(out);
  in->sin_family = AF_INET;
  in->sin_port = htons(static_cast<uint16_t>(Number(port)));
  if (inet_pton(AF_INET, text, &in->sin_addr) != 1) return 0;
  return sizeof(*in);
}

// A socket of `type` connected to ADDRESS PORT, with 2-second send and receive timeouts (a
// connection the egress rules silently dropped would show as ETIMEDOUT, not hang); -1 with
// errno on failure.
int Connect(int type, const char* address, const char* port) {
  sockaddr_storage to;
  const socklen_t length = Address(address, port, &to);
  if (length == 0) {
    errno = EINVAL;
    return -1;
  }
  const int fd = socket(to.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval timeout {
    2, 0
  };
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), length) != 0) {
    const int error = errno;
    close(fd);
    errno = error == EINPROGRESS ? ETIMEDOUT : error;
    return -1;
  }
  return fd;
}

// Sends "ping" on a connected socket and reads the answer.
int Exchange(const std::string& action, int fd) {
  if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4) {
    const int error = errno;
    close(fd);
    return Result(action, false, error);
  }
  char buffer[64];
  const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
  const int error = errno;
  close(fd);
  if (n <= 0)
    return Result(action, false, n == 0 ? ECONNRESET : (error == EAGAIN ? ETIMEDOUT : error));
  return Result(action, true, 0, Quoted(std::string(buffer, static_cast<size_t>(n))));
}

// One netlink request that expects only an acknowledgement; returns 0 or the kernel's errno.
int NetlinkRequest(int protocol, const void* message, size_t size) {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return errno;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  int error = 0;
  if (sendto(fd, message, size, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    error = errno;
  } else {
    alignas(nlmsghdr) char buffer[8192];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      error = errno;
    } else {
      size_t left = static_cast<size_t>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, left);
           h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_type == NLMSG_ERROR) {
          error = -static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
          break;
        }
      }
    }
  }
  close(fd);
  return error;
}

void Attribute(std::vector<char>& message, uint16_t type, const void* data, size_t size) {
  nlattr attribute{};
  attribute.nla_len = static_cast<uint16_t>(NLA_HDRLEN + size);
  attribute.nla_type = type;
  const size_t at = message.size();
  message.resize(NLMSG_ALIGN(at + NLA_HDRLEN + size));
  std::memcpy(message.data() + at, &attribute, sizeof(attribute));
  std::memcpy(message.data() + at + NLA_HDRLEN, data, size);
}

// The interfaces of this network namespace from an RTM_GETLINK dump: name, index, the index
// of a veth's peer (IFLA_LINK) and whether it is up.
std::string Links() {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return "";
  struct {
    nlmsghdr header;
    ifinfomsg link;
  } request{};
  request.header.nlmsg_len = sizeof(request);
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.link.ifi_family = AF_UNSPEC;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  std::string list = "[";
  if (sendto(fd, &request, sizeof(request), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0) {
    close(fd);
    return "";
  }
  bool done = false;
  while (!done) {
    alignas(nlmsghdr) char buffer[32768];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    size_t left = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      if (h->nlmsg_type != RTM_NEWLINK) continue;
      auto* link = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      int length = static_cast<int>(IFLA_PAYLOAD(h));
      std::string name;
      int peer = 0;
      for (rtattr* a = IFLA_RTA(link); RTA_OK(a, length); a = RTA_NEXT(a, length)) {
        if (a->rta_type == IFLA_IFNAME) name = static_cast<const char*>(RTA_DATA(a));
        if (a->rta_type == IFLA_LINK) std::memcpy(&peer, RTA_DATA(a), sizeof(peer));
      }
      list += (list.size() > 1 ? "," : "") + std::string("{\"name\":") + Quoted(name) +
              ",\"index\":" + std::to_string(link->ifi_index) +
              ",\"peer\":" + std::to_string(peer) +
              ",\"up\":" + ((link->ifi_flags & IFF_UP) ? "true" : "false") + "}";
    }
  }
  close(fd);
  return list + "]";
}

// Every IPv4 and IPv6 address of this namespace as "name address/prefix".
std::string Addresses() {
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return "";
  std::vector<std::string> lines;
  for (ifaddrs* i = all; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
      continue;
    const bool v6 = i->ifa_addr->sa_family == AF_INET6;
    const void* address =
        v6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr)
           : &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr;
    const unsigned char* mask =
        !i->ifa_netmask ? nullptr
        : v6            ? reinterpret_cast<sockaddr_in6*>(i->ifa_netmask)->sin6_addr.s6_addr
                        : reinterpret_cast<const unsigned char*>(
                   &reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr);
    int prefix = 0;
    for (int b = 0; mask && b < (v6 ? 16 : 4); ++b) prefix += __builtin_popcount(mask[b]);
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(i->ifa_addr->sa_family, address, text, sizeof(text));
    lines.push_back(std::string(i->ifa_name) + " " + text + "/" + std::to_string(prefix));
  }
  freeifaddrs(all);
  std::sort(lines.begin(), lines.end());
  std::string list = "[";
  for (const std::string& line : lines) list += (list.size() > 1 ? "," : "") + Quoted(line);
  return list + "]";
}

// The default routes of both families as "gateway dev" (/proc/net/route, /proc/net/ipv6_route).
std::string DefaultRoutes() {
  std::vector<std::string> routes;
  if (FILE* f = std::fopen("/proc/net/route", "r")) {
    char line[512];
    while (std::fgets(line, sizeof(line), f)) {
      char dev[64];
      unsigned destination, gateway, flags, mask;
      if (std::sscanf(line, "%63s %x %x %x %*d %*d %*d %x", dev, &destination, &gateway, &flags,
                      &mask) == 5 &&
          destination == 0 && mask == 0) {
        in_addr g{gateway};
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &g, text, sizeof(text));
        routes.push_back(std::string(text) + " " + dev);
      }
    }
    std::fclose(f);
  }
  if (FILE* f = std::fopen("/proc/net/ipv6_route", "r")) {
    char destination[33], source[33], next_hop[33], dev[64];
    unsigned length, source_length;
    while (std::fscanf(f, "%32s %x %32s %x %32s %*x %*x %*x %*x %63s", destination, &length, source,
                       &source_length, next_hop, dev) == 6) {
      if (length != 0 || std::string(dev) == "lo") continue;
      in6_addr g{};
      for (int b = 0; b < 16; ++b) {
        unsigned byte = 0;
        std::sscanf(next_hop + 2 * b, "%2x", &byte);
        g.s6_addr[b] = static_cast<unsigned char>(byte);
      }
      char text[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, &g, text, sizeof(text));
      routes.push_back(std::string(text) + " " + dev);
    }
    std::fclose(f);
  }
  std::string list = "[";
  for (const std::string& r : routes) list += (list.size() > 1 ? "," : "") + Quoted(r);
  return list + "]";
}

// Network actions; -1 when `a` is none of them.
int NetworkAction(const std::vector<std::string>& a) {
  const std::string& action = a[0];
  auto arg = [&](size_t i) -> const char* { return i < a.size() ? a[i].c_str() : ""; };
  if (action == "tcp-echo" || action == "udp-echo") {  // ADDRESS PORT: "ping", the answer
    const int fd = Connect(action == "tcp-echo" ? SOCK_STREAM : SOCK_DGRAM, arg(1), arg(2));
    if (fd < 0) return Check(action, -1);
    return Exchange(action, fd);
  }
  if (action == "udp-send") {  // ADDRESS PORT: one datagram, no answer expected
    sockaddr_storage to;
    const socklen_t length = Address(arg(1), arg(2), &to);
    const int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Check(action, -1);
    const ssize_t n = sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&to), length);
    const int error = errno;
    close(fd);
    errno = error;
    return Check(action, n);
  }
  if (action == "tcp-serve") {  // PORT: accept one connection on any address, answer "pong"
    const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Check(action, -1);
    const int off = 0, on = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(static_cast<uint16_t>(Number(arg(1))));
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(fd, 1) != 0) {
      return Check(action, -1);
    }
    const int connection = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return Check(action, -1);
    char buffer[16];
    const ssize_t n = recv(connection, buffer, sizeof(buffer), 0);
    const ssize_t sent = send(connection, "pong", 4, MSG_NOSIGNAL);
    close(connection);
    close(fd);
    return Result(action, n > 0 && sent == 4, errno);
  }
  if (action == "tcp-loopback") {  // ADDRESS: listen on ADDRESS, connect to it, exchange
    sockaddr_storage here;
    socklen_t length = Address(arg(1), "0", &here);
    const int listener = socket(here.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&here), length) != 0 ||
        listen(listener, 1) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&here), &length) != 0) {
      return Check(action, -1);
    }
    const int client = socket(here.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0 || connect(client, reinterpret_cast<sockaddr*>(&here), length) != 0) {
      return Check(action, -1);
    }
    const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    char buffer[8] = {};
    const bool ok = server >= 0 && send(client, "ping", 4, MSG_NOSIGNAL) == 4 &&
                    recv(server, buffer, sizeof(buffer), 0) == 4;
    const int error = errno;
    close(client);
    if (server >= 0) close(server);
    close(listener);
    return Result(action, ok, error);
  }
  if (action == "links") {
    const std::string links = Links();
    return Result(action, !links.empty(), errno, links.empty() ? "null" : links);
  }
  if (action == "addresses") {
    const std::string addresses = Addresses();
    return Result(action, !addresses.empty(), errno, addresses.empty() ? "null" : addresses);
  }
  if (action == "default-routes") return Result(action, true, 0, DefaultRoutes());
  if (action == "icmpv6-send") {  // TYPE ADDRESS: one ICMPv6 message from a raw socket
    sockaddr_storage to;
    if (Address(arg(2), "0", &to) == 0 || to.ss_family != AF_INET6) {
      return Result(action, false, EINVAL);
    }
    const int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd < 0) return Check(action, -1);
    unsigned char message[24] = {};  // type, code, checksum (the kernel fills it), body
    message[0] = static_cast<unsigned char>(Number(arg(1)));
    const int hops = 255;  // as neighbour discovery must be sent
    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
    const ssize_t n = sendto(fd, message, sizeof(message), 0, reinterpret_cast<sockaddr*>(&to),
                             sizeof(sockaddr_in6));
    const int error = errno;
    close(fd);
    errno = error;
    return Check(action, n);
  }
  if (action == "netns") {  // the inode of this network namespace, to find it from the host
    struct stat st {};
    if (stat("/proc/self/ns/net", &st) != 0) return Check(action, -1);
    return Result(action, true, 0, std::to_string(st.st_ino));
  }
  if (action == "nft-flush") {
    // What `nft flush ruleset` sends: a batch deleting every table of every family.
    std::vector<char> message;
    auto append = [&](uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id) {
      const size_t at = message.size();
      message.resize(at + NLMSG_SPACE(sizeof(nfgenmsg)));
      auto* header = reinterpret_cast<nlmsghdr*>(message.data() + at);
      header->nlmsg_len = NLMSG_LENGTH(sizeof(nfgenmsg));
      header->nlmsg_type = type;
      header->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
      header->nlmsg_seq = static_cast<uint32_t>(at + 1);
      auto* generation = static_cast<nfgenmsg*>(NLMSG_DATA(header));
      generation->nfgen_family = family;
      generation->version = NFNETLINK_V0;
      generation->res_id = htons(res_id);
    };
    append(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    append((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_ACK, AF_UNSPEC, 0);
    append(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    const int error = NetlinkRequest(NETLINK_NETFILTER, message.data(), message.size());
    return Result(action, error == 0, error);
  }
  if (action == "link-down") {  // NAME: what `ip link set NAME down` sends
    std::vector<char> message(NLMSG_SPACE(sizeof(ifinfomsg)));
    auto* header = reinterpret_cast<nlmsghdr*>(message.data());
    header->nlmsg_type = RTM_NEWLINK;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    auto* link = static_cast<ifinfomsg*>(NLMSG_DATA(header));
    link->ifi_family = AF_UNSPEC;
    link->ifi_change = IFF_UP;
    Attribute(message, IFLA_IFNAME, arg(1), std::strlen(arg(1)) + 1);
    reinterpret_cast<nlmsghdr*>(message.data())->nlmsg_len = static_cast<uint32_t>(message.size());
    const int error = NetlinkRequest(NETLINK_ROUTE, message.data(), message.size());
    return Result(action, error == 0, error);
  }
  return -1;
}

// One operation on a descriptor, "NAME:FD[:ARG]", for the Capsicum tests: the call, its result
// (a count or a new descriptor) and errno. Each uses the plain libc call a program would use.
// One byte with `fd` attached (SCM_RIGHTS) over Unix socket `socket`: sendmsg's result.
long SendDescriptor(int socket, int fd) {
  char data = 'x';
  struct iovec part {
    &data, 1
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr message {};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  return sendmsg(socket, &message, 0);
}

// The descriptor the next message on `socket` carries, or -1 (errno EIO when it carried none).
int ReceiveDescriptor(int socket) {
  char data = 0;
  struct iovec part {
    &data, 1
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr message {};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  if (recvmsg(socket, &message, MSG_CMSG_CLOEXEC) < 0) return -1;
  const struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  int received = -1;
  if (header && header->cmsg_type == SCM_RIGHTS) {
    std::memcpy(&received, CMSG_DATA(header), sizeof(int));
  }
  if (received < 0) errno = EIO;
  return received;
}

std::string DescriptorOp(const std::string& spec) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string::npos ? colon : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const std::string& op = parts[0];
  const int fd = parts.size() > 1 ? static_cast<int>(Number(parts[1].c_str())) : -1;
  const std::string arg = parts.size() > 2 ? parts[2] : "";
  const std::string arg2 = parts.size() > 3 ? parts[3] : "";
  const long n = arg.empty() ? 0 : Number(arg.c_str());
  char byte = 'x';
  char buffer[256];
  struct iovec iov {
    buffer, 1
  };
  struct stat st {};
  long rc = -1;
  errno = 0;
  auto map = [&](int prot, int flags) {
    void* m = mmap(nullptr, 4096, prot, flags, fd, 0);
    if (m == MAP_FAILED) return -1L;
    munmap(m, 4096);
    return 0L;
  };
  if (op == "read")
    rc = read(fd, buffer, 1);
  else if (op == "readv")
    rc = readv(fd, &iov, 1);
  else if (op == "pread")
    rc = pread(fd, buffer, 1, 0);
  else if (op == "write")
    rc = write(fd, &byte, 1);
  else if (op == "writev")
    rc = writev(fd, &iov, 1);
  else if (op == "pwrite")
    rc = pwrite(fd, &byte, 1, 0);
  else if (op == "lseek-tell")
    rc = lseek(fd, 0, SEEK_CUR);
  else if (op == "lseek-set")
    rc = lseek(fd, 0, SEEK_SET);
  else if (op == "fstat")
    rc = fstat(fd, &st);  // glibc: newfstatat(fd, "", AT_EMPTY_PATH)
  else if (op == "fstat-raw")
    rc = syscall(SYS_fstat, fd, &st);
  else if (op == "statx") {
    struct statx stx {};
    rc = statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx);
  } else if (op == "fstatfs") {
    struct statfs sf {};
    rc = fstatfs(fd, &sf);
  } else if (op == "mmap-none")
    rc = map(PROT_NONE, MAP_PRIVATE);
  else if (op == "mmap-r")
    rc = map(PROT_READ, MAP_PRIVATE);
  else if (op == "mmap-rw-private")
    rc = map(PROT_READ | PROT_WRITE, MAP_PRIVATE);
  else if (op == "mmap-rw-shared")
    rc = map(PROT_READ | PROT_WRITE, MAP_SHARED);
  else if (op == "mmap-rx")
    rc = map(PROT_READ | PROT_EXEC, MAP_PRIVATE);
  else if (op == "ftruncate")
    rc = ftruncate(fd, n);
  else if (op == "fchmod")
    rc = fchmod(fd, 0644);
  else if (op == "fchown")
    rc = fchown(fd, static_cast<uid_t>(-1), static_cast<gid_t>(-1));
  else if (op == "fsync")
    rc = fsync(fd);
  else if (op == "fdatasync")
    rc = fdatasync(fd);
  else if (op == "flock") {
    rc = flock(fd, LOCK_SH);
    if (rc == 0) flock(fd, LOCK_UN);
  } else if (op == "fchdir")
    rc = fchdir(fd);
  else if (op == "fcntl-getfl")
    rc = fcntl(fd, F_GETFL);
  else if (op == "fcntl-setfl")
    rc = fcntl(fd, F_SETFL, 0);
  else if (op == "fcntl-getown")
    rc = fcntl(fd, F_GETOWN);
  else if (op == "fcntl-setown")
    rc = fcntl(fd, F_SETOWN, getpid());
  else if (op == "fcntl-getfd")
    rc = fcntl(fd, F_GETFD);
  else if (op == "fcntl-setlk") {
    struct flock lock {};
    lock.l_type = F_UNLCK;
    lock.l_whence = SEEK_SET;
    rc = fcntl(fd, F_SETLK, &lock);
  } else if (op == "fcntl-dupfd")
    rc = fcntl(fd, F_DUPFD, n);
  else if (op == "fcntl-dupfd-cloexec")
    rc = fcntl(fd, F_DUPFD_CLOEXEC, n);
  else if (op == "ioctl-fionread") {
    int count = 0;
    rc = ioctl(fd, FIONREAD, &count);
  } else if (op == "ioctl-fioclex")
    rc = ioctl(fd, FIOCLEX);
  else if (op == "ioctl-tiocgwinsz") {
    struct winsize size {};
    rc = ioctl(fd, TIOCGWINSZ, &size);
  } else if (op == "dup")
    rc = dup(fd);
  else if (op == "dup2")
    rc = dup2(fd, static_cast<int>(n));
  else if (op == "dup3")
    rc = dup3(fd, static_cast<int>(n), O_CLOEXEC);
  else if (op == "close")
    rc = close(fd);
  else if (op == "getdents")
    rc = syscall(SYS_getdents64, fd, buffer, sizeof(buffer));
  else if (op == "sendfile")
    rc = sendfile(fd, static_cast<int>(n), nullptr, 1);  // out, in
  else if (op == "splice")
    rc = splice(fd, nullptr, static_cast<int>(n), nullptr, 1, 0);
  else if (op == "copy_file_range") {
    rc = copy_file_range(fd, nullptr, static_cast<int>(n), nullptr, 1, 0);
  } else if (op == "epoll-add") {
    const int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event {};
    event.events = EPOLLIN;
    rc = epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    const int error = errno;
    close(epoll);
    errno = error;
  } else if (op == "openat")
    rc = openat(fd, arg.c_str(), O_RDONLY | O_CLOEXEC);
  else if (op == "open")
    rc = open(arg.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  // Lookups beneath a directory descriptor (PATH and TO from the spec; FD may be -100,
  // AT_FDCWD).
  else if (op == "openat-create")
    rc = openat(fd, arg.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  else if (op == "openat-excl")
    rc = openat(fd, arg.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  else if (op == "openat-write")
    rc = openat(fd, arg.c_str(), O_WRONLY | O_CLOEXEC);
  else if (op == "openat-dir")
    rc = openat(fd, arg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  else if (op == "openat-path")
    rc = openat(fd, arg.c_str(), O_PATH | O_CLOEXEC);
  else if (op == "openat-nofollow")
    rc = openat(fd, arg.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  else if (op == "openat2-beneath") {
    struct open_how how {};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    rc = syscall(SYS_openat2, fd, arg.c_str(), &how, sizeof(how));
  } else if (op == "openat-then" || op == "openat-rw-then") {
    // Opens PATH beneath FD, then runs the operation TO on the new descriptor: what rights
    // the opened descriptor has. The result is the operation's.
    const int opened =
        openat(fd, arg.c_str(), (op == "openat-then" ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (opened < 0) {
      rc = -1;
    } else {
      const std::string inner = DescriptorOp(arg2 + ":" + std::to_string(opened));
      close(opened);
      return "{\"op\":" + Quoted(spec) + ",\"inner\":" + inner + "," +
             inner.substr(inner.find("\"ok\""));
    }
  } else if (op == "fstatat")
    rc = fstatat(fd, arg.c_str(), &st, 0);
  else if (op == "fstatat-nofollow")
    rc = fstatat(fd, arg.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  else if (op == "statx-at") {
    struct statx stx {};
    rc = statx(fd, arg.c_str(), 0, STATX_BASIC_STATS, &stx);
  } else if (op == "faccessat")
    rc = faccessat(fd, arg.c_str(), R_OK, 0);
  else if (op == "readlinkat")
    rc = readlinkat(fd, arg.c_str(), buffer, sizeof(buffer));
  else if (op == "mkdirat")
    rc = mkdirat(fd, arg.c_str(), 0755);
  else if (op == "mknodat-fifo")
    rc = mknodat(fd, arg.c_str(), S_IFIFO | 0644, 0);
  else if (op == "unlinkat")
    rc = unlinkat(fd, arg.c_str(), 0);
  else if (op == "rmdirat")
    rc = unlinkat(fd, arg.c_str(), AT_REMOVEDIR);
  else if (op == "renameat")
    rc = renameat(fd, arg.c_str(), fd, arg2.c_str());
  else if (op == "linkat")
    rc = linkat(fd, arg.c_str(), fd, arg2.c_str(), 0);
  else if (op == "symlinkat")
    rc = symlinkat(arg.c_str(), fd, arg2.c_str());
  else if (op == "fchmodat")
    rc = fchmodat(fd, arg.c_str(), 0600, 0);
  else if (op == "fchownat")
    rc = fchownat(fd, arg.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(-1), 0);
  else if (op == "utimensat")
    rc = utimensat(fd, arg.c_str(), nullptr, 0);
  // Calls that reach a global namespace (capability mode refuses them); FD is ignored.
  else if (op == "stat")
    rc = stat(arg.c_str(), &st);
  else if (op == "access")
    rc = access(arg.c_str(), R_OK);
  else if (op == "mkdir")
    rc = mkdir(arg.c_str(), 0755);
  else if (op == "chdir")
    rc = chdir(arg.c_str());
  else if (op == "getcwd")
    rc = getcwd(buffer, sizeof(buffer)) ? 0 : -1;
  else if (op == "kill-self")
    rc = kill(getpid(), 0);
  else if (op == "kill-parent")
    rc = kill(getppid(), 0);
  else if (op == "kill-group")
    rc = kill(0, 0);
  else if (op == "socket-inet") {
    rc = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  } else if (op == "socketpair") {
    int pair[2];
    rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
    if (rc == 0) {
      close(pair[0]);
      close(pair[1]);
    }
  } else if (op == "bind-unix" || op == "connect-unix") {
    // A PATH starting with '@' is an abstract address (the rest of it).
    const int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    socklen_t size = sizeof(address);
    if (!arg.empty() && arg[0] == '@') {
      const int length =
          std::snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "%s", arg.c_str() + 1);
      size = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 +
                                    static_cast<size_t>(length));
    } else {
      std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", arg.c_str());
    }
    const auto* a = reinterpret_cast<const struct sockaddr*>(&address);
    rc = op == "bind-unix" ? bind(s, a, size) : connect(s, a, size);
    const int error = errno;
    close(s);
    errno = error;
  } else if (op == "pipe") {
    int pair[2];
    rc = pipe2(pair, O_CLOEXEC);
    if (rc == 0) {
      close(pair[0]);
      close(pair[1]);
    }
  } else if (op == "ptrace-parent")
    rc = syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0);
  else if (op == "pidfd-parent")
    rc = syscall(SYS_pidfd_open, getppid(), 0);
  else if (op == "pidfd-child") {
    // A process descriptor for the caller's own child (pdfork's way on Linux), then wait.
    const pid_t child = fork();
    if (child == 0) _exit(7);
    rc = syscall(SYS_pidfd_open, child, 0);
    const int error = errno;
    int status = 0;
    waitpid(child, &status, 0);
    if (rc >= 0) close(static_cast<int>(rc));
    errno = error;
    if (rc >= 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 7)) {
      rc = -1;
      errno = ECHILD;
    }
  } else if (op == "fork-exec") {
    // The child's execve of PATH: its exit status 0 exec worked (PATH must exit 0), 1 ECAPMODE.
    const pid_t child = fork();
    if (child == 0) {
      char* const args[] = {const_cast<char*>(arg.c_str()), const_cast<char*>("ok"), nullptr};
      close(STDOUT_FILENO);  // the child's own line must not mix with this one
      execve(arg.c_str(), args, environ);
      _exit(errno == STOCKADE_ECAPMODE ? 1 : 2);
    }
    int status = 0;
    waitpid(child, &status, 0);
    const int how = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
    rc = how == 0 ? 0 : -1;
    errno = how == 1 ? STOCKADE_ECAPMODE : EIO;
  } else if (op == "clone-files") {
    // A child sharing the descriptor table (clone(CLONE_FILES) without CLONE_THREAD).
    const long child = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) _exit(0);
    rc = child;
    if (child > 0) {
      int status = 0;
      waitpid(static_cast<pid_t>(child), &status, 0);
    }
  } else if (op == "fexecve-dir" || op == "fexecve-dir-threaded") {
    // fexecve of PATH opened beneath FD: what capability mode allows, with CAP_FEXECVE. Exit
    // status 0 is ok; otherwise 1 ECAPMODE (from fexecve, or the program's exit status 1).
    const pid_t child = fork();
    if (child == 0) {
      if (op == "fexecve-dir-threaded") {
        // A second thread that only waits: the process is multithreaded at the fexecve.
        std::thread([] { pause(); }).detach();
      }
      const int program = openat(fd, arg.c_str(), O_RDONLY | O_CLOEXEC);
      if (program < 0) _exit(errno == STOCKADE_ENOTCAPABLE ? 3 : 4);
      // The program's arguments: TO split at ',' ("ok" without it).
      std::vector<std::string> words = {arg};
      for (size_t at = 0; !arg2.empty() && at <= arg2.size();) {
        const size_t comma = std::min(arg2.find(',', at), arg2.size());
        words.push_back(arg2.substr(at, comma - at));
        at = comma + 1;
      }
      if (words.size() == 1) words.push_back("ok");
      std::vector<char*> args;
      for (std::string& word : words) args.push_back(word.data());
      args.push_back(nullptr);
      close(STDOUT_FILENO);
      fexecve(program, args.data(), environ);
      _exit(errno == STOCKADE_ENOTCAPABLE ? 3 : errno == STOCKADE_ECAPMODE ? 1 : 2);
    }
    int status = 0;
    waitpid(child, &status, 0);
    const int how = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
    rc = how == 0 ? 0 : -1;
    errno = how == 1 ? STOCKADE_ECAPMODE : how == 3 ? STOCKADE_ENOTCAPABLE : EIO;
  } else if (op == "race-path") {
    // race-path:FD:GOOD:BAD: a thread flips a path buffer between GOOD and BAD (an escape)
    // while this one opens it beneath FD 2000 times and reads what it got. Fails (EIO) if any
    // open yielded an ELF file (the probe, which is outside FD's directory).
    char path[64] = {};
    std::snprintf(path, sizeof(path), "%s", arg.c_str());
    std::atomic<bool> stop{false};
    std::thread flipper([&] {
      const size_t size = std::max(arg.size(), arg2.size()) + 1;
      std::vector<char> good(size, 0), bad(size, 0);
      std::memcpy(good.data(), arg.data(), arg.size());
      std::memcpy(bad.data(), arg2.data(), arg2.size());
      while (!stop.load(std::memory_order_relaxed)) {
        std::memcpy(path, bad.data(), size);
        std::memcpy(path, good.data(), size);
      }
    });
    long escaped = 0, opened = 0;
    for (int i = 0; i < 2000; ++i) {
      const int file = openat(fd, path, O_RDONLY | O_CLOEXEC);
      if (file < 0) continue;
      ++opened;
      char head[4] = {};
      if (read(file, head, 4) == 4 && std::memcmp(head,
                                                  "\x7f"
                                                  "ELF",
                                                  4) == 0)
        ++escaped;
      close(file);
    }
    stop = true;
    flipper.join();
    rc = escaped ? -1 : opened;
    errno = escaped ? EIO : 0;
  } else if (op == "execveat-path") {
    // execveat-path:FD:NAME:PATH: in a child, NAME opened beneath FD, then execveat(that
    // descriptor, PATH, AT_EMPTY_PATH): with a file descriptor and an absolute PATH the kernel
    // ignores the descriptor and looks PATH up itself. Exit status 0: it ran (PATH must exit
    // 0); otherwise the errno, through the exit status (1 ENOENT, 2 ECAPMODE, 3 other).
    const pid_t child = fork();
    if (child == 0) {
      const int file = openat(fd, arg.c_str(), O_RDONLY | O_CLOEXEC);
      if (file < 0) _exit(3);
      char* const args[] = {const_cast<char*>(arg2.c_str()), const_cast<char*>("ok"), nullptr};
      close(STDOUT_FILENO);
      syscall(SYS_execveat, file, arg2.c_str(), args, environ, AT_EMPTY_PATH);
      _exit(errno == ENOENT ? 1 : errno == STOCKADE_ECAPMODE ? 2 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    const int how = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
    rc = how == 0 ? 0 : -1;
    errno = how == 1 ? ENOENT : how == 2 ? STOCKADE_ECAPMODE : EIO;
  } else if (op == "sendmsg-unix") {
    // A datagram to the AF_UNIX socket bound at PATH, from a new unbound socket.
    const int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", arg.c_str());
    struct iovec data {
      &byte, 1
    };
    struct msghdr message {};
    message.msg_name = &address;
    message.msg_namelen = sizeof(address);
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    rc = sendmsg(s, &message, 0);
    const int error = errno;
    close(s);
    errno = error;
  } else if (op == "scm-rights") {
    // FD sent to itself over a Unix socket pair (SCM_RIGHTS); then TO (an operation) on the
    // descriptor received. The result is the operation's.
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      rc = -1;
    } else {
      rc = SendDescriptor(pair[0], fd);
      const int received = rc >= 0 ? ReceiveDescriptor(pair[1]) : -1;
      if (received < 0) rc = -1;
      const int error = errno;
      close(pair[0]);
      close(pair[1]);
      errno = error;
      if (received >= 0) {
        const std::string inner = DescriptorOp(arg + ":" + std::to_string(received));
        close(received);
        return "{\"op\":" + Quoted(spec) + ",\"inner\":" + inner + "," +
               inner.substr(inner.find("\"ok\""));
      }
    }
  } else if (op == "open-past-fifo") {
    // open-past-fifo:FD:FIFO:FILE: a thread opens FIFO beneath FD for reading, which waits for
    // a writer; meanwhile FILE is opened beneath FD (the result), and then the FIFO for writing,
    // which lets the first open return.
    std::atomic<bool> reader_done{false};
    std::thread reader([&] {
      const int r = openat(fd, arg.c_str(), O_RDONLY | O_CLOEXEC);
      if (r >= 0) close(r);
      reader_done = true;
    });
    usleep(200 * 1000);  // the reader is waiting in its open by now
    rc = openat(fd, arg2.c_str(), O_RDONLY | O_CLOEXEC);
    const int error = errno;
    if (rc >= 0) close(static_cast<int>(rc));
    for (int tries = 0; !reader_done && tries < 100; ++tries) {
      const int w = openat(fd, arg.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (w >= 0) close(w);
      usleep(10 * 1000);
    }
    reader.join();
    errno = error;
  } else if (op == "undumpable") {
    rc = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  } else if (op == "passrights") {
    // The value of SO_PASSRIGHTS on socket FD (0: it refuses descriptors).
    int value = -1;
    socklen_t size = sizeof(value);
    rc = getsockopt(fd, SOL_SOCKET, kSoPassRights, &value, &size) == 0 ? value : -1;
  } else if (op == "passrights-on") {
    // SO_PASSRIGHTS turned on, on socket FD (or with FD -1 on a new socket pair).
    int pair[2] = {-1, -1};
    const int on = 1;
    if (fd >= 0 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) == 0) {
      rc = setsockopt(fd >= 0 ? fd : pair[0], SOL_SOCKET, kSoPassRights, &on, sizeof(on));
    }
    const int error = errno;
    if (pair[0] >= 0) close(pair[0]);
    if (pair[1] >= 0) close(pair[1]);
    errno = error;
  } else if (op == "unix-connect") {
    // A listener bound to an abstract address, a connection to it and a byte through; then,
    // with FD >= 0, FD sent over the connection (SCM_RIGHTS): the result is that sendmsg's. A
    // failure before it is reported as EIO, the connection's own error in "value".
    const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const int length =
        std::snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "probe-%d", getpid());
    const socklen_t size = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 +
                                                  static_cast<size_t>(length));
    int server = -1, step_error = 0;
    if (listener < 0 || client < 0 ||
        bind(listener, reinterpret_cast<struct sockaddr*>(&address), size) != 0 ||
        listen(listener, 1) != 0 ||
        connect(client, reinterpret_cast<struct sockaddr*>(&address), size) != 0 ||
        (server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) < 0 ||
        write(client, &byte, 1) != 1 || read(server, buffer, 1) != 1) {
      step_error = errno;
    }
    if (step_error) {
      rc = -1;
      errno = EIO;
    } else if (fd < 0) {
      rc = 0;
    } else {
      rc = SendDescriptor(client, fd);
    }
    const int error = errno;
    for (int s : {listener, client, server}) {
      if (s >= 0) close(s);
    }
    errno = error;
    if (step_error) {
      return "{\"op\":" + Quoted(spec) + ",\"ok\":false,\"errno\":" + std::to_string(EIO) +
             ",\"error\":\"EIO\",\"value\":" + std::to_string(step_error) + "}";
    }
  } else if (op == "io_uring_setup") {
    char params[120] = {};
    rc = syscall(SYS_io_uring_setup, 4, params);
  } else if (op == "fork-read") {
    // The child inherits the descriptor and its limits; its exit status says how read ended:
    // 0 read, 1 ENOTCAPABLE, 2 another error.
    const pid_t child = fork();
    if (child == 0) {
      if (read(fd, buffer, 1) >= 0) _exit(0);
      _exit(errno == STOCKADE_ENOTCAPABLE ? 1 : 2);
    }
    int status = 0;
    waitpid(child, &status, 0);
    const int how = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
    rc = how == 0 ? 0 : -1;
    errno = how == 1 ? STOCKADE_ENOTCAPABLE : EIO;
  } else {
    rc = -1;
    errno = EINVAL;
  }
  const int error = errno;
  const bool ok = rc >= 0;
  return "{\"op\":" + Quoted(spec) + ",\"ok\":" + (ok ? "true" : "false") +
         ",\"errno\":" + std::to_string(ok ? 0 : error) + ",\"error\":\"" +
         (ok ? "" : ErrnoName(error)) + "\",\"value\":" + std::to_string(rc) + "}";
}

int Run(const std::vector<std::string>& a) {
  const std::string& action = a[0];
  auto arg = [&](size_t i) -> const char* { return i < a.size() ? a[i].c_str() : ""; };

  if (action == "ok") return Result(action, true, 0);
  if (action == "ops") {  // NAME:FD[:ARG]...: every operation, in order, in this process
    std::string list = "[";
    for (size_t i = 1; i < a.size(); ++i) list += (i > 1 ? "," : "") + DescriptorOp(a[i]);
    return Result(action, true, 0, list + "]");
  }
  if (action == "exit") {
    std::fflush(stdout);
    _exit(static_cast<int>(Number(arg(1))));
  }
  if (action == "read-bench") {
    // FD COUNT [read|pread]: COUNT one-byte reads of FD (read(2) at the file's end by default,
    // pread(2) at offset 0 with "pread"), timed. For bench/: a limited against an unlimited
    // descriptor of the same file measures what the rights program costs a read.
    const int fd = static_cast<int>(Number(arg(1)));
    const long count = a.size() > 2 ? Number(arg(2)) : 100000;
    const bool positioned = std::string(arg(3)) == "pread";
    char byte = 0;
    struct timespec start {
    }, end{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    long failures = 0;
    int last_error = 0;
    for (long i = 0; i < count; ++i) {
      const ssize_t n = positioned ? pread(fd, &byte, 1, 0) : read(fd, &byte, 1);
      if (n < 0) {
        ++failures;
        last_error = errno;
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    const double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    char value[160];
    std::snprintf(value, sizeof(value), "{\"count\":%ld,\"failures\":%ld,\"ns_per_call\":%.1f}",
                  count, failures, count > 0 ? ns / static_cast<double>(count) : 0.0);
    errno = last_error;
    return Result(action, failures == 0, failures == 0 ? 0 : last_error, value);
  }
  if (action == "write-file") {
    const int fd = open(arg(1), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Check(action, -1);
    const std::string data = a.size() > 2 ? a[2] : "probe";
    const ssize_t n = write(fd, data.data(), data.size());
    const int error = errno;
    close(fd);
    errno = error;
    return Check(action, n);
  }
  if (action == "append-bytes") {  // PATH COUNT: grow a file (scratch size caps)
    const int fd = open(arg(1), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return Check(action, -1);
    std::vector<char> block(1 << 16, 'x');
    long long left = std::atoll(arg(2));
    while (left > 0) {
      const ssize_t n = write(fd, block.data(), std::min<long long>(left, block.size()));
      if (n < 0) {
        const int error = errno;
        close(fd);
        errno = error;
        return Check(action, -1);
      }
      left -= n;
    }
    close(fd);
    return Result(action, true, 0);
  }
  if (action == "read-file") {
    const int fd = open(arg(1), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Check(action, -1);
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    const int error = errno;
    close(fd);
    errno = error;
    return Check(action, n, n >= 0 ? Quoted(std::string(buffer, static_cast<size_t>(n))) : "null");
  }
  if (action == "stat") {
    struct stat st {};
    return Check(action, stat(arg(1), &st));
  }
  if (action == "mkdir") return Check(action, mkdir(arg(1), 0755));
  if (action == "unlink") return Check(action, unlink(arg(1)));
  if (action == "list-dir") {
    DIR* dir = opendir(arg(1));
    if (!dir) return Check(action, -1);
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    std::string list = "[";
    for (const std::string& name : names) list += (list.size() > 1 ? "," : "") + Quoted(name);
    return Result(action, true, 0, list + "]");
  }
  if (action == "mkfifo") return Check(action, mkfifo(arg(1), 0644));
  if (action == "unix-bind") {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Check(action, -1);
    struct sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", arg(1));
    const int rc = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    const int error = errno;
    close(fd);
    errno = error;
    return Check(action, rc);
  }
  if (action == "syscall") {
    auto it = Syscalls().find(arg(1));
    if (it == Syscalls().end()) return Result(action, false, EINVAL, Quoted("unknown syscall"));
    long args[6] = {};
    for (size_t i = 0; i < 6 && i + 2 < a.size(); ++i) args[i] = Number(a[i + 2].c_str());
    const long rc = syscall(it->second, args[0], args[1], args[2], args[3], args[4], args[5]);
    return Check(action + " " + a[1], rc, std::to_string(rc));
  }
  if (action == "syscall-nr") {  // NUMBER ARGS...: numbers newer than the name tables
    long args[6] = {};
    for (size_t i = 0; i < 6 && i + 2 < a.size(); ++i) args[i] = Number(a[i + 2].c_str());
    const long rc = syscall(Number(arg(1)), args[0], args[1], args[2], args[3], args[4], args[5]);
    return Check(action + " " + a[1], rc, std::to_string(rc));
  }
  if (action == "socket") {
    const int fd = socket(Family(arg(1)), Type(a.size() > 2 ? a[2] : "SOCK_STREAM"), 0);
    if (fd >= 0) close(fd);
    return Check(action, fd);
  }
  if (action == "tcp-connect") {  // ADDRESS PORT (IPv4 or IPv6)
    const int fd = Connect(SOCK_STREAM, arg(1), arg(2));
    if (fd < 0) return Check(action, -1);
    close(fd);
    return Result(action, true, 0);
  }
  if (action == "tcp-bind") {  // PORT [ADDRESS]
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Check(action, -1);
    struct sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(Number(arg(1))));
    inet_pton(AF_INET, a.size() > 2 ? arg(2) : "127.0.0.1", &address.sin_addr);
    const int rc = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    const int error = errno;
    close(fd);
    errno = error;
    return Check(action, rc);
  }
  if (action == "udp-bind") {  // PORT [ADDRESS]
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Check(action, -1);
    struct sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(Number(arg(1))));
    inet_pton(AF_INET, a.size() > 2 ? arg(2) : "127.0.0.1", &address.sin_addr);
    const int rc = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    const int error = errno;
    close(fd);
    errno = error;
    return Check(action, rc);
  }
  if (action == "truncate") return Check(action, truncate(arg(1), 0));
  if (action == "rename") return Check(action, rename(arg(1), arg(2)));
  if (action == "chmod") {
    return Check(action, chmod(arg(1), static_cast<mode_t>(Number(arg(2)))));
  }
  if (action == "open-files") {  // N: open /dev/null until N are open, or until it fails
    const long want = Number(arg(1));
    long opened = 0;
    int error = 0;
    std::vector<int> fds;
    for (long i = 0; i < want; ++i) {
      const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        error = errno;
        break;
      }
      fds.push_back(fd);
      ++opened;
    }
    for (int fd : fds) close(fd);
    return Result(action, opened == want, error, std::to_string(opened));
  }
  if (action == "mlock") {  // BYTES: lock that much anonymous memory
    const size_t bytes = static_cast<size_t>(std::atoll(arg(1)));
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return Check(action, -1);
    const int rc = mlock(memory, bytes);
    const int error = errno;
    munmap(memory, bytes);
    errno = error;
    return Check(action, rc);
  }
  if (action == "stack") {  // BYTES: use that much stack (a stack limit kills it with SIGSEGV)
    const size_t bytes = static_cast<size_t>(std::atoll(arg(1)));
    struct Recurse {
      static size_t Down(size_t left) {
        volatile char frame[16384];
        frame[0] = static_cast<char>(left);
        if (left <= sizeof(frame)) return frame[0];
        return Down(left - sizeof(frame)) + frame[0];
      }
    };
    const size_t sum = Recurse::Down(bytes);
    return Result(action, true, 0, std::to_string(sum & 1));
  }
  if (action == "spin-cpu") {  // MILLISECONDS of CPU time to use; gives up after 60 s of wall time
    const double want = std::atof(arg(1)) / 1000;
    struct timespec start {};
    clock_gettime(CLOCK_MONOTONIC, &start);
    volatile unsigned long counter = 0;
    double cpu = 0;
    while (true) {
      for (int i = 0; i < 100000; ++i) counter = counter + 1;
      struct timespec used {
      }, now{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
      clock_gettime(CLOCK_MONOTONIC, &now);
      cpu = used.tv_sec + used.tv_nsec / 1e9;
      if (cpu >= want || now.tv_sec - start.tv_sec > 60) break;
    }
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.3f", cpu);
    return Result(action, cpu >= want, ETIMEDOUT, buffer);
  }
  if (action == "interfaces") {
    FILE* f = std::fopen("/proc/net/dev", "r");
    if (!f) return Check(action, -1);
    std::string names = "[";
    char line[512];
    int n = 0;
    while (std::fgets(line, sizeof(line), f)) {
      if (++n <= 2) continue;
      std::string l(line);
      const size_t colon = l.find(':');
      std::string name = l.substr(0, colon);
      name.erase(0, name.find_first_not_of(' '));
      names += (names.size() > 1 ? "," : "") + Quoted(name);
    }
    std::fclose(f);
    return Result(action, true, 0, names + "]");
  }
  if (action == "shm-new" || action == "msg-new" || action == "sem-new") {
    // [N]: create N objects (each semaphore set with one semaphore); value: how many were made.
    const long want = a.size() > 1 ? Number(arg(1)) : 1;
    long made = 0;
    int error = 0;
    for (long i = 0; i < want; ++i) {
      const int id = action == "shm-new"   ? shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)
                     : action == "msg-new" ? msgget(IPC_PRIVATE, IPC_CREAT | 0600)
                                           : semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
      if (id < 0) {
        error = errno;
        break;
      }
      ++made;
    }
    return Result(action, made == want, error, std::to_string(made));
  }
  if (action == "shm-key") {  // KEY: a well-known key, to see whether the host's objects show
    return Check(action, shmget(static_cast<key_t>(Number(arg(1))), 0, 0));
  }
  if (action == "hostname") {
    struct utsname name {};
    uname(&name);
    return Result(action, true, 0, Quoted(name.nodename));
  }
  if (action == "sethostname") return Check(action, sethostname(arg(1), std::strlen(arg(1))));
  if (action == "ids") {
    gid_t groups[64];
    const int count = getgroups(64, groups);
    std::string list = "[";
    for (int i = 0; i < count; ++i) list += (i ? "," : "") + std::to_string(groups[i]);
    return Result(action, true, 0,
                  "{\"uid\":" + std::to_string(getuid()) + ",\"euid\":" +
                      std::to_string(geteuid()) + ",\"gid\":" + std::to_string(getgid()) +
                      ",\"groups\":" + list + "],\"pid\":" + std::to_string(getpid()) +
                      ",\"sid\":" + std::to_string(getsid(0)) + "}");
  }
  if (action == "caps") {
    return Result(action, true, 0,
                  "{\"effective\":" + CapabilityLine("CapEff:") + ",\"permitted\":" +
                      CapabilityLine("CapPrm:") + ",\"bounding\":" + CapabilityLine("CapBnd:") +
                      ",\"ambient\":" + CapabilityLine("CapAmb:") +
                      ",\"no_new_privs\":" + CapabilityLine("NoNewPrivs:") +
                      ",\"seccomp\":" + CapabilityLine("Seccomp:") + "}");
  }
  if (action == "env") {
    std::string list = "[";
    for (char** e = environ; *e; ++e) list += (list.size() > 1 ? "," : "") + Quoted(*e);
    return Result(action, true, 0, list + "]");
  }
  if (action == "fds") {
    std::string list = "[";
    for (int fd = 0; fd < 1024; ++fd) {
      if (fcntl(fd, F_GETFD) >= 0) list += (list.size() > 1 ? "," : "") + std::to_string(fd);
    }
    return Result(action, true, 0, list + "]");
  }
  if (action == "cwd") {
    char buffer[4096] = {};
    const bool ok = getcwd(buffer, sizeof(buffer)) != nullptr;
    return Check(action, ok ? 0 : -1, Quoted(buffer));
  }
  if (action == "fork") {  // N: fork N children that sleep, report how many succeeded
    const long want = Number(arg(1));
    long made = 0;
    int error = 0;
    std::vector<pid_t> children;
    for (long i = 0; i < want; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        pause();
        _exit(0);
      }
      if (pid < 0) {
        error = errno;
        break;
      }
      children.push_back(pid);
      ++made;
    }
    for (pid_t pid : children) kill(pid, SIGKILL);
    for (pid_t pid : children) waitpid(pid, nullptr, 0);
    return Result(action, made == want, error, std::to_string(made));
  }
  if (action == "threads") {  // N
    const long want = Number(arg(1));
    std::vector<std::thread> threads;
    long made = 0;
    try {
      for (long i = 0; i < want; ++i) {
        threads.emplace_back([] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); });
        ++made;
      }
    } catch (const std::system_error& e) {
      for (auto& t : threads) t.join();
      return Result(action, false, e.code().value(), std::to_string(made));
    }
    for (auto& t : threads) t.join();
    return Result(action, true, 0, std::to_string(made));
  }
  if (action == "alloc") {  // BYTES: allocate and touch
    const size_t bytes = static_cast<size_t>(std::atoll(arg(1)));
    char* memory = static_cast<char*>(
        mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (memory == MAP_FAILED) return Check(action, -1);
    for (size_t i = 0; i < bytes; i += 4096) memory[i] = 1;
    return Result(action, true, 0, std::to_string(bytes));
  }
  if (action == "spin") {  // SECONDS of wall time: report CPU seconds used
    struct timespec start {
    }, now{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    const double seconds = std::atof(arg(1));
    volatile unsigned long counter = 0;
    do {
      for (int i = 0; i < 1000000; ++i) counter = counter + 1;
      clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
                       usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.3f", cpu);
    return Result(action, true, 0, buffer);
  }
  if (action == "sleep") {
    ::sleep(static_cast<unsigned>(Number(arg(1))));
    return Result(action, true, 0);
  }
  if (action == "kill")
    return Check(action,
                 kill(static_cast<pid_t>(Number(arg(1))), static_cast<int>(Number(arg(2)))));
  if (action == "tiocsti") {  // FD: inject a character into the terminal on FD
    char c = 'x';
    return Check(action, ioctl(static_cast<int>(Number(arg(1))), TIOCSTI, &c));
  }
  if (action == "unshare") {  // FLAGS (number)
    return Check(action, unshare(static_cast<int>(Number(arg(1)))));
  }
  if (action == "exec") {  // PATH ARGS...
    std::vector<char*> argv;
    for (size_t i = 1; i < a.size(); ++i) argv.push_back(const_cast<char*>(a[i].c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    return Check(action, -1);
  }
  if (action == "rlimit") {  // RESOURCE-NAME
    static const std::map<std::string, int> kResources = {
        {"nofile", RLIMIT_NOFILE},  {"core", RLIMIT_CORE}, {"as", RLIMIT_AS},
        {"cpu", RLIMIT_CPU},        {"data", RLIMIT_DATA}, {"stack", RLIMIT_STACK},
        {"memlock", RLIMIT_MEMLOCK}};
    auto it = kResources.find(arg(1));
    if (it == kResources.end()) return Result(action, false, EINVAL);
    struct rlimit value {};
    getrlimit(it->second, &value);
    return Result(action, true, 0,
                  "{\"soft\":" + std::to_string(value.rlim_cur) +
                      ",\"hard\":" + std::to_string(value.rlim_max) + "}");
  }
  if (int status = NetworkAction(a); status >= 0) return status;
  return Result(action, false, EINVAL, Quoted("unknown action"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: probe ACTION [ARGS...]\n");
    return 2;
  }
  // "probe A ARGS --then B ARGS ...": one result line per action, in order, in one process (to
  // show that something still holds after an earlier action); the status is the last one's.
  std::vector<std::string> action;
  int status = 0;
  for (int i = 1; i <= argc; ++i) {
    if (i == argc || std::strcmp(argv[i], "--then") == 0) {
      if (!action.empty()) status = Run(action);
      action.clear();
    } else {
      action.emplace_back(argv[i]);
    }
  }
  return status;
}
