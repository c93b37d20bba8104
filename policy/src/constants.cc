// SPDX-License-Identifier: BSD-2-Clause
// Named constants, errnos and rctl signals of both targets (data in tables/*.inc).

#include <optional>

#include "name_index.h"
#include "stockade/policy/names.h"

namespace stockade::policy {
namespace {

#define NONE std::nullopt

constexpr ConstantInfo kConstants[] = {
#define STOCKADE_CONSTANT(name, kind, linux_value, freebsd_value, source) \
  {#name, ConstantKind::k##kind, linux_value, freebsd_value, source},
#include "tables/constants.inc"
#undef STOCKADE_CONSTANT
};

constexpr ErrnoInfo kErrnos[] = {
#define STOCKADE_ERRNO(name, linux_value, freebsd_value) {#name, linux_value, freebsd_value},
#include "tables/errnos.inc"
#undef STOCKADE_ERRNO
};

#undef NONE

constexpr SignalInfo kSignals[] = {
#define STOCKADE_SIGNAL(name, linux_number, freebsd_number) {#name, linux_number, freebsd_number},
#include "tables/signals.inc"
#undef STOCKADE_SIGNAL
};

constexpr auto kConstantsByName = detail::SortByName(kConstants);
constexpr auto kErrnosByName = detail::SortByName(kErrnos);
constexpr auto kSignalsByName = detail::SortByName(kSignals);
static_assert(!detail::HasDuplicateNames(kConstants, kConstantsByName));
static_assert(!detail::HasDuplicateNames(kErrnos, kErrnosByName));
static_assert(!detail::HasDuplicateNames(kSignals, kSignalsByName));

// Every row names at least one target, and a FreeBSD value always says where it was read.
constexpr bool ConstantsAreWellFormed() {
  for (const ConstantInfo& c : kConstants) {
    if (!c.linux_value && !c.freebsd_value) return false;
    if (c.freebsd_value.has_value() == c.freebsd_source.empty()) return false;
  }
  return true;
}
static_assert(ConstantsAreWellFormed());

}  // namespace

std::span<const ConstantInfo> Constants() { return kConstants; }

const ConstantInfo* FindConstant(std::string_view name) {
  return detail::FindByName(kConstants, kConstantsByName, name);
}

std::optional<uint64_t> ConstantValue(const ConstantInfo& constant, Target target) {
  return target == Target::kLinux ? constant.linux_value : constant.freebsd_value;
}

std::span<const ErrnoInfo> Errnos() { return kErrnos; }

const ErrnoInfo* FindErrno(std::string_view name) {
  return detail::FindByName(kErrnos, kErrnosByName, name);
}

std::span<const SignalInfo> Signals() { return kSignals; }

const SignalInfo* FindSignal(std::string_view name) {
  return detail::FindByName(kSignals, kSignalsByName, name);
}

}  // namespace stockade::policy
