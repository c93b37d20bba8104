// SPDX-License-Identifier: BSD-2-Clause
// SourceSet: buffers, line tables and display columns.

#include "stockade/policy/source.h"

#include <algorithm>

#include "stockade/base/check.h"

namespace stockade::policy {

FileId SourceSet::Add(std::string path, std::string text) {
  auto file = std::make_unique<File>();
  file->path = std::move(path);
  file->text = std::move(text);
  file->line_starts.push_back(0);
  for (uint32_t i = 0; i < file->text.size(); ++i) {
    if (file->text[i] == '\n') file->line_starts.push_back(i + 1);
  }
  files_.push_back(std::move(file));
  return static_cast<FileId>(files_.size() - 1);
}

FileId SourceSet::Find(std::string_view path) const {
  for (size_t i = 0; i < files_.size(); ++i) {
    if (files_[i]->path == path) return static_cast<FileId>(i);
  }
  return kNoFile;
}

const std::string& SourceSet::path(FileId file) const {
  STOCKADE_CHECK(file < files_.size()) << "no file " << file;
  return files_[file]->path;
}

std::string_view SourceSet::text(FileId file) const {
  STOCKADE_CHECK(file < files_.size()) << "no file " << file;
  return files_[file]->text;
}

std::string_view SourceSet::text(SourceSpan span) const {
  if (!span.valid()) return {};
  std::string_view all = text(span.file);
  const uint32_t begin = std::min<uint32_t>(span.begin, all.size());
  const uint32_t end = std::clamp<uint32_t>(span.end, begin, all.size());
  return all.substr(begin, end - begin);
}

LineColumn SourceSet::Position(FileId file, uint32_t offset) const {
  STOCKADE_CHECK(file < files_.size()) << "no file " << file;
  const File& f = *files_[file];
  offset = std::min<uint32_t>(offset, f.text.size());
  auto it = std::upper_bound(f.line_starts.begin(), f.line_starts.end(), offset);
  const uint32_t line_index = static_cast<uint32_t>(it - f.line_starts.begin()) - 1;
  uint32_t column = 1;
  uint32_t start = f.line_starts[line_index];
  // A UTF-8 byte order mark is not text: it takes no column.
  if (start == 0 && f.text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    start = std::min<uint32_t>(3, offset);
  // Count UTF-8 lead bytes (anything but 10xxxxxx) between the line start and the offset; the
  // '\r' of a CRLF line ending is not a column either.
  for (uint32_t i = start; i < offset; ++i) {
    const auto byte = static_cast<unsigned char>(f.text[i]);
    if (byte == '\r' && i + 1 < f.text.size() && f.text[i + 1] == '\n') continue;
    if ((byte & 0xC0) != 0x80) ++column;
  }
  // An offset inside a multi-byte sequence points at that sequence.
  if (offset < f.text.size() && (static_cast<unsigned char>(f.text[offset]) & 0xC0) == 0x80 &&
      column > 1) {
    --column;
  }
  return {line_index + 1, column};
}

uint32_t SourceSet::LineStart(FileId file, uint32_t line) const {
  STOCKADE_CHECK(file < files_.size()) << "no file " << file;
  const File& f = *files_[file];
  if (line == 0) return 0;
  if (line > f.line_starts.size()) return static_cast<uint32_t>(f.text.size());
  return f.line_starts[line - 1];
}

std::string_view SourceSet::Line(FileId file, uint32_t line) const {
  std::string_view all = text(file);
  const uint32_t begin = LineStart(file, line);
  size_t end = all.find('\n', begin);
  if (end == std::string_view::npos) end = all.size();
  std::string_view result = all.substr(begin, end - begin);
  if (!result.empty() && result.back() == '\r') result.remove_suffix(1);
  return result;
}

}  // namespace stockade::policy
