// SPDX-License-Identifier: BSD-2-Clause
// FreeBSD jail parameters and rctl resources (data in tables/*.inc).

#include <cstdint>

#include "name_index.h"
#include "stockade/policy/names.h"

namespace stockade::policy {
namespace {

// Expands one access column into JailParamInfo's settable/create_only pair.
struct Access {
  bool settable;
  bool create_only;
};
constexpr Access kRw{true, false};
constexpr Access kCreateOnly{true, true};
constexpr Access kReadOnly{false, false};
// jail(8)'s own settings: given in jail.conf or on the command line when the jail is created.
constexpr Access kJail8{true, false};

constexpr JailParamInfo MakeParam(std::string_view name, JailParamLayer layer, JailParamType type,
                                  int64_t min, int64_t max, size_t max_length, bool jailsys_disable,
                                  Access access, bool deprecated, bool freebsd15_only,
                                  std::string_view owner, std::string_view meaning) {
  JailParamInfo info;
  info.name = name;
  info.layer = layer;
  info.type = type;
  info.min = min;
  info.max = max;
  info.max_length = max_length;
  info.jailsys_disable = jailsys_disable;
  info.settable = access.settable;
  info.create_only = access.create_only;
  info.deprecated = deprecated;
  info.freebsd15_only = freebsd15_only;
  info.owner = owner;
  info.meaning = meaning;
  return info;
}

constexpr JailParamInfo kJailParams[] = {
#define STOCKADE_JAIL_PARAM(name, layer, type, min, max, max_length, jailsys_disable, access, \
                            deprecated, freebsd15_only, owner, meaning)                       \
  MakeParam(name, JailParamLayer::k##layer, JailParamType::k##type, min, max, max_length,     \
            jailsys_disable, k##access, deprecated, freebsd15_only, owner, meaning),
#include "tables/jail_params.inc"
#undef STOCKADE_JAIL_PARAM
};

constexpr RctlResourceInfo kRctlResources[] = {
#define STOCKADE_RCTL_RESOURCE(name, unit, deny, throttle, meaning) \
  {#name, RctlUnit::k##unit, deny, throttle, meaning},
#include "tables/rctl_resources.inc"
#undef STOCKADE_RCTL_RESOURCE
};

constexpr auto kJailParamsByName = detail::SortByName(kJailParams);
constexpr auto kRctlByName = detail::SortByName(kRctlResources);
static_assert(!detail::HasDuplicateNames(kJailParams, kJailParamsByName));
static_assert(!detail::HasDuplicateNames(kRctlResources, kRctlByName));

}  // namespace

std::span<const JailParamInfo> JailParams() { return kJailParams; }

const JailParamInfo* FindJailParam(std::string_view name) {
  return detail::FindByName(kJailParams, kJailParamsByName, name);
}

std::span<const RctlResourceInfo> RctlResources() { return kRctlResources; }

const RctlResourceInfo* FindRctlResource(std::string_view name) {
  return detail::FindByName(kRctlResources, kRctlByName, name);
}

}  // namespace stockade::policy
