// SPDX-License-Identifier: BSD-2-Clause
// The netlink helper: message building and acknowledged batches (netlink(7)).

#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>

namespace stockade::linux_sim::netlink {

void Batch::BeginRaw(uint16_t type, uint16_t flags, const void* header, size_t size, bool ack) {
  current_ = bytes_.size();
  struct nlmsghdr h {};
  h.nlmsg_len = NLMSG_HDRLEN;
  h.nlmsg_type = type;
  h.nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | (ack ? NLM_F_ACK : 0));
  h.nlmsg_seq = next_sequence_++;
  bytes_.resize(current_ + NLMSG_HDRLEN);
  memcpy(bytes_.data() + current_, &h, sizeof(h));
  sequences_.push_back(h.nlmsg_seq);
  if (ack) {
    acked_.push_back(h.nlmsg_seq);
    descriptions_.emplace_back();
  }
  Append(header, size);
}

struct nlmsghdr* Batch::Current() {
  return reinterpret_cast<struct nlmsghdr*>(bytes_.data() + current_);
}

void Batch::Pad() {
  bytes_.resize(NLMSG_ALIGN(bytes_.size()));
  Current()->nlmsg_len = static_cast<uint32_t>(bytes_.size() - current_);
}

void Batch::Append(const void* data, size_t size) {
  const size_t at = bytes_.size();
  bytes_.resize(at + size);
  if (size) memcpy(bytes_.data() + at, data, size);
  Pad();
}

void Batch::Put(uint16_t type, const void* data, size_t size) {
  struct nlattr attribute {};
  attribute.nla_len = static_cast<uint16_t>(NLA_HDRLEN + size);
  attribute.nla_type = type;
  const size_t at = bytes_.size();
  bytes_.resize(at + NLA_HDRLEN + size);
  memcpy(bytes_.data() + at, &attribute, sizeof(attribute));
  if (size) memcpy(bytes_.data() + at + NLA_HDRLEN, data, size);
  Pad();
}

void Batch::PutString(uint16_t type, std::string_view text) {
  std::string copy(text);
  Put(type, copy.c_str(), copy.size() + 1);
}

void Batch::PutBe32(uint16_t type, uint32_t value) {
  const uint32_t network = htonl(value);
  Put(type, &network, 4);
}

size_t Batch::Nest(uint16_t type, bool flag_nested) {
  const size_t at = bytes_.size();
  Put(static_cast<uint16_t>(type | (flag_nested ? NLA_F_NESTED : 0)), nullptr, 0);
  return at;
}

void Batch::End(size_t nest) {
  struct nlattr* attribute = reinterpret_cast<struct nlattr*>(bytes_.data() + nest);
  attribute->nla_len = static_cast<uint16_t>(bytes_.size() - nest);
}

const std::string& Batch::DescriptionOf(uint32_t sequence) const {
  static const std::string kNone;
  for (size_t i = 0; i < acked_.size(); ++i) {
    if (acked_[i] == sequence) return descriptions_[i];
  }
  return kNone;
}

Expected<Socket> Socket::Open(int protocol) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  if (!fd) return Error::FromErrno("netlink socket", errno);
  // Extended acknowledgements carry the kernel's own explanation of a refusal; capped ones do
  // not echo the whole request back.
  const int on = 1;
  setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
  setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
  struct sockaddr_nl address {};
  address.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0) {
    return Error::FromErrno("netlink bind", errno);
  }
  return Socket(std::move(fd));
}

namespace {

// The NLMSGERR_ATTR_MSG text of an extended acknowledgement, if any.
std::string ExtendedAckText(const struct nlmsghdr* header, const struct nlmsgerr* error) {
  if (!(header->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  // With NETLINK_CAP_ACK the offending request is not echoed, only its header.
  size_t offset = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
  if (!(header->nlmsg_flags & NLM_F_CAPPED)) offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
  const uint8_t* base = reinterpret_cast<const uint8_t*>(header);
  while (offset + NLA_HDRLEN <= header->nlmsg_len) {
    struct nlattr attribute;
    memcpy(&attribute, base + offset, sizeof(attribute));
    if (attribute.nla_len < NLA_HDRLEN || offset + attribute.nla_len > header->nlmsg_len) break;
    if ((attribute.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(base + offset + NLA_HDRLEN);
      return std::string(text, strnlen(text, attribute.nla_len - NLA_HDRLEN));
    }
    offset += NLA_ALIGN(attribute.nla_len);
  }
  return "";
}

}  // namespace

Status Socket::Transact(const Batch& batch, std::string_view what,
                        std::vector<std::vector<uint8_t>>* replies) {
  const std::vector<uint8_t>& bytes = batch.bytes();
  struct sockaddr_nl kernel {};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd_.get(), bytes.data(), bytes.size(), 0,
                  reinterpret_cast<struct sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(bytes.size())) {
    return Error::FromErrno(std::string(what) + ": sending to the kernel", sent < 0 ? errno : EIO);
  }

  std::vector<uint32_t> pending = batch.acked();
  std::optional<Error> first;
  alignas(struct nlmsghdr) uint8_t buffer[16384];
  while (!pending.empty()) {
    const ssize_t got = recv(fd_.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // nothing more queued: the missing answers are reported below
    size_t length = static_cast<size_t>(got);
    for (struct nlmsghdr* h = reinterpret_cast<struct nlmsghdr*>(buffer); NLMSG_OK(h, length);
         h = NLMSG_NEXT(h, length)) {
      if (h->nlmsg_type != NLMSG_ERROR) {
        if (replies) {
          const uint8_t* start = reinterpret_cast<const uint8_t*>(h);
          replies->emplace_back(start, start + h->nlmsg_len);
        }
        continue;
      }
      const struct nlmsgerr* error = static_cast<const struct nlmsgerr*>(NLMSG_DATA(h));
      auto it = std::find(pending.begin(), pending.end(), h->nlmsg_seq);
      if (it != pending.end()) pending.erase(it);
      if (error->error != 0 && !first) {
        const std::string& step = batch.DescriptionOf(h->nlmsg_seq);
        const std::string text = ExtendedAckText(h, error);
        first =
            Error::FromErrno(std::string(what) + (step.empty() ? "" : ": " + step), -error->error);
        if (!text.empty()) {
          first = Error(first->code(), first->message() + " (" + text + ")", first->os_errno());
        }
      }
    }
  }
  if (first) return *first;
  if (!pending.empty()) {
    const std::string& step = batch.DescriptionOf(pending.front());
    return Error(ErrorCode::kInternal, std::string(what) + (step.empty() ? "" : ": " + step) +
                                           ": the kernel did not answer");
  }
  return {};
}

}  // namespace stockade::linux_sim::netlink
