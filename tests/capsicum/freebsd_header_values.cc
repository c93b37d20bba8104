// SPDX-License-Identifier: BSD-2-Clause
// Built with tests/freebsd/freebsd_headers on the system include path (tests/capsicum/
// CMakeLists.txt): <sys/capsicum.h> here is the FreeBSD declaration file, not stockade's.

#include "freebsd_header_values.h"

#include <sys/capsicum.h>

#ifdef __STOCKADE_CAPSICUM
#error "this file must see the FreeBSD test header, not libstockade-capsicum's"
#endif

namespace stockade::testing {

std::vector<FreeBsdHeaderValue> FreeBsdHeaderValues() {
  return {
      {"CAP_READ", CAP_READ},
      {"CAP_FEXECVE", CAP_FEXECVE},
      {"CAP_LOOKUP", CAP_LOOKUP},
      {"CAP_FCNTL_GETFL", CAP_FCNTL_GETFL},
      {"CAP_FCNTL_SETFL", CAP_FCNTL_SETFL},
      {"CAP_FCNTL_GETOWN", CAP_FCNTL_GETOWN},
      {"CAP_FCNTL_SETOWN", CAP_FCNTL_SETOWN},
  };
}

int FreeBsdRightsVersion() { return CAP_RIGHTS_VERSION; }

size_t FreeBsdRightsWords() { return sizeof(cap_rights_t{}.cr_rights) / sizeof(uint64_t); }

}  // namespace stockade::testing
