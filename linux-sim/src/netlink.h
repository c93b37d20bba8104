// SPDX-License-Identifier: BSD-2-Clause
// Internal: a small netlink helper for the two families linux-sim speaks, rtnetlink (links,
// addresses, routes) and nfnetlink (nf_tables rules): building messages with nested attributes,
// and sending a batch of them on a socket that answers every message with an acknowledgement.
//
// Why not ip(8)/nft(8) or a library: a launch creates a veth pair, a few addresses, a route and
// one nf_tables transaction, and each exec of a tool would cost more than all of the kernel's
// work together (issue 7 measures launches at concurrency 50). The messages are small, fixed
// and built once per run from the plan; the kernel's own UAPI headers describe them.

#ifndef STOCKADE_LINUX_SIM_SRC_NETLINK_H_
#define STOCKADE_LINUX_SIM_SRC_NETLINK_H_

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/base/unique_fd.h"

namespace stockade::linux_sim::netlink {

// A sequence of netlink messages, back to back, as one sendmsg(2) carries them. Messages are
// built in place: Begin() opens one, the Put* calls append attributes to the open message, and
// Nest()/End() bracket nested attributes. Every message asks for an acknowledgement
// (NLM_F_ACK) unless `ack` is false, so that Transact can tell which one failed.
class Batch {
 public:
  // Opens a message of `type` with `flags` (NLM_F_REQUEST is always added) followed by the
  // family header `header` (struct ifinfomsg, ifaddrmsg, rtmsg, nfgenmsg...).
  template <typename Header>
  void Begin(uint16_t type, uint16_t flags, const Header& header, bool ack = true) {
    BeginRaw(type, flags, &header, sizeof(header), ack);
  }
  void BeginRaw(uint16_t type, uint16_t flags, const void* header, size_t size, bool ack);

  void Put(uint16_t type, const void* data, size_t size);
  void PutString(uint16_t type, std::string_view text);  // with its terminating NUL
  void PutU8(uint16_t type, uint8_t value) { Put(type, &value, 1); }
  void PutU32(uint16_t type, uint32_t value) { Put(type, &value, 4); }  // host byte order
  void PutBe32(uint16_t type, uint32_t value);                          // network byte order
  // Appends raw bytes to the open message or nest (a family header inside a nest, as
  // VETH_INFO_PEER carries a struct ifinfomsg).
  void Append(const void* data, size_t size);

  // Opens a nested attribute; returns the handle End() closes. nf_tables wants NLA_F_NESTED on
  // its nests; rtnetlink parses some nests (VETH_INFO_PEER) with a policy that refuses it.
  size_t Nest(uint16_t type, bool flag_nested = false);
  void End(size_t nest);

  // The sequence numbers of the messages that expect an acknowledgement, in order.
  const std::vector<uint32_t>& acked() const { return acked_; }
  // A short name per acknowledged message, for error reports ("add address 10.0.0.2/24").
  void Describe(std::string what) { descriptions_.back() = std::move(what); }
  const std::string& DescriptionOf(uint32_t sequence) const;

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }

 private:
  void Pad();
  struct nlmsghdr* Current();

  std::vector<uint8_t> bytes_;
  size_t current_ = 0;  // offset of the open message's header
  uint32_t next_sequence_ = 1;
  std::vector<uint32_t> acked_;
  std::vector<uint32_t> sequences_;  // of every message, acknowledged or not
  std::vector<std::string> descriptions_;
};

// A netlink socket of one protocol (NETLINK_ROUTE, NETLINK_NETFILTER), bound to the network
// namespace the calling thread is in when it is opened: the kernel ties a socket to its
// creator's namespace for its whole life, which is how the supervisor configures the
// sandbox's namespace from outside (it opens the socket there once, through setns(2)).
class Socket {
 public:
  static Expected<Socket> Open(int protocol);

  // Sends every message of `batch` in one sendmsg and collects the answers. The kernel handles
  // netlink requests synchronously inside sendmsg, so by the time it returns every
  // acknowledgement is queued: they are read without blocking. Fails with the first error the
  // kernel reported ("what: add address 10.0.0.2/24: File exists (extended ack text)") or when
  // an acknowledgement is missing. `replies`, when given, receives the payload messages the
  // kernel sent besides the acknowledgements (NLM_F_ECHO answers).
  Status Transact(const Batch& batch, std::string_view what,
                  std::vector<std::vector<uint8_t>>* replies = nullptr);

  int fd() const { return fd_.get(); }

 private:
  explicit Socket(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace stockade::linux_sim::netlink

#endif  // STOCKADE_LINUX_SIM_SRC_NETLINK_H_
