// SPDX-License-Identifier: BSD-2-Clause
// linux-sim's mapping tables as rows for people: clause -> mechanism -> fidelity -> reason.
// The planner and Assess read the same rows (mac.cc, limits.cc); docs/linux-sim.md prints them
// and tests/linux_sim/docs_test.cc keeps the two equal.

#ifndef STOCKADE_LINUX_SIM_TABLES_H_
#define STOCKADE_LINUX_SIM_TABLES_H_

#include <string>
#include <vector>

#include "stockade/enforce/fidelity.h"

namespace stockade::linux_sim {

struct MappingRow {
  std::string clause;     // "mac.bsdextended: mode w on a directory", "limits.memoryuse"
  std::string mechanism;  // "Landlock make_reg make_dir ...", "memory cgroup"
  enforce::Fidelity fidelity = enforce::Fidelity::kExact;
  std::string reason;  // what differs from FreeBSD, or why it is exact
};

// mac.bsdextended and mac.portacl: what each part of a rule becomes. The fidelity is the best a
// rule of that shape gets; Assess reports the actual one per rule, with the file systems.
std::vector<MappingRow> MacTable();

// securelevel and allow.*: the capabilities jailed root keeps on Linux, what each allow.* flag
// adds, and what each securelevel takes away. PlanCapabilities reads the same rows.
std::vector<MappingRow> PrivilegesTable();

// limits.*: every rctl resource. The fidelity is the one on a host where the controller is
// available; Assess reports the actual one.
std::vector<MappingRow> LimitsTable();

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_TABLES_H_
