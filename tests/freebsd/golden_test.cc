// SPDX-License-Identifier: BSD-2-Clause
// Golden artifacts: every file 'stockade compile' writes for each example policy (newest
// release, default options) is compared exactly with tests/freebsd/golden/<example>/<file>.
// STOCKADE_UPDATE_GOLDEN=1 rewrites them and removes files no longer generated.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "freebsd_test_util.h"
#include "stockade/freebsd/compile.h"
#include "testing/test_util.h"

namespace stockade::freebsd {
namespace {

bool Updating() {
  const char* env = std::getenv("STOCKADE_UPDATE_GOLDEN");
  return env && std::string(env) == "1";
}

std::vector<std::filesystem::path> Examples() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourceDir() / "examples")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(GoldenTest, EveryArtifactOfEveryExample) {
  const std::filesystem::path golden_root = testing::SourceDir() / "tests" / "freebsd" / "golden";
  const std::vector<std::filesystem::path> examples = Examples();
  ASSERT_FALSE(examples.empty());
  std::set<std::string> example_names;
  for (const std::filesystem::path& example : examples) {
    const std::string name = example.stem().string();
    example_names.insert(name);
    std::string problems;
    auto policy = testing::CheckPath(example.string(), &problems);
    ASSERT_TRUE(policy) << example << ": " << problems;
    auto artifacts = Compile(*policy);
    ASSERT_TRUE(artifacts) << example << ": " << artifacts.error().message();
    const std::filesystem::path dir = golden_root / name;
    std::set<std::string> generated;
    for (const auto& [file, text] : artifacts->files) {
      generated.insert(file);
      const std::filesystem::path path = dir / file;
      if (Updating()) {
        std::filesystem::create_directories(dir);
        std::ofstream(path, std::ios::binary) << text;
        continue;
      }
      ASSERT_TRUE(std::filesystem::exists(path))
          << path << " is missing; run with STOCKADE_UPDATE_GOLDEN=1 to create it";
      EXPECT_EQ(testing::ReadFile(path), text)
          << path << " differs; run with STOCKADE_UPDATE_GOLDEN=1 to accept the new output";
    }
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string file = entry.path().filename().string();
      if (generated.count(file)) continue;
      if (Updating()) {
        std::filesystem::remove(entry.path());
      } else {
        ADD_FAILURE() << entry.path() << " is no longer generated";
      }
    }
  }
  if (!std::filesystem::is_directory(golden_root)) return;
  for (const auto& entry : std::filesystem::directory_iterator(golden_root)) {
    const std::string dir = entry.path().filename().string();
    if (example_names.count(dir)) continue;
    if (Updating()) {
      std::filesystem::remove_all(entry.path());
    } else {
      ADD_FAILURE() << entry.path() << " belongs to no example";
    }
  }
}

}  // namespace
}  // namespace stockade::freebsd
