// SPDX-License-Identifier: BSD-2-Clause
// Real enforcement of 'network: vnet' (docs/linux-sim.md, "Network"): the probe sees its veth
// with the policy's addresses and default route, reaches a TCP and a UDP server this test runs
// on the host end at allowed ports, is refused at once elsewhere, cannot change the rules, and
// nothing of the run stays on the host. Tests use only loopback and the links stockade creates
// for them; their servers bind the gateway address before it exists (IP_FREEBIND).

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/planner.h"
#include "stockade/policy/check.h"
#include "stockade/policy/render.h"
#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

std::string Describe(const ProbeRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out + "\nstderr: " + run.err;
}

// Every JSON line the probe printed (one per action of a "--then" chain).
std::vector<nlohmann::json> Lines(const ProbeRun& run) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(run.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    lines.push_back(nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false));
  }
  return lines;
}

// The host's index of the sandbox's veth peer, from the probe's "links" line.
int HostIndexOf(const nlohmann::json& links) {
  for (const auto& link : links["value"]) {
    if (link["name"] == "eth0") return link["peer"].get<int>();
  }
  return 0;
}

bool HostHasLink(int index) {
  char name[IF_NAMESIZE];
  return index > 0 && if_indextoname(static_cast<unsigned>(index), name) != nullptr;
}

// The kernel deletes the pair with the sandbox's network namespace, asynchronously, a moment
// after the sandbox is gone: waits (up to 20 s on a loaded host) for the host end to go.
bool HostLinkGoes(int index) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (!HostHasLink(index)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool HostHasAddress(const std::string& address) {
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return false;
  bool found = false;
  for (ifaddrs* i = all; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof(text));
    found = address == text;
  }
  freeifaddrs(all);
  return found;
}

// Sandboxes of these tests share the host's routing table: one at a time, machine-wide, so
// that two test processes never put the same prefix on two host ends.
class VnetLock {
 public:
  VnetLock() {
    fd_ = open("/tmp/stockade-vnet-tests.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~VnetLock() {
    if (fd_ >= 0) close(fd_);
  }

 private:
  int fd_ = -1;
};

// TCP and UDP servers on the gateway address: TCP answers "pong" to whatever a connection
// sends, UDP answers "pong" to every datagram; both count what they got per port.
class HostServer {
 public:
  explicit HostServer(std::string address) : address_(std::move(address)) {
    if (pipe2(stop_, O_CLOEXEC) != 0) stop_[0] = stop_[1] = -1;
  }
  ~HostServer() {
    if (thread_.joinable()) {
      (void)!write(stop_[1], "x", 1);
      thread_.join();
    }
    for (const auto& [fd, port] : sockets_) close(fd);
    close(stop_[0]);
    close(stop_[1]);
  }

  // Binds a socket of `type` on an ephemeral port; returns the port (0 on failure).
  int Listen(int type) {
    const bool v6 = address_.find(':') != std::string::npos;
    const int fd = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int on = 1;
    // The address only appears on the host end when stockade creates it.
    setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND, &on, sizeof(on));
    sockaddr_storage storage{};
    socklen_t length;
    if (v6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
      in6->sin6_family = AF_INET6;
      inet_pton(AF_INET6, address_.c_str(), &in6->sin6_addr);
      length = sizeof(*in6);
    } else {
      auto* in = reinterpret_cast<sockaddr_in*>(&storage);
      in->sin_family = AF_INET;
      inet_pton(AF_INET, address_.c_str(), &in->sin_addr);
      length = sizeof(*in);
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
        (type == SOCK_STREAM && listen(fd, 16) != 0) ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
      close(fd);
      return 0;
    }
    const int port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                              : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    sockets_.push_back({fd, port});
    types_[fd] = type;
    return port;
  }

  void Start() {
    thread_ = std::thread([this] { Serve(); });
  }

  int Count(int port) {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_[port];
  }

 private:
  void Serve() {
    while (true) {
      std::vector<pollfd> fds;
      fds.push_back({stop_[0], POLLIN, 0});
      for (const auto& [fd, port] : sockets_) fds.push_back({fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), -1) < 0) return;
      if (fds[0].revents) return;
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        const auto [fd, port] = sockets_[i - 1];
        char buffer[64];
        if (types_[fd] == SOCK_STREAM) {
          const int connection = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
          if (connection < 0) continue;
          Bump(port);
          struct timeval timeout {
            2, 0
          };
          setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
          if (recv(connection, buffer, sizeof(buffer), 0) > 0) {
            (void)!send(connection, "pong", 4, MSG_NOSIGNAL);
          }
          close(connection);
        } else {
          sockaddr_storage from{};
          socklen_t length = sizeof(from);
          if (recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from),
                       &length) <= 0) {
            continue;
          }
          Bump(port);
          sendto(fd, "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), length);
        }
      }
    }
  }
  void Bump(int port) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_[port];
  }

  std::string address_;
  int stop_[2];
  std::vector<std::pair<int, int>> sockets_;  // (fd, port)
  std::map<int, int> types_;
  std::mutex mutex_;
  std::map<int, int> counts_;
  std::thread thread_;
};

class VnetTest : public ::testing::Test {
 protected:
  void SetUp() override { STOCKADE_REQUIRE_SANDBOX(); }

  ProbeRun Run(const std::string& policy, std::vector<std::string> command,
               std::vector<std::string> stockade_args = {}) {
    RunSpec spec;
    spec.policy = policy;
    spec.command = std::move(command);
    spec.stockade_args = std::move(stockade_args);
    return RunSandboxed(dir_, spec);
  }

  // A vnet section on 198.18.N.0/24 (RFC 2544's benchmarking range) and fd18:N::/64.
  static std::string Vnet(int n, const std::string& egress) {
    const std::string net = std::to_string(n);
    return "network:\n  mode: vnet\n  addresses: [198.18." + net + ".2/24, fd18:" + net +
           "::2/64]\n  gateway: 198.18." + net +
           ".1\n  egress:" + (egress.empty() ? " []\n" : "\n" + egress);
  }
  static std::string Rule(const std::string& to, const std::string& proto, int port) {
    return "    - {to: " + to + ", proto: " + proto + ", port: " + std::to_string(port) + "}\n";
  }

  // Not root: user-namespace mode cannot create the host end. Every vnet test then proves the
  // documented refusal instead (the mode's behaviour, not a skip).
  bool ExpectRefusedUnlessRoot(const std::string& policy) {
    if (geteuid() == 0) return false;
    ProbeRun run = Run(policy, {"probe", "ok"});
    EXPECT_EQ(run.exit_code, 125) << Describe(run);
    EXPECT_NE(run.err.find("'mode: vnet' needs root"), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    return true;
  }

  TempDir dir_;
};

TEST_F(VnetTest, VnetGivesThePolicysAddressesAndDefaultRoute) {
  const std::string policy = Vnet(10, "");
  if (ExpectRefusedUnlessRoot(policy)) return;
  VnetLock lock;
  ProbeRun run = Run(policy, {"probe", "links", "--then", "addresses", "--then", "default-routes",
                              "--then", "interfaces"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  const auto lines = Lines(run);
  ASSERT_EQ(lines.size(), 4u) << run.out;
  const nlohmann::json links = lines[0]["value"];
  ASSERT_EQ(links.size(), 2u) << links;
  EXPECT_EQ(links[0]["name"], "lo");
  EXPECT_EQ(links[1]["name"], "eth0");
  EXPECT_TRUE(links[1]["up"].get<bool>());
  // Exactly the policy's addresses: no IPv6 link-local address on eth0.
  EXPECT_EQ(lines[1]["value"], nlohmann::json::parse(R"(["eth0 198.18.10.2/24",
      "eth0 fd18:10::2/64", "lo 127.0.0.1/8", "lo ::1/128"])"));
  // The gateway is IPv4: IPv6 has no default route, as on FreeBSD.
  EXPECT_EQ(lines[2]["value"], nlohmann::json::parse(R"(["198.18.10.1 eth0"])"));
  EXPECT_EQ(lines[3]["value"], nlohmann::json::parse(R"(["lo", "eth0"])"));
  // When stockade returns, the host end's address (and its route) is gone; the pair follows with
  // the sandbox's namespace.
  EXPECT_FALSE(HostHasAddress("198.18.10.1")) << "the gateway address outlived the run";
  const int host_index = HostIndexOf(lines[0]);
  EXPECT_GT(host_index, 0);
  EXPECT_TRUE(HostLinkGoes(host_index)) << "link " << host_index << " is still on the host";
}

TEST_F(VnetTest, AllowedPortsReachTheHostAndEverythingElseIsRefusedAtOnce) {
  if (ExpectRefusedUnlessRoot(Vnet(11, ""))) return;
  VnetLock lock;
  HostServer server("198.18.11.1");
  const int tcp_allowed = server.Listen(SOCK_STREAM);
  const int tcp_other = server.Listen(SOCK_STREAM);
  const int udp_allowed = server.Listen(SOCK_DGRAM);
  const int udp_other = server.Listen(SOCK_DGRAM);
  ASSERT_TRUE(tcp_allowed && tcp_other && udp_allowed && udp_other);
  server.Start();
  const std::string gateway = "198.18.11.1";
  const std::string policy = Vnet(
      11, Rule("198.18.11.1/32", "tcp", tcp_allowed) + Rule("198.18.11.1/32", "udp", udp_allowed));
  ProbeRun run =
      Run(policy, {"probe",        "tcp-echo",     gateway,       std::to_string(tcp_allowed),
                   "--then",       "udp-echo",     gateway,       std::to_string(udp_allowed),
                   "--then",       "tcp-connect",  gateway,       std::to_string(tcp_other),
                   "--then",       "tcp-connect",  "198.18.11.9", std::to_string(tcp_allowed),
                   "--then",       "tcp-connect",  "192.0.2.1",   std::to_string(tcp_allowed),
                   "--then",       "udp-send",     gateway,       std::to_string(udp_other),
                   "--then",       "udp-send",     gateway,       "53",
                   "--then",       "tcp-connect",  "fd18:11::1",  std::to_string(tcp_allowed),
                   "--then",       "tcp-loopback", "127.0.0.1",   "--then",
                   "tcp-loopback", "198.18.11.2"});
  const auto lines = Lines(run);
  ASSERT_EQ(lines.size(), 10u) << Describe(run);
  // The allowed TCP and UDP servers answer: the replies come back in.
  EXPECT_EQ(lines[0]["value"], "pong") << lines[0];
  EXPECT_EQ(lines[1]["value"], "pong") << lines[1];
  // A listening port the rules do not allow: reset by the sandbox's own rules, never reached.
  EXPECT_EQ(lines[2]["error"], "ECONNREFUSED") << lines[2];
  EXPECT_EQ(server.Count(tcp_other), 0);
  // Another address on the link, an address beyond the gateway, IPv6: refused the same way.
  EXPECT_EQ(lines[3]["error"], "ECONNREFUSED") << lines[3];
  EXPECT_EQ(lines[4]["error"], "ECONNREFUSED") << lines[4];
  // UDP elsewhere, DNS included (not allowed here): the send itself fails.
  EXPECT_EQ(lines[5]["error"], "EPERM") << lines[5];
  EXPECT_EQ(server.Count(udp_other), 0);
  EXPECT_EQ(lines[6]["error"], "EPERM") << lines[6];
  EXPECT_EQ(lines[7]["error"], "ECONNREFUSED") << lines[7];
  // Loopback, and the sandbox's own address, are not egress.
  EXPECT_TRUE(lines[8]["ok"].get<bool>()) << lines[8];
  EXPECT_TRUE(lines[9]["ok"].get<bool>()) << lines[9];
  EXPECT_EQ(server.Count(tcp_allowed), 1);
  EXPECT_EQ(server.Count(udp_allowed), 1);
}

TEST_F(VnetTest, Ipv6OnlyWithTheDefaultGateway) {
  // No 'gateway:': the host end gets fd18:12::1, the first free host of the prefix.
  const std::string base = "network:\n  mode: vnet\n  addresses: [\"fd18:12::2/64\"]\n  egress:\n";
  if (ExpectRefusedUnlessRoot(base + "    []\n")) return;
  VnetLock lock;
  HostServer server("fd18:12::1");
  const int allowed = server.Listen(SOCK_STREAM);
  const int other = server.Listen(SOCK_STREAM);
  ASSERT_TRUE(allowed && other);
  server.Start();
  ProbeRun run = Run(base + Rule("\"fd18:12::/64\"", "tcp", allowed),
                     {"probe", "default-routes", "--then", "tcp-echo", "fd18:12::1",
                      std::to_string(allowed), "--then", "tcp-connect", "fd18:12::1",
                      std::to_string(other), "--then", "udp-send", "fd18:12::1", "53"});
  const auto lines = Lines(run);
  ASSERT_EQ(lines.size(), 4u) << Describe(run);
  EXPECT_EQ(lines[0]["value"], nlohmann::json::parse(R"(["fd18:12::1 eth0"])"));
  // Neighbour discovery passes (the gateway is found), the allowed port answers at once: the
  // address is usable without duplicate address detection.
  EXPECT_EQ(lines[1]["value"], "pong") << lines[1];
  EXPECT_EQ(lines[2]["error"], "ECONNREFUSED") << lines[2];
  EXPECT_EQ(lines[3]["error"], "EPERM") << lines[3];
  EXPECT_EQ(server.Count(other), 0);
}

TEST_F(VnetTest, RawSocketsPassTheRulesToo) {
  // Raw IP sockets go through the same output hook: only the neighbour discovery that stays on
  // the link leaves, nothing else the rules do not allow.
  const std::string policy =
      "network:\n  mode: vnet\n  addresses: [\"fd18:19::2/64\"]\n  egress: []\n"
      "exec:\n  user: \"0\"\njail:\n  allow.raw_sockets: true\n";
  if (ExpectRefusedUnlessRoot(policy)) return;
  VnetLock lock;
  ProbeRun run =
      Run(policy, {"probe",  "icmpv6-send", "135",    "ff02::1:ff00:1", "--then", "icmpv6-send",
                   "135",    "fd18:19::1",  "--then", "icmpv6-send",    "135",    "2001:db8::1",
                   "--then", "icmpv6-send", "136",    "2001:db8::1",    "--then", "icmpv6-send",
                   "128",    "fd18:19::1"});
  const auto lines = Lines(run);
  ASSERT_EQ(lines.size(), 5u) << Describe(run);
  EXPECT_TRUE(lines[0]["ok"].get<bool>()) << lines[0];  // solicited-node multicast
  EXPECT_TRUE(lines[1]["ok"].get<bool>()) << lines[1];  // a neighbour on the prefix
  EXPECT_EQ(lines[2]["error"], "EPERM") << lines[2];    // "discovery" beyond the link
  EXPECT_EQ(lines[3]["error"], "EPERM") << lines[3];
  EXPECT_EQ(lines[4]["error"], "EPERM") << lines[4];  // an echo request: no egress rule
}

TEST_F(VnetTest, EmptyEgressLetsOnlyRepliesOut) {
  const std::string policy = Vnet(13, "");
  if (ExpectRefusedUnlessRoot(policy)) return;
  VnetLock lock;
  HostServer server("198.18.13.1");
  const int port = server.Listen(SOCK_STREAM);
  ASSERT_TRUE(port);
  server.Start();
  // The host connects in (the probe serves one connection): the probe's answers are replies.
  const int serve_port = 7000 + static_cast<int>(getpid() % 1000);
  std::atomic<bool> answered{false};
  std::thread client([&] {
    for (int attempt = 0; attempt < 400 && !answered; ++attempt) {
      // Only once the host end carries the gateway, so that the connection can only take the
      // veth (before, the host's default route would carry it off the machine).
      if (!HostHasAddress("198.18.13.1")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(static_cast<uint16_t>(serve_port));
      inet_pton(AF_INET, "198.18.13.2", &to.sin_addr);
      struct timeval timeout {
        2, 0
      };
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
      char buffer[8] = {};
      if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0 &&
          send(fd, "ping", 4, MSG_NOSIGNAL) == 4 && recv(fd, buffer, sizeof(buffer), 0) == 4 &&
          std::string(buffer) == "pong") {
        answered = true;
      }
      close(fd);
      if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  ProbeRun run = Run(policy, {"probe", "tcp-connect", "198.18.13.1", std::to_string(port), "--then",
                              "tcp-serve", std::to_string(serve_port)});
  client.join();
  const auto lines = Lines(run);
  ASSERT_EQ(lines.size(), 2u) << Describe(run);
  EXPECT_EQ(lines[0]["error"], "ECONNREFUSED") << lines[0];
  EXPECT_EQ(server.Count(port), 0);
  EXPECT_TRUE(lines[1]["ok"].get<bool>()) << lines[1];
  EXPECT_TRUE(answered);
}

TEST_F(VnetTest, RootInTheSandboxCannotChangeTheRules) {
  // uid 0 with the capabilities jailed root has plus raw sockets, and nested namespaces: still
  // no CAP_NET_ADMIN in the sandbox's namespace, which belongs to the host's user namespace.
  const std::string extra =
      "exec:\n  user: \"0\"\njail:\n  allow.raw_sockets: true\n  children.max: 1\n"
      "accept_approximate:\n  - {clause: children.max, backend: linux, justification: test}\n";
  if (ExpectRefusedUnlessRoot(Vnet(14, "") + extra)) return;
  VnetLock lock;
  HostServer server("198.18.14.1");
  const int allowed = server.Listen(SOCK_STREAM);
  const int other = server.Listen(SOCK_STREAM);
  ASSERT_TRUE(allowed && other);
  server.Start();
  const std::string policy = Vnet(14, Rule("198.18.14.1/32", "tcp", allowed)) + extra;
  ProbeRun run = Run(policy, {"probe",
                              "nft-flush",
                              "--then",
                              "link-down",
                              "eth0",
                              "--then",
                              "socket",
                              "AF_PACKET",
                              "SOCK_RAW",
                              "--then",
                              "tcp-connect",
                              "198.18.14.1",
                              std::to_string(other),
                              "--then",
                              "unshare",
                              std::to_string(CLONE_NEWUSER | CLONE_NEWNET),
                              "--then",
                              "nft-flush",
                              "--then",
                              "tcp-connect",
                              "198.18.14.1",
                              std::to_string(other),
                              "--then",
                              "tcp-echo",
                              "198.18.14.1",
                              std::to_string(allowed)});
  const auto lines = Lines(run);
  ASSERT_EQ(lines.size(), 8u) << Describe(run);
  EXPECT_EQ(lines[0]["error"], "EPERM") << lines[0];
  EXPECT_EQ(lines[1]["error"], "EPERM") << lines[1];
  EXPECT_EQ(lines[2]["error"], "EAFNOSUPPORT") << lines[2];  // no packet sockets
  EXPECT_EQ(lines[3]["error"], "ECONNREFUSED") << lines[3];  // the rules still hold
  // A new user namespace gives every capability, over namespaces it owns only; the flush then
  // acts on the new, empty network namespace, not the sandbox's.
  EXPECT_TRUE(lines[4]["ok"].get<bool>()) << lines[4];
  EXPECT_TRUE(lines[5]["ok"].get<bool>()) << lines[5];
  EXPECT_EQ(lines[6]["error"], "ENETUNREACH") << lines[6];
  EXPECT_EQ(server.Count(other), 0);
  // Nothing the program did reached the sandbox's rules: a fresh run still gets through and
  // still gets refused.
  ProbeRun again = Run(policy, {"probe", "tcp-echo", "198.18.14.1", std::to_string(allowed),
                                "--then", "tcp-connect", "198.18.14.1", std::to_string(other)});
  const auto again_lines = Lines(again);
  ASSERT_EQ(again_lines.size(), 2u) << Describe(again);
  EXPECT_EQ(again_lines[0]["value"], "pong");
  EXPECT_EQ(again_lines[1]["error"], "ECONNREFUSED");
}

TEST_F(VnetTest, RoutingGrantDefeatsTheRulesSoItIsRefused) {
  const std::string base =
      Vnet(15, Rule("198.18.15.1/32", "tcp", 9)) +
      "exec:\n  user: \"0\"\njail:\n  allow.routing: true\naccept_approximate:\n"
      "  - {clause: allow.routing, backend: linux, justification: test}\n";
  if (ExpectRefusedUnlessRoot(base)) return;
  VnetLock lock;
  ProbeRun refused = Run(base, {"probe", "ok"});
  EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
  EXPECT_NE(refused.err.find("error[not-enforced]: 'network.egress' is not enforced by linux-sim: "
                             "allow.routing gives the program CAP_NET_ADMIN"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(refused.out.empty());
  HostServer server("198.18.15.1");
  const int port = server.Listen(SOCK_STREAM);
  ASSERT_TRUE(port);
  server.Start();
  const std::string secure = Vnet(15, "") +
                             "exec:\n  user: \"0\"\njail:\n  allow.routing: true\n"
                             "  securelevel: 3\naccept_approximate:\n"
                             "  - {clause: allow.routing, backend: linux, justification: test}\n"
                             "  - {clause: securelevel, backend: linux, justification: test}\n";
  // Securelevel 3 takes CAP_NET_ADMIN away again: then the rules hold.
  ProbeRun held = Run(
      secure, {"probe", "nft-flush", "--then", "tcp-connect", "198.18.15.1", std::to_string(port)});
  const auto held_lines = Lines(held);
  ASSERT_EQ(held_lines.size(), 2u) << Describe(held);
  EXPECT_EQ(held_lines[0]["error"], "EPERM");
  EXPECT_EQ(held_lines[1]["error"], "ECONNREFUSED");
  // Accepted as not enforced, it runs and the program really can flush the rules: what the
  // refusal protects against.
  ProbeRun accepted = Run(
      Vnet(15, "") +
          "exec:\n  user: \"0\"\njail:\n  allow.routing: true\n"
          "accept_approximate:\n"
          "  - {clause: allow.routing, backend: linux, justification: test}\n"
          "  - {clause: network, backend: linux, fidelity: not-enforced, justification: test}\n",
      {"probe", "tcp-connect", "198.18.15.1", std::to_string(port), "--then", "nft-flush", "--then",
       "tcp-connect", "198.18.15.1", std::to_string(port)});
  const auto accepted_lines = Lines(accepted);
  ASSERT_EQ(accepted_lines.size(), 3u) << Describe(accepted);
  EXPECT_EQ(accepted_lines[0]["error"], "ECONNREFUSED");
  EXPECT_TRUE(accepted_lines[1]["ok"].get<bool>());
  EXPECT_TRUE(accepted_lines[2]["ok"].get<bool>());
  EXPECT_EQ(server.Count(port), 1);
}

// A process of the network namespace whose inode is `inode`, or 0.
pid_t ProcessInNamespace(unsigned long inode) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (stat((entry.path() / "ns" / "net").c_str(), &st) == 0 && st.st_ino == inode) {
      return static_cast<pid_t>(std::stol(name));
    }
  }
  return 0;
}

// stockade started with the probe's arguments, its stdout readable line by line; killed (and
// reaped) on destruction.
class Background {
 public:
  Background(const std::filesystem::path& policy, const std::vector<std::string>& probe) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv = {StockadePath(), "run", policy.string(), "--", "/probe/probe"};
    argv.insert(argv.end(), probe.begin(), probe.end());
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      std::vector<char*> raw;
      for (std::string& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(98);
    }
    close(out[1]);
    out_ = out[0];
  }
  ~Background() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }
  std::string ReadLine() {
    std::string line;
    char c;
    while (read(out_, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

std::filesystem::path WritePolicy(const TempDir& dir, const std::string& name,
                                  const std::string& body) {
  return dir.Write(name + ".yaml", "version: 1\nname: " + name + "\n" + body +
                                       "filesystem:\n  mounts:\n    - {source: " +
                                       std::filesystem::path(ProbePath()).parent_path().string() +
                                       ", target: /probe}\n");
}

TEST_F(VnetTest, TheKernelHoldsExactlyThePlannedRules) {
  const std::string body =
      Vnet(18, Rule("198.18.18.1/32", "udp", 53) + Rule("10.0.0.0/8", "tcp", 443) +
                   "    - {to: 10.16.0.0/12, proto: tcp, ports: 8000-8100}\n" +
                   Rule("0.0.0.0/0", "tcp", 80) + Rule("\"::/0\"", "udp", 123) +
                   Rule("\"fc00::/7\"", "tcp", 22));
  if (ExpectRefusedUnlessRoot(body)) return;
  VnetLock lock;
  const std::filesystem::path file = WritePolicy(dir_, "rules", body);
  policy::SourceSet sources;
  policy::Diagnostics diags;
  auto checked = policy::CheckFile(file, sources, diags);
  ASSERT_TRUE(checked && checked->has_value()) << policy::RenderText(diags, sources, {});
  linux_sim::PlanOptions options;
  options.command = {"/probe/probe", "ok"};
  auto plan = linux_sim::PlanSandbox(**checked, sources, linux_sim::ProbeHost(), options);
  ASSERT_TRUE(plan) << plan.error().message();
  const std::string expected =
      "table inet stockade {\n"
      "\tchain egress {\n"
      "\t\ttype filter hook output priority filter; policy drop;\n"
      "\t\toif \"lo\" accept\n"
      "\t\tct state established,related accept\n"
      "\t\tip6 daddr fe80::/10 icmpv6 type nd-neighbor-solicit accept\n"
      "\t\tip6 daddr fe80::/10 icmpv6 type nd-neighbor-advert accept\n"
      "\t\tip6 daddr ff02::/16 icmpv6 type nd-neighbor-solicit accept\n"
      "\t\tip6 daddr ff02::/16 icmpv6 type nd-neighbor-advert accept\n"
      "\t\tip6 daddr fd18:18::/64 icmpv6 type nd-neighbor-solicit accept\n"
      "\t\tip6 daddr fd18:18::/64 icmpv6 type nd-neighbor-advert accept\n"
      "\t\tip daddr 198.18.18.1 udp dport 53 accept\n"
      "\t\tip daddr 10.0.0.0/8 tcp dport 443 accept\n"
      "\t\tip daddr 10.16.0.0/12 tcp dport 8000-8100 accept\n"
      "\t\tmeta nfproto ipv4 tcp dport 80 accept\n"
      "\t\tmeta nfproto ipv6 udp dport 123 accept\n"
      "\t\tip6 daddr fc00::/7 tcp dport 22 accept\n"
      "\t\tmeta l4proto tcp reject with tcp reset\n"
      "\t}\n"
      "}\n";
  EXPECT_EQ(plan->network.nft_ruleset, expected);

  // What the kernel holds in the running sandbox's namespace, as nft(8) lists it from there.
  const std::string nft = linux_sim::ProbeHost().nft;
  ASSERT_FALSE(nft.empty()) << "nft(8) is needed to list the rules (scripts/deps.sh installs it)";
  Background run(file, {"netns", "--then", "sleep", "60"});
  const nlohmann::json line = nlohmann::json::parse(run.ReadLine(), nullptr, false);
  ASSERT_TRUE(line.is_object() && line["ok"].get<bool>()) << line;
  const pid_t inside = ProcessInNamespace(line["value"].get<unsigned long>());
  ASSERT_GT(inside, 0);
  ProgramResult listed =
      RunProgram({"/usr/bin/nsenter", "--net=/proc/" + std::to_string(inside) + "/ns/net", nft,
                  "list", "ruleset"},
                 "/");
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, expected);
}

// docs/linux-sim.md's example ruleset is what linux-sim plans for its example policy.
TEST_F(VnetTest, TheDocumentedRulesetIsThePlannedOne) {
  const std::string doc = ReadFile(SourceDir() / "docs" / "linux-sim.md");
  auto block = [&](const std::string& after, const std::string& fence) {
    const size_t at = doc.find(after);
    const size_t begin = doc.find(fence, at == std::string::npos ? 0 : at);
    const size_t end = doc.find("```\n", begin + fence.size());
    if (at == std::string::npos || begin == std::string::npos || end == std::string::npos) {
      return std::string();
    }
    return doc.substr(begin + fence.size(), end - begin - fence.size());
  };
  const std::string yaml = block("### What `mode: vnet` builds", "```yaml\n");
  const std::string ruleset = block("For the policy above:", "```\n");
  ASSERT_FALSE(yaml.empty() || ruleset.empty()) << "docs/linux-sim.md changed its layout";
  if (ExpectRefusedUnlessRoot(yaml)) return;
  const std::filesystem::path file = WritePolicy(dir_, "doc", yaml);
  policy::SourceSet sources;
  policy::Diagnostics diags;
  auto checked = policy::CheckFile(file, sources, diags);
  ASSERT_TRUE(checked && checked->has_value()) << policy::RenderText(diags, sources, {});
  linux_sim::PlanOptions options;
  options.command = {"/probe/probe", "ok"};
  auto plan = linux_sim::PlanSandbox(**checked, sources, linux_sim::ProbeHost(), options);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->network.nft_ruleset, ruleset);
}

// `stockade run` as uid 65534 from a root test (or directly when the test is not root).
ProgramResult RunAsNobody(const TempDir& dir, const std::string& policy) {
  const std::filesystem::path file =
      dir.Write("nobody.yaml", "version: 1\nname: nobody\n" + policy);
  chmod(dir.path().c_str(), 0755);
  chmod(file.c_str(), 0644);
  if (geteuid() != 0) return RunProgram({StockadePath(), "run", file.string(), "--", "/x"}, "/");
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(err[1], 2);
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(99);
    }
    const std::string stockade = StockadePath();
    execl(stockade.c_str(), stockade.c_str(), "run", file.c_str(), "--", "/x",
          static_cast<char*>(nullptr));
    _exit(98);
  }
  close(err[1]);
  ProgramResult result;
  char buffer[4096];
  ssize_t n;
  while ((n = read(err[0], buffer, sizeof(buffer))) > 0) {
    result.err.append(buffer, static_cast<size_t>(n));
  }
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TEST_F(VnetTest, UserNamespaceModeRefusesVnetEvenWhenAccepted) {
  const std::string policy = "network: {mode: vnet, addresses: [198.18.16.2/24]}\n";
  ProgramResult run = RunAsNobody(dir_, policy);
  EXPECT_EQ(run.exit_code, 125) << run.err;
  EXPECT_NE(run.err.find("error[not-enforced]: 'network' is not enforced by linux-sim: 'mode: "
                         "vnet' needs root"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("nothing to accept: linux-sim cannot set this clause up here"),
            std::string::npos)
      << run.err;
  ProgramResult accepted =
      RunAsNobody(dir_, policy +
                            "accept_approximate:\n  - {clause: network, backend: linux, "
                            "justification: test}\n");
  EXPECT_EQ(accepted.exit_code, 125) << accepted.err;
  EXPECT_NE(accepted.err.find("'mode: vnet' needs root"), std::string::npos) << accepted.err;
  // 'none' works in that mode.
  ProgramResult none = RunAsNobody(dir_, "network: {mode: none}\nexec:\n  command: [/x]\n");
  EXPECT_EQ(none.exit_code, 127) << none.err;  // it got as far as exec
}

TEST_F(VnetTest, NothingStaysOnTheHostWhenStockadeIsKilled) {
  const std::string policy = Vnet(17, "");
  if (ExpectRefusedUnlessRoot(policy)) return;
  VnetLock lock;
  // Killed by its policy's clock, and killed outright: the pair goes either way.
  ProbeRun timed_out =
      Run(policy + "exec:\n  timeout: 1s\n", {"probe", "links", "--then", "sleep", "30"});
  const auto lines = Lines(timed_out);
  ASSERT_GE(lines.size(), 1u) << Describe(timed_out);
  EXPECT_EQ(timed_out.exit_code, 128 + SIGKILL) << Describe(timed_out);
  const int timed_out_index = HostIndexOf(lines[0]);
  EXPECT_GT(timed_out_index, 0);
  EXPECT_TRUE(HostLinkGoes(timed_out_index));

  // SIGKILL to stockade itself while the program runs: no teardown code runs at all. The
  // kernel deletes the pair with the sandbox's namespace once its init is gone (it dies with
  // stockade, PR_SET_PDEATHSIG); that happens asynchronously, so this waits for it.
  const std::filesystem::path file = dir_.Write(
      "killed.yaml",
      "version: 1\nname: killed\n" + policy + "filesystem:\n  mounts:\n    - {source: " +
          std::filesystem::path(ProbePath()).parent_path().string() + ", target: /probe}\n");
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    const std::string stockade = StockadePath();
    execl(stockade.c_str(), stockade.c_str(), "run", file.c_str(), "--", "/probe/probe", "links",
          "--then", "sleep", "60", static_cast<char*>(nullptr));
    _exit(98);
  }
  close(out[1]);
  std::string first_line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') first_line += c;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(out[0]);
  const int index = HostIndexOf(nlohmann::json::parse(first_line, nullptr, false));
  ASSERT_GT(index, 0) << first_line;
  EXPECT_TRUE(HostLinkGoes(index)) << "link " << index << " survived its sandbox";
}

}  // namespace
}  // namespace stockade::testing
