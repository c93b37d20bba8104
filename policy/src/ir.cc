// SPDX-License-Identifier: BSD-2-Clause
// Names of IR enumerations.

#include "stockade/policy/ir.h"

namespace stockade::policy {

std::string_view TargetName(Target target) {
  return target == Target::kLinux ? "linux" : "freebsd";
}

std::string_view CmpOpSpelling(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "==";
    case CmpOp::kNe:
      return "!=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
    case CmpOp::kMaskedEq:
      return "&";
  }
  return "?";
}

std::string_view JailSysName(JailSys value) {
  switch (value) {
    case JailSys::kInherit:
      return "inherit";
    case JailSys::kNew:
      return "new";
    case JailSys::kDisable:
      return "disable";
  }
  return "?";
}

}  // namespace stockade::policy
