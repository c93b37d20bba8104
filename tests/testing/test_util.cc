// SPDX-License-Identifier: BSD-2-Clause
// Test helpers.

#include "testing/test_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace stockade::testing {

std::filesystem::path SourceDir() {
  if (const char* dir = std::getenv("STOCKADE_SOURCE_DIR")) return dir;
  return STOCKADE_DEFAULT_SOURCE_DIR;
}

std::filesystem::path BinaryDir() {
  if (const char* dir = std::getenv("STOCKADE_BINARY_DIR")) return dir;
  return STOCKADE_DEFAULT_BINARY_DIR;
}

std::optional<std::filesystem::path> ReferenceDir() {
  std::filesystem::path dir;
  if (const char* env = std::getenv("STOCKADE_REFERENCE_DIR")) {
    dir = env;
  } else {
    dir = SourceDir().parent_path() / "shared" / "reference";
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return dir;
}

Table ReadTsv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  Table table;
  std::string line;
  auto split = [](const std::string& text) {
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
      size_t tab = text.find('\t', start);
      fields.push_back(text.substr(start, tab == std::string::npos ? tab : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    return fields;
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = split(line);
    if (table.header.empty()) {
      table.header = fields;
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < table.header.size(); ++i) {
      row[table.header[i]] = i < fields.size() ? fields[i] : "";
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "stockade-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::Write(const std::string& name, const std::string& text) const {
  std::filesystem::path full = path_ / name;
  std::filesystem::create_directories(full.parent_path());
  std::ofstream out(full, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + full.string());
  return full;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ProgramResult RunProgram(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
  if (argv.empty()) throw std::runtime_error("RunProgram: empty argv");
  const TempDir scratch;
  const std::string out_path = (scratch.path() / "stdout").string();
  const std::string err_path = (scratch.path() / "stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // glibc 2.29+; the child changes directory, so the test process's own cwd never moves.
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(spawned));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      throw std::runtime_error("waitpid failed: " + std::string(std::strerror(errno)));
  }
  ProgramResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

pid_t StartQuietly(const std::vector<std::string>& argv) {
  std::vector<char*> raw;
  for (const std::string& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
  raw.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execv(raw[0], raw.data());
    _exit(127);
  }
  return pid;
}

std::string CommandLineOf(const std::string& pid) {
  // read(2), not an ifstream: a process that vanishes while it is read (ESRCH) makes an
  // ifstream throw.
  std::string text;
  const int fd = open(("/proc/" + pid + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  ssize_t got;
  while ((got = read(fd, buffer, sizeof(buffer))) > 0)
    text.append(buffer, static_cast<size_t>(got));
  close(fd);
  for (char& c : text) c = c ? c : ' ';
  return text;
}

}  // namespace stockade::testing
