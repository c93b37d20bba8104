// SPDX-License-Identifier: BSD-2-Clause
// Splitting a fuzz input into in-memory policy files, and checking them with a read_base that
// never reaches the file system (an absolute or '..' path that leaves /fuzz finds nothing).

#include "policy_input.h"

#include <filesystem>
#include <string_view>

namespace stockade::fuzz {

namespace {

// The offset of the next "#@ " that starts a line, from `pos` (itself a line start), or npos.
size_t FindMarker(std::string_view bytes, size_t pos) {
  if (bytes.substr(pos, 3) == "#@ ") return pos;
  const size_t found = bytes.find("\n#@ ", pos);
  return found == std::string_view::npos ? found : found + 1;
}

}  // namespace

std::unique_ptr<CheckedInput> CheckInput(const uint8_t* data, size_t size) {
  auto input = std::make_unique<CheckedInput>();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string path = kRootPath;
  size_t start = 0;  // where the current file's text starts; always a line start
  while (true) {
    const size_t marker = FindMarker(bytes, start);
    if (marker == std::string_view::npos || input->files.size() + 1 >= kMaxFiles) {
      input->files.try_emplace(path, bytes.substr(start));
      break;
    }
    input->files.try_emplace(path,
                             bytes.substr(start, marker - start));  // a repeat keeps the first
    size_t eol = bytes.find('\n', marker);
    if (eol == std::string_view::npos) eol = bytes.size();
    path = (std::filesystem::path("/fuzz") / bytes.substr(marker + 3, eol - marker - 3))
               .lexically_normal()
               .string();
    start = eol == bytes.size() ? eol : eol + 1;
  }

  const policy::FileId root = input->sources.Add(kRootPath, input->files[kRootPath]);
  policy::CheckOptions options;
  options.read_base = [files = &input->files](
                          const std::filesystem::path& base,
                          const policy::LoadLimits& limits) -> Expected<std::string> {
    auto it = files->find(base.lexically_normal().string());
    if (it == files->end()) {
      return Error(ErrorCode::kNotFound,
                   "cannot read policy '" + base.string() + "': No such file or directory");
    }
    if (it->second.size() > limits.max_file_bytes) {
      return Error(ErrorCode::kResourceExhausted,
                   "cannot read policy '" + base.string() + "': larger than the limit");
    }
    return it->second;
  };
  input->policy = policy::CheckBuffer(input->sources, root, input->diags, options);
  return input;
}

}  // namespace stockade::fuzz
