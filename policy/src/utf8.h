// SPDX-License-Identifier: BSD-2-Clause
// Internal: strict UTF-8 decoding shared by the loader's pre-scan and the renderers.

#ifndef STOCKADE_POLICY_SRC_UTF8_H_
#define STOCKADE_POLICY_SRC_UTF8_H_

#include <cstdint>
#include <string_view>

namespace stockade::policy::detail {

// One code point, or one byte that does not start valid UTF-8 (code_point < 0).
struct Utf8Char {
  uint32_t length;
  int32_t code_point;
};

// Decodes the sequence at text[i]. Overlong forms, surrogates, code points above U+10FFFF and
// truncated sequences are invalid.
inline Utf8Char DecodeUtf8(std::string_view text, size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) return {1, b0};
  uint32_t length;
  uint32_t min;
  uint32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, min = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, min = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return {1, -1};
  }
  if (i + length > text.size()) return {1, -1};
  for (uint32_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return {1, -1};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {1, -1};
  return {length, static_cast<int32_t>(cp)};
}

// Bidirectional-text controls reorder what a reviewer sees (CVE-2021-42574, "Trojan Source").
inline bool IsBidiControl(uint32_t cp) {
  // U+061C ARABIC LETTER MARK is one of them too (found by fuzz/policy_load_fuzzer.cc).
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// Code points a terminal would not show as one plain cell, or would act on: C0 and C1 controls
// (an ESC in a quoted YAML scalar must not reach the terminal), DEL, the bidirectional
// controls, the line and paragraph separators, and the zero-width no-break space (U+FEFF, a
// byte order mark only at the start of a file). The renderers show them as "<U+001B>"; the
// loader refuses them raw in a file (tab, newline and carriage return apart).
inline bool IsUnsafeCodePoint(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || IsBidiControl(cp) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0xFEFF;
}

}  // namespace stockade::policy::detail

#endif  // STOCKADE_POLICY_SRC_UTF8_H_
