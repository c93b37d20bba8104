// SPDX-License-Identifier: BSD-2-Clause
// docs/manifest.md is what the parser does: every ```manifest block parses and round-trips,
// every ```manifest-refused block is refused with the message on its first line, every record
// the writer can write is in the records table, and the limits are the parser's.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stockade/launch/manifest.h"
#include "testing/test_util.h"

namespace stockade::launch {
namespace {

struct Block {
  std::string kind;  // "manifest" or "manifest-refused"
  std::string text;
  int line = 0;  // of the opening fence in the doc
};

std::vector<Block> Blocks(const std::string& doc) {
  std::vector<Block> blocks;
  size_t pos = 0;
  int line = 1;
  Block* open = nullptr;
  while (pos < doc.size()) {
    size_t eol = doc.find('\n', pos);
    if (eol == std::string::npos) eol = doc.size();
    const std::string text = doc.substr(pos, eol - pos);
    if (open) {
      if (text == "```") {
        open = nullptr;
      } else {
        open->text += text + "\n";
      }
    } else if (text == "```manifest" || text == "```manifest-refused") {
      blocks.push_back({text.substr(3), "", line});
      open = &blocks.back();
    }
    pos = eol + 1;
    ++line;
  }
  return blocks;
}

std::string Doc() { return testing::ReadFile(testing::SourceDir() / "docs" / "manifest.md"); }

TEST(ManifestDocsTest, ExamplesAreWhatTheParserDoes) {
  const std::vector<Block> blocks = Blocks(Doc());
  size_t accepted = 0, refused = 0;
  for (const Block& block : blocks) {
    SCOPED_TRACE("docs/manifest.md:" + std::to_string(block.line));
    Expected<Manifest> parsed = ParseManifest(block.text);
    if (block.kind == "manifest") {
      ++accepted;
      ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
      EXPECT_EQ(ParseManifest(WriteManifest(*parsed)).value(), *parsed);
    } else {
      ++refused;
      ASSERT_EQ(block.text.rfind("# ", 0), 0u) << "a refused example starts with '# MESSAGE'";
      const std::string message = block.text.substr(2, block.text.find('\n') - 2);
      ASSERT_FALSE(parsed.has_value()) << "accepted:\n" << block.text;
      EXPECT_EQ(parsed.error().message(), message);
    }
  }
  EXPECT_GE(accepted, 2u);
  EXPECT_GE(refused, 5u);
}

TEST(ManifestDocsTest, EveryRecordIsDocumented) {
  Manifest m;
  m.program = "/bin/x";
  m.argv = {"x"};
  m.user = "u";
  m.group = "g";
  m.env_keep = {"A"};
  m.env_set = {"B=1"};
  m.interpreter = "/i";
  m.library_dirs = {"/l"};
  m.preload = "/p";
  m.keep = {0};
  m.preopens = {{3, kRead, 0, "/d"}};
  m.limits = {{3, RightSet(), std::vector<uint64_t>{}, 0}};
  const std::string written = WriteManifest(m);
  const std::string doc = Doc();
  size_t pos = written.find('\n') + 1;  // past the header
  while (pos < written.size()) {
    const std::string key = written.substr(pos, written.find_first_of(" \n", pos) - pos);
    EXPECT_NE(doc.find("| `" + key), std::string::npos) << "record '" << key << "' is missing";
    pos = written.find('\n', pos) + 1;
  }
}

TEST(ManifestDocsTest, LimitsAreTheParsers) {
  const std::string doc = Doc();
  EXPECT_NE(doc.find("1 MiB (" + std::to_string(kMaxManifestBytes) + " bytes)"), std::string::npos);
  EXPECT_NE(doc.find("| " + std::to_string(kMaxRecords) + " |"), std::string::npos);
  EXPECT_NE(doc.find("| 0 to " + std::to_string(kMaxFd) + " |"), std::string::npos);
  EXPECT_NE(doc.find("stockade-manifest " + std::to_string(kManifestVersion)), std::string::npos);
}

}  // namespace
}  // namespace stockade::launch
