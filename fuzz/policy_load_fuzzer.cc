// SPDX-License-Identifier: BSD-2-Clause
// Fuzzer: bytes -> loader -> checker (with an in-memory 'extends') -> renderers, explain and the
// launcher manifest. Checks properties, not only crashes (docs/fuzzing.md):
//   - every diagnostic span and every note's span lies within its buffer;
//   - errors if and only if there is no IR;
//   - the text renderer's output is UTF-8 with no control or bidirectional character but '\n',
//     and the JSON and SARIF renderers write valid JSON with one record per diagnostic;
//   - an IR carries no NUL in any string the OS will see (it would cut a path or an argument
//     short), and every span in it lies within its buffer;
//   - explain's lines are as safe for a terminal as diagnostics are;
//   - the manifest built from the IR, written and parsed back by the audited parser, is equal.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json_check.h"
#include "policy_input.h"
#include "stockade/base/check.h"
#include "stockade/enforce/manifest_builder.h"
#include "stockade/launch/manifest.h"
#include "stockade/policy/describe.h"
#include "stockade/policy/render.h"

namespace stockade::fuzz {
namespace {

using policy::SourceSet;
using policy::SourceSpan;

void CheckSpan(const SourceSet& sources, SourceSpan span, std::string_view what) {
  if (!span.valid()) return;
  STOCKADE_CHECK(span.file < sources.size()) << what << ": span in file " << span.file;
  const size_t size = sources.text(span.file).size();
  STOCKADE_CHECK(span.begin <= span.end && span.end <= size)
      << what << ": span [" << span.begin << ", " << span.end << ") in a buffer of " << size
      << " bytes";
}

// The code points a terminal would act on or that reorder text (render.h's promise).
bool IsUnsafe(uint32_t cp) {
  return (cp < 0x20 && cp != '\n') || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

// Checks that `text` is UTF-8 without unsafe code points; names the first offender.
void CheckTerminalSafe(std::string_view text, std::string_view what) {
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    size_t length = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    STOCKADE_CHECK(length > 0 && i + length <= text.size())
        << what << ": not UTF-8 at byte " << i << " of: " << text;
    uint32_t cp = length == 1 ? b : b & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      STOCKADE_CHECK((c & 0xC0) == 0x80) << what << ": not UTF-8 at byte " << i + k;
      cp = (cp << 6) | (c & 0x3F);
    }
    STOCKADE_CHECK(!IsUnsafe(cp)) << what << ": unsafe code point U+" << std::hex << cp
                                  << " at byte " << std::dec << i << " of: " << text;
    i += length;
  }
}

void CheckNoNul(std::string_view text, std::string_view what) {
  STOCKADE_CHECK(text.find('\0') == std::string_view::npos)
      << what << " holds a NUL byte: the OS would see a shorter string than the policy says";
}

void CheckDiagnostics(const CheckedInput& in) {
  for (const policy::Diagnostic& diag : in.diags.all()) {
    CheckSpan(in.sources, diag.span, "diagnostic " + diag.name);
    for (const policy::DiagnosticNote& note : diag.notes) {
      CheckSpan(in.sources, note.span, "note of " + diag.name);
    }
    STOCKADE_CHECK(!diag.name.empty()) << "a diagnostic without a name: " << diag.message;
  }
  STOCKADE_CHECK(in.diags.has_errors() != in.policy.has_value())
      << (in.policy ? "an IR despite errors" : "no IR and no error to say why");

  const size_t records = in.diags.Sorted().size();
  CheckTerminalSafe(policy::RenderText(in.diags, in.sources, {.color = false, .snippet = true}),
                    "RenderText");
  CheckTerminalSafe(policy::RenderText(in.diags, in.sources, {.color = false, .snippet = false}),
                    "RenderText without snippets");
  (void)policy::RenderText(in.diags, in.sources, {.color = true, .snippet = true});

  CheckJsonReport(policy::RenderJson(in.diags, in.sources), records, in.diags.error_count());
  CheckSarifReport(policy::RenderSarif(in.diags, in.sources, "fuzz"), records);
}

void CheckIr(const CheckedInput& in) {
  const policy::Policy& p = *in.policy;
  const SourceSet& s = in.sources;
  CheckNoNul(p.name, "name");
  CheckNoNul(p.hostname, "hostname");
  CheckSpan(s, p.name_span, "name");
  CheckSpan(s, p.hostname_span, "hostname");

  const policy::Exec& e = p.exec;
  CheckNoNul(e.user, "exec.user");
  CheckNoNul(e.group, "exec.group");
  CheckNoNul(e.workdir, "exec.workdir");
  for (const std::string& arg : e.command) CheckNoNul(arg, "exec.command");
  for (const std::string& name : e.env_keep) CheckNoNul(name, "exec.env keep");
  for (const policy::EnvVar& var : e.env_set) {
    CheckNoNul(var.name, "exec.env name");
    CheckNoNul(var.value, "exec.env value");
    CheckSpan(s, var.span, "exec.env");
  }
  for (SourceSpan span : {e.user_span, e.group_span, e.workdir_span, e.env_clean_span, e.env_span,
                          e.timeout_span, e.core_dumps_span, e.command_span}) {
    CheckSpan(s, span, "exec");
  }

  for (policy::Target target : policy::kAllTargets) {
    const policy::SyscallFilter& filter = p.syscalls[target];
    CheckSpan(s, filter.span, "syscalls");
    CheckSpan(s, filter.default_action.span, "syscalls.default");
    for (const auto* rules : {&filter.allow, &filter.deny}) {
      for (const policy::SyscallRule& rule : *rules) {
        CheckSpan(s, rule.span, "syscall rule");
        CheckSpan(s, rule.action.span, "syscall action");
        STOCKADE_CHECK(rule.number >= 0) << "rule '" << rule.name << "' has no number";
        for (const policy::ArgCondition& c : rule.conditions) {
          CheckSpan(s, c.span, "condition");
          STOCKADE_CHECK(c.arg < 6) << "condition on arg" << int{c.arg};
        }
      }
    }
  }
  for (const policy::Descriptor& d : p.descriptors) {
    CheckNoNul(d.path, "descriptor path");
    CheckSpan(s, d.span, "descriptor");
    CheckSpan(s, d.rights_span, "descriptor rights");
    if (d.ioctls) {
      for (const policy::IoctlCommand& ioctl : *d.ioctls) CheckSpan(s, ioctl.span, "ioctl");
    }
  }
  CheckSpan(s, p.capability_mode_span, "capability_mode");
  for (SourceSpan span : {p.ipc.allow_sysvipc_span, p.ipc.sysvshm_span, p.ipc.sysvmsg_span,
                          p.ipc.sysvsem_span, p.jail.securelevel_span, p.jail.enforce_statfs_span,
                          p.jail.children_max_span, p.jail.devfs_ruleset_span}) {
    CheckSpan(s, span, "ipc/jail");
  }
  for (const policy::JailFlag& flag : p.jail.allow) CheckSpan(s, flag.span, flag.name);
  for (const policy::JailParam& param : p.jail.params) {
    CheckNoNul(param.value, param.name);
    CheckSpan(s, param.span, param.name);
  }

  const policy::Filesystem& fs = p.filesystem;
  CheckNoNul(fs.root.path, "filesystem.root");
  CheckNoNul(fs.root.zfs_snapshot, "filesystem.root snapshot");
  CheckSpan(s, fs.root.span, "filesystem.root");
  CheckSpan(s, fs.span, "filesystem");
  for (const policy::Mount& m : fs.mounts) {
    CheckNoNul(m.source, "mount source");
    CheckNoNul(m.target, "mount target");
    CheckSpan(s, m.span, "mount");
  }
  for (const policy::Scratch& scratch : fs.scratch) {
    CheckNoNul(scratch.target, "scratch");
    CheckSpan(s, scratch.span, "scratch");
  }
  for (const policy::Symlink& link : fs.symlinks) {
    CheckNoNul(link.path, "symlink path");
    CheckNoNul(link.target, "symlink target");
    CheckSpan(s, link.span, "symlink");
  }
  CheckSpan(s, p.network.span, "network");
  CheckSpan(s, p.network.mode_span, "network.mode");
  for (const policy::EgressRule& rule : p.network.egress) CheckSpan(s, rule.span, "egress");
  for (const policy::Limit& limit : p.limits) CheckSpan(s, limit.span, limit.resource);
  for (const policy::BsdExtendedRule& rule : p.mac.bsdextended) {
    if (rule.object_filesys) CheckNoNul(rule.object_filesys->second, "mac filesys");
    CheckSpan(s, rule.span, "mac.bsdextended");
  }
  for (const policy::PortAclRule& rule : p.mac.portacl) CheckSpan(s, rule.span, "mac.portacl");
  for (const policy::Acceptance& a : p.accept_approximate) CheckSpan(s, a.span, a.clause);

  for (policy::Target target : policy::kAllTargets) {
    for (const policy::ClauseDescription& clause : policy::DescribePolicy(p, target)) {
      CheckSpan(s, clause.span, clause.clause);
      CheckTerminalSafe(clause.title, "explain title");
      for (const std::string& line : clause.lines)
        CheckTerminalSafe(line, "explain " + clause.clause);
    }
  }

  // Whatever the compiler writes, the audited parser reads back unchanged.
  if (p.exec.command.empty()) return;
  for (policy::Target target : policy::kAllTargets) {
    enforce::ManifestOptions options;
    if (target == policy::Target::kFreeBsd) {
      options.interpreter = "/libexec/ld-elf.so.1";
      options.library_dirs = {"/lib", "/usr/lib"};
      options.preload = "/.stockade/libstockade-preopen.so";
    }
    Expected<launch::Manifest> manifest = enforce::BuildManifest(p, target, options);
    STOCKADE_CHECK(manifest) << "no manifest for a checked policy: " << manifest.error().message();
    const std::string text = launch::WriteManifest(*manifest);
    Expected<launch::Manifest> parsed = launch::ParseManifest(text);
    STOCKADE_CHECK(parsed) << "the launcher refuses the manifest stockade wrote: "
                           << parsed.error().message() << "\n"
                           << text;
    STOCKADE_CHECK(*parsed == *manifest) << "the manifest changed on the way:\n" << text;
  }
}

}  // namespace
}  // namespace stockade::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto input = stockade::fuzz::CheckInput(data, size);
  stockade::fuzz::CheckDiagnostics(*input);
  if (input->policy) stockade::fuzz::CheckIr(*input);
  return 0;
}
