// SPDX-License-Identifier: BSD-2-Clause
// Policy source text and positions in it: SourceSet owns every file read during one check,
// SourceSpan names a byte range in one of them.

#ifndef STOCKADE_POLICY_SOURCE_H_
#define STOCKADE_POLICY_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace stockade::policy {

// Index of a buffer in a SourceSet. kNoFile marks a span that points at no text (for example a
// default value that no file wrote).
using FileId = uint32_t;
inline constexpr FileId kNoFile = UINT32_MAX;

// A byte range [begin, end) in one buffer. begin == end marks a point.
struct SourceSpan {
  FileId file = kNoFile;
  uint32_t begin = 0;
  uint32_t end = 0;

  bool valid() const { return file != kNoFile; }
  bool operator==(const SourceSpan&) const = default;
};

// A 1-based line and display column (UTF-8 code points, tabs count as one column).
struct LineColumn {
  uint32_t line = 0;
  uint32_t column = 0;
};

// All buffers of one check: the policy file and everything it extends. Buffers never move once
// added, so string_views into them stay valid as long as the SourceSet lives.
class SourceSet {
 public:
  // Adds a buffer read from `path` (the name diagnostics show) and returns its id.
  FileId Add(std::string path, std::string text);

  // Returns the id of the buffer whose path is `path`, or kNoFile.
  FileId Find(std::string_view path) const;

  const std::string& path(FileId file) const;
  std::string_view text(FileId file) const;
  std::string_view text(SourceSpan span) const;
  size_t size() const { return files_.size(); }

  // Line and display column of a byte offset (offsets inside a UTF-8 sequence count as the
  // sequence's start).
  LineColumn Position(FileId file, uint32_t offset) const;
  // Byte offset of the first byte of 1-based `line`, clamped to the text size.
  uint32_t LineStart(FileId file, uint32_t line) const;
  // The text of 1-based `line` without its newline.
  std::string_view Line(FileId file, uint32_t line) const;

 private:
  struct File {
    std::string path;
    std::string text;
    std::vector<uint32_t> line_starts;  // byte offset of every line's first byte
  };
  std::vector<std::unique_ptr<File>> files_;
};

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_SOURCE_H_
