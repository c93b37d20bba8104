// SPDX-License-Identifier: BSD-2-Clause
// stockade-launch MANIFEST: starts one program as the manifest says, in this process, through
// the launcher core and CapsicumPlatform (FreeBSD only). Links stockade::launch and
// stockade::base, never the policy layer.

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "capsicum_platform.h"
#include "stockade/base/unique_fd.h"
#include "stockade/launch/launcher.h"
#include "stockade/launch/manifest.h"

extern char** environ;

namespace stockade::freebsd {
namespace {

constexpr char kUsage[] =
    "usage: stockade-launch MANIFEST\n"
    "Runs the program a stockade launcher manifest describes: opens its descriptors, sets\n"
    "its identity and working directory, limits Capsicum rights, enters capability mode and\n"
    "executes it in place.\n"
    "Exit status: the program's own; 125 when the launch failed before exec; 126 when the\n"
    "program cannot be executed; 127 when it does not exist.\n";

void Report(std::string_view message) {
  std::fprintf(stderr, "stockade-launch: %.*s\n", static_cast<int>(message.size()), message.data());
}

// Reads at most kMaxManifestBytes; a longer file is refused rather than truncated.
Expected<std::string> ReadManifest(const char* path) {
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::FromErrno(std::string("cannot open manifest ") + path, errno);
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno(std::string("cannot read manifest ") + path, errno);
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > launch::kMaxManifestBytes) {
      return Error(ErrorCode::kResourceExhausted,
                   std::string("manifest ") + path + " is larger than " +
                       std::to_string(launch::kMaxManifestBytes) + " bytes");
    }
  }
}

// Whether descriptor 2 is still the launcher's standard error after `failure`: the descriptors
// are rearranged from step kArrangeDescriptors on, and a preopen may then sit on 2.
bool StderrIsOurs(const launch::Manifest& manifest, const launch::LaunchFailure& failure) {
  if (static_cast<int>(failure.step) < static_cast<int>(launch::Step::kArrangeDescriptors)) {
    return true;
  }
  for (int fd : manifest.keep) {
    if (fd == STDERR_FILENO) return true;
  }
  return false;
}

int Main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--help") == 0) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("stockade-launch %s\n", STOCKADE_VERSION);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    std::fputs(kUsage, stderr);
    return launch::kExitSetupFailed;
  }
  Expected<std::string> text = ReadManifest(argv[1]);
  if (!text) {
    Report(text.error().message());
    return launch::kExitSetupFailed;
  }
  Expected<launch::Manifest> manifest = launch::ParseManifest(*text);
  if (!manifest) {
    Report(std::string(argv[1]) + ": " + manifest.error().message());
    return launch::kExitSetupFailed;
  }
  CapsicumPlatform platform;
  Expected<launch::PreparedLaunch> prepared = launch::Prepare(*manifest, platform, environ);
  if (!prepared) {
    Report(prepared.error().message());
    return launch::kExitSetupFailed;
  }
  // Returns only when a step failed; on success this process is the program now.
  const launch::LaunchFailure failure = launch::Run(*prepared, platform);
  if (StderrIsOurs(*manifest, failure)) Report(prepared->Describe(failure));
  return launch::ExitStatusFor(failure);
}

}  // namespace
}  // namespace stockade::freebsd

int main(int argc, char** argv) {
  // No exception leaves the launcher: std::bad_alloc while preparing is a setup failure.
  try {
    return stockade::freebsd::Main(argc, argv);
  } catch (const std::exception& e) {
    stockade::freebsd::Report(e.what());
  } catch (...) {
    stockade::freebsd::Report("unexpected exception");
  }
  return stockade::launch::kExitSetupFailed;
}
