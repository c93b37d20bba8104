// SPDX-License-Identifier: BSD-2-Clause
// WriteArtifacts(): the output directory of 'stockade compile'.

#include <cerrno>
#include <fstream>
#include <system_error>

#include "stockade/freebsd/compile.h"

namespace stockade::freebsd {

Expected<void> WriteArtifacts(const Artifacts& artifacts, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::FromErrno("create " + dir.string(), ec.value());
  for (const auto& [name, text] : artifacts.files) {
    const std::filesystem::path path = dir / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      return Error::FromErrno("write " + path.string(), errno != 0 ? errno : EIO);
    }
    using std::filesystem::perms;
    const bool script = name.ends_with(".sh");
    std::filesystem::permissions(
        path,
        script ? perms::owner_all | perms::group_read | perms::group_exec | perms::others_read |
                     perms::others_exec
               : perms::owner_read | perms::owner_write | perms::group_read | perms::others_read,
        ec);
    if (ec) return Error::FromErrno("chmod " + path.string(), ec.value());
  }
  return {};
}

}  // namespace stockade::freebsd
