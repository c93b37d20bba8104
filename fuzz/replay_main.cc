// SPDX-License-Identifier: BSD-2-Clause
// The fuzzers' main() without libFuzzer (LLVM's DUMMY_MAIN): runs LLVMFuzzerTestOneInput once on
// every file named on the command line and on every file of every directory named there, so
// that each corpus and regression input stays a test in a GCC build (docs/fuzzing.md).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

// Adds `path` (a file, or the files of a directory in name order) to `inputs`. Dot files are
// skipped: a '.gitkeep' keeps an empty regressions directory in git.
bool Collect(const std::filesystem::path& path, std::vector<std::filesystem::path>& inputs) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
        files.push_back(entry.path());
      }
    }
    if (ec) return false;
    std::sort(files.begin(), files.end());
    inputs.insert(inputs.end(), files.begin(), files.end());
    return true;
  }
  if (std::filesystem::is_regular_file(path, ec)) {
    inputs.push_back(path);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    // libFuzzer's flags (-runs=0, -dict=...) are accepted and ignored, so that one command line
    // replays with either build.
    if (argv[i][0] == '-') continue;
    if (!Collect(argv[i], inputs)) {
      std::fprintf(stderr, "replay: cannot read '%s' as a file or a directory\n", argv[i]);
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs (usage: %s FILE|DIR...)\n", argv[0]);
    return 2;
  }
  for (const std::filesystem::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "replay: cannot read '%s'\n", path.c_str());
      return 2;
    }
    // A buffer of exactly the input's size, as libFuzzer passes it, so that ASan sees a read
    // one byte past the end.
    std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), data.get());
    std::fprintf(stderr, "replay: %s\n", path.c_str());
    LLVMFuzzerTestOneInput(data.get(), bytes.size());
  }
  std::fprintf(stderr, "replay: %zu inputs, no failure\n", inputs.size());
  return 0;
}
