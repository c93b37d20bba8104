// SPDX-License-Identifier: BSD-2-Clause
// The MAC table: mac_bsdextended (ugidfw) rules as Landlock path-beneath rules and mac_portacl
// rules as Landlock network rules, computed for the program's identity over the sandbox's file
// systems. docs/linux-sim.md ("MAC rules (Landlock)") prints this table.
//
// mac_bsdextended is a deny-list evaluated per access (mac_bsdextended.c, ugidfw_rulecheck):
// the first rule whose subject and object match decides; a rule's mode lists what stays
// allowed; nothing matched means allowed. Landlock is an allow-list whose rights add up from a
// directory to everything beneath it (landlock(7)). So the rules are evaluated here, once, for
// the program's credential on every file system of the sandbox, object type and access kind;
// the result is the set of Landlock rights each file system keeps, and the rules realise it.
// Object conditions Landlock cannot see (owner, group, set-id bits) make a rule "maybe match":
// the allowed set keeps a right only when no possible object would be denied it (fail closed).

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "landlock_abi.h"
#include "mappings.h"
#include "stockade/linux_sim/tables.h"

namespace stockade::linux_sim::detail {
namespace {

namespace ll = landlock;
using enforce::ClauseFidelity;
using enforce::Fidelity;

// ---- mac_bsdextended's vocabulary ----------------------------------------------------------

// Object types as ugidfw's 'type' letters name them (ugidfw_grammar.txt).
enum ObjectType : uint8_t { kRegular, kDirectory, kBlock, kChar, kLink, kSocket, kFifo, kTypes };
using TypeSet = uint8_t;
constexpr TypeSet Of(ObjectType type) { return static_cast<TypeSet>(1u << type); }
constexpr TypeSet kAnyType = (1u << kTypes) - 1;
constexpr TypeSet kOpenable = Of(kRegular) | Of(kChar) | Of(kBlock) | Of(kFifo);
constexpr TypeSet kNotDirectory = kAnyType & ~Of(kDirectory);

// Access kinds, ugidfw's mode letters (MBI_READ ...): a rule's mode lists what stays allowed.
enum AccessBit : uint8_t { kRead = 1, kWrite = 2, kExec = 4, kStat = 8, kAdmin = 16 };
constexpr int kAccessKinds = 5;
int IndexOf(uint8_t bit) { return std::countr_zero(static_cast<unsigned>(bit)); }

// Every Landlock filesystem right linux-sim may handle. ioctl_dev is never handled:
// mac_bsdextended does not check ioctl(2).
constexpr uint64_t kUniverse = ((1ull << 15) - 1);

// One Landlock right and what mac_bsdextended checks for the operations it governs
// (mac_bsdextended.c: ugidfw_vnode_check_open, _exec, _readdir, _create, _unlink, _rename_*,
// _link; truncate is a write). All needs must be allowed; the right is kept for a file system
// only when every object type a need names is allowed there.
struct Need {
  uint8_t access = 0;  // 0: unused
  TypeSet types = 0;
};
struct RightRow {
  uint64_t right;
  std::string_view name;
  Need needs[2];
  std::string_view operation;  // for the table: what FreeBSD checks
};
constexpr RightRow kRights[] = {
    {ll::kFsExecute,
     "execute",
     {{kRead, Of(kRegular)}, {kExec, Of(kRegular)}},
     "executing a file: r and x on it"},
    {ll::kFsWriteFile, "write_file", {{kWrite, kOpenable}, {}}, "opening a file for writing: w"},
    {ll::kFsReadFile, "read_file", {{kRead, kOpenable}, {}}, "opening a file for reading: r"},
    {ll::kFsReadDir, "read_dir", {{kRead, Of(kDirectory)}, {}}, "listing a directory: r on it"},
    {ll::kFsRemoveDir,
     "remove_dir",
     {{kWrite, Of(kDirectory)}, {}},
     "removing a directory: w on it and on its parent"},
    {ll::kFsRemoveFile,
     "remove_file",
     {{kWrite, Of(kDirectory)}, {kWrite, kNotDirectory}},
     "removing a file: w on it and on its directory"},
    {ll::kFsMakeChar,
     "make_char",
     {{kWrite, Of(kDirectory)}, {}},
     "creating a character device: w on the directory"},
    {ll::kFsMakeDir,
     "make_dir",
     {{kWrite, Of(kDirectory)}, {}},
     "creating a directory: w on the parent"},
    {ll::kFsMakeReg,
     "make_reg",
     {{kWrite, Of(kDirectory)}, {}},
     "creating a file: w on the directory"},
    {ll::kFsMakeSock,
     "make_sock",
     {{kWrite, Of(kDirectory)}, {}},
     "creating a socket: w on the directory"},
    {ll::kFsMakeFifo,
     "make_fifo",
     {{kWrite, Of(kDirectory)}, {}},
     "creating a FIFO: w on the directory"},
    {ll::kFsMakeBlock,
     "make_block",
     {{kWrite, Of(kDirectory)}, {}},
     "creating a block device: w on the directory"},
    {ll::kFsMakeSym,
     "make_sym",
     {{kWrite, Of(kDirectory)}, {}},
     "creating a symbolic link: w on the directory"},
    {ll::kFsRefer,
     "refer",
     {{kWrite, Of(kDirectory)}, {kWrite, kAnyType}},
     "renaming or linking into another directory: w on both directories and the file"},
    {ll::kFsTruncate, "truncate", {{kWrite, Of(kRegular)}, {}}, "truncating a file: w on it"},
};

// What mac_bsdextended governs and Landlock cannot refuse: when a rule may deny one of these,
// its rule entry says so.
struct GapRow {
  uint8_t access;
  TypeSet types;
  bool writable_only;  // moot on a read-only mount, which refuses the change itself
  Fidelity fidelity;
  std::string_view what;
  std::string_view mechanism;
  std::string_view reason;
};
constexpr GapRow kGaps[] = {
    {kStat, kAnyType, false, Fidelity::kNotEnforced, "stat(2) and reading ACLs (s)", "nothing",
     "Landlock has no right for reading metadata"},
    {kAdmin, kAnyType, false, Fidelity::kNotEnforced,
     "changes of mode, owner, flags, times and ACLs (a)", "nothing",
     "Landlock has no right for metadata changes"},
    {kExec, Of(kDirectory), false, Fidelity::kApproximated, "directory search (x on a directory)",
     "every right on the file system and on those beneath it is withheld, except read_dir",
     "Landlock cannot refuse path lookups; withholding the rest keeps everything beneath from "
     "being opened, executed, created or removed, but stat(2) and listing still work there"},
    {kRead, kAnyType, false, Fidelity::kNotEnforced,
     "reading symbolic links and extended attributes (r)", "nothing",
     "readlink(2) and getxattr(2) are not Landlock rights"},
    {kWrite, kAnyType, true, Fidelity::kNotEnforced, "setting and removing extended attributes (w)",
     "nothing (a read-only mount refuses them)", "setxattr(2) is not a Landlock right"},
};

// The rows of the table that are not one right or one gap.
constexpr struct {
  std::string_view clause, mechanism;
  Fidelity fidelity;
  std::string_view reason;
} kBsdExtendedRows[] = {
    {"mac.bsdextended: subject uid, gid (names, ranges, not, !)",
     "compared with the program's uid, gid and groups when the sandbox is planned",
     Fidelity::kExact,
     "ugidfw compares the credential the same way; names are looked up in the host's passwd and "
     "group files, as ugidfw does when it loads a rule"},
    {"mac.bsdextended: rule order",
     "per file system, object type and access kind the first rule that applies decides; what no "
     "rule decides stays allowed",
     Fidelity::kExact, "security.mac.bsdextended.firstmatch_enabled=1, FreeBSD's default"},
    {"mac.bsdextended: object filesys PATH",
     "Landlock path-beneath rules on the sandbox's file system that holds PATH: the root, a "
     "mount, a scratch space, /dev or /proc, without the file systems mounted beneath it",
     Fidelity::kExact,
     "ugidfw matches the file system (fsid) holding PATH, and each nullfs mount, tmpfs, devfs "
     "and procfs of the jail is one"},
    {"mac.bsdextended: object uid, gid, suid, sgid, uid_of_subject, gid_of_subject",
     "the rule is taken to apply to every object of the file systems it can match where it "
     "denies, and not where it allows",
     Fidelity::kApproximated,
     "Landlock cannot see owners or set-id bits; failing closed, a denial reaches objects that "
     "FreeBSD would let through"},
    {"mac.bsdextended: object type",
     "matched per Landlock right: directory rights (read_dir, make_*, remove_*, refer) see "
     "directories, file rights see the file types they open",
     Fidelity::kApproximated,
     "exact for 'type d' and for rules that name every file type a right covers; read_file and "
     "write_file cannot tell regular files, devices and FIFOs apart"},
    {"mac.bsdextended: a file system beneath a more restricted one",
     "the directories on the way to it keep only the rights they share with it; their existing "
     "entries keep all of theirs (rules on each entry)",
     Fidelity::kApproximated,
     "Landlock rights add up from a directory to everything beneath it; new entries made directly "
     "in those directories get the shared rights only"},
    {"mac.bsdextended: mode letters on ioctl(2)", "Landlock ioctl_dev is never handled",
     Fidelity::kExact, "mac_bsdextended does not check ioctl(2)"},
    {"mac.bsdextended: uid 0 with jailed root's privileges",
     "no Landlock filesystem rules: uid 0 that keeps CAP_DAC_OVERRIDE is exempt", Fidelity::kExact,
     "ugidfw grants jailed root what its mode withholds (priv_check PRIV_VFS_*)"},
    {"mac.bsdextended: Landlock ABI 1 or 2",
     "ABI 1 has no refer: renaming or linking into another directory always fails; ABI 2 has no "
     "truncate",
     Fidelity::kApproximated, "the rights came with ABI 2 and 3"},
    {"mac.bsdextended: no Landlock", "nothing", Fidelity::kNotEnforced,
     "refused unless the policy accepts it"},
};

// ---- paths and the sandbox's file systems ----------------------------------------------------

bool Beneath(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path == dir ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

// Lexically normal: no empty, '.' or '..' components, no trailing slash (ugidfw takes any path).
std::string Normal(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view part = path.substr(start, slash - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  std::string out;
  for (std::string_view part : parts) out += "/" + std::string(part);
  return out.empty() ? "/" : out;
}

// A file system of the sandbox, as the policy makes it: what ugidfw calls 'filesys'.
struct FileSystem {
  std::string path;  // its mount point inside the sandbox
  std::string clause;
  // Writes are refused there anyway: a read-only mount, or the empty root's tmpfs, whose
  // entries root made 0755 for a program that is not root.
  bool readonly = false;
  std::string source;    // host directory of a bind mount (for the overlap check)
  uint64_t granted = 0;  // the Landlock rights the program keeps on it
  uint64_t inexact = 0;  // rights whose decision depends on what Landlock cannot see
  bool cut = false;      // directory search may be denied: its contents are withheld
};

// In the order FsPlanner mounts them; a later mount hides what an earlier one put at or
// beneath its target. Sorted by path, so a file system comes before those beneath it.
std::vector<FileSystem> FileSystemsOf(const policy::Filesystem& fs, bool root_owned_root) {
  std::vector<FileSystem> out;
  auto add = [&](const std::string& path, std::string clause, bool readonly, std::string source) {
    std::erase_if(out, [&](const FileSystem& f) { return Beneath(f.path, path); });
    out.push_back({path, std::move(clause), readonly, std::move(source)});
  };
  const bool bind_root = fs.root.kind == policy::RootFs::Kind::kDirectory;
  const bool empty_root = fs.root.kind == policy::RootFs::Kind::kEmpty;
  add("/", "filesystem.root", (bind_root && fs.root.readonly) || (empty_root && root_owned_root),
      bind_root ? fs.root.path : "");
  for (const policy::Mount& mount : fs.mounts) {
    add(mount.target, "filesystem.mounts", mount.readonly, mount.source);
  }
  for (const policy::Scratch& scratch : fs.scratch)
    add(scratch.target, "filesystem.scratch", false, "");
  if (fs.dev) add("/dev", "filesystem.dev", false, "");
  if (fs.proc) add("/proc", "filesystem.proc", false, "");
  std::sort(out.begin(), out.end(),
            [](const FileSystem& a, const FileSystem& b) { return a.path < b.path; });
  return out;
}

size_t FileSystemHolding(const std::vector<FileSystem>& fss, std::string_view path) {
  size_t best = 0;
  for (size_t i = 0; i < fss.size(); ++i) {
    if (Beneath(path, fss[i].path) && fss[i].path.size() >= fss[best].path.size()) best = i;
  }
  return best;
}

// ---- rules, compiled for the subject -------------------------------------------------------

enum class Match : uint8_t { kNo, kMaybe, kYes };

Match Negated(Match m, bool negated) {
  if (!negated || m == Match::kMaybe) return m;
  return m == Match::kYes ? Match::kNo : Match::kYes;
}

struct Range {
  uint32_t low = 0, high = 0;
};

Expected<uint32_t> LookupId(const std::string& text, bool user) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return value;
  std::vector<char> buffer(16384);
  if (user) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    getpwnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (found) return found->pw_uid;
    return Error(ErrorCode::kNotFound, "user '" + text + "' does not exist on this host");
  }
  struct group entry {};
  struct group* found = nullptr;
  getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found) return found->gr_gid;
  return Error(ErrorCode::kNotFound, "group '" + text + "' does not exist on this host");
}

Expected<Range> Resolve(const policy::IdRange& range, bool user) {
  const size_t colon = range.text.find(':');
  STOCKADE_ASSIGN_OR_RETURN(uint32_t low, LookupId(range.text.substr(0, colon), user));
  uint32_t high = low;
  if (colon != std::string::npos) {
    STOCKADE_ASSIGN_OR_RETURN(high, LookupId(range.text.substr(colon + 1), user));
  }
  return Range{low, high};
}

TypeSet TypesOf(const std::string& letters) {
  TypeSet types = 0;
  for (char c : letters) {
    switch (c) {
      case 'a':
        types = kAnyType;
        break;
      case 'r':
      case '-':
        types |= Of(kRegular);
        break;
      case 'd':
        types |= Of(kDirectory);
        break;
      case 'b':
        types |= Of(kBlock);
        break;
      case 'c':
        types |= Of(kChar);
        break;
      case 'l':
        types |= Of(kLink);
        break;
      case 's':
        types |= Of(kSocket);
        break;
      case 'p':
        types |= Of(kFifo);
        break;
      default:
        break;
    }
  }
  return types;
}

uint8_t ModeOf(const std::string& letters) {
  uint8_t mode = 0;
  for (char c : letters) {
    mode |= c == 'r'   ? kRead
            : c == 'w' ? kWrite
            : c == 'x' ? kExec
            : c == 's' ? kStat
            : c == 'a' ? kAdmin
                       : 0;
  }
  return mode;
}

struct Rule {
  const policy::BsdExtendedRule* source = nullptr;
  bool applies = false;  // the subject clause matches the program
  uint8_t mode = 0;
  std::optional<std::pair<size_t, bool>> filesys;  // (file system, negated)
  std::optional<std::pair<TypeSet, bool>> types;   // (types, negated)
  std::vector<std::string> unseen;                 // conditions Landlock cannot see
  // Filled by the evaluation: per file system, the access kinds this rule denies there (for
  // some object type it is reached for), and whether it may only match there.
  std::map<size_t, uint8_t> denies;
  std::set<size_t> reached, maybe;

  Match ObjectMatch(size_t fs, ObjectType type) const {
    Match m = Match::kYes;
    auto both = [&](Match c) {
      if (m == Match::kNo || c == Match::kNo) {
        m = Match::kNo;
      } else if (c == Match::kMaybe) {
        m = Match::kMaybe;
      }
    };
    if (filesys) both(Negated(filesys->first == fs ? Match::kYes : Match::kNo, filesys->second));
    if (types) both(Negated((types->first & Of(type)) ? Match::kYes : Match::kNo, types->second));
    if (!unseen.empty()) both(Match::kMaybe);
    return m;
  }
};

bool InRange(const Range& range, uint32_t id) { return id >= range.low && id <= range.high; }

Expected<Rule> Compile(const policy::BsdExtendedRule& r, const MacSubject& subject,
                       const std::vector<FileSystem>& fss) {
  Rule rule;
  rule.source = &r;
  rule.mode = ModeOf(r.mode);
  // A leading 'not' inverts every condition of its clause (ugidfw_grammar.txt); all conditions
  // must hold. The subject is known exactly: uid, ruid and svuid are the program's uid; its
  // groups are its gid and what MacSubject lists.
  bool applies = true;
  if (r.subject_uid) {
    STOCKADE_ASSIGN_OR_RETURN(Range range, Resolve(r.subject_uid->second, true));
    applies = applies && (InRange(range, subject.uid) != (r.subject_not != r.subject_uid->first));
  }
  if (r.subject_gid) {
    STOCKADE_ASSIGN_OR_RETURN(Range range, Resolve(r.subject_gid->second, false));
    bool member = InRange(range, subject.gid);
    for (gid_t g : subject.groups) member = member || InRange(range, g);
    applies = applies && (member != (r.subject_not != r.subject_gid->first));
  }
  rule.applies = applies;
  if (r.object_filesys) {
    rule.filesys.emplace(FileSystemHolding(fss, Normal(r.object_filesys->second)),
                         r.object_not != r.object_filesys->first);
  }
  if (r.object_type) {
    rule.types.emplace(TypesOf(r.object_type->second), r.object_not != r.object_type->first);
  }
  if (r.object_uid) rule.unseen.push_back("owner");
  if (r.object_gid) rule.unseen.push_back("group");
  if (r.object_uid_of_subject) rule.unseen.push_back("owner");
  if (r.object_gid_of_subject) rule.unseen.push_back("group");
  if (r.object_suid || r.object_sgid) rule.unseen.push_back("set-id bits");
  std::sort(rule.unseen.begin(), rule.unseen.end());
  rule.unseen.erase(std::unique(rule.unseen.begin(), rule.unseen.end()), rule.unseen.end());
  return rule;
}

// The decision for one (file system, object type, access kind) over every object Landlock
// cannot tell apart: which outcomes are possible, and the rules that may deny.
struct Cell {
  bool can_allow = false;
  bool can_deny = false;
  std::vector<size_t> deniers;
};

struct Decisions {
  // [file system][object type][access kind]
  std::vector<std::array<std::array<Cell, kAccessKinds>, kTypes>> cells;
  const Cell& at(size_t fs, int type, uint8_t access) const {
    return cells[fs][static_cast<size_t>(type)][static_cast<size_t>(IndexOf(access))];
  }
};

Decisions Evaluate(std::vector<Rule>& rules, size_t file_systems) {
  Decisions d;
  d.cells.resize(file_systems);
  for (size_t fs = 0; fs < file_systems; ++fs) {
    for (int type = 0; type < kTypes; ++type) {
      for (int k = 0; k < kAccessKinds; ++k) {
        const uint8_t access = static_cast<uint8_t>(1u << k);
        Cell& cell = d.cells[fs][static_cast<size_t>(type)][static_cast<size_t>(k)];
        bool decided = false;
        for (size_t i = 0; i < rules.size() && !decided; ++i) {
          Rule& rule = rules[i];
          if (!rule.applies) continue;
          const Match m = rule.ObjectMatch(fs, static_cast<ObjectType>(type));
          if (m == Match::kNo) continue;
          rule.reached.insert(fs);
          if (rule.mode & access) {
            cell.can_allow = true;
          } else {
            cell.can_deny = true;
            cell.deniers.push_back(i);
            rule.denies[fs] |= access;
            if (m == Match::kMaybe) rule.maybe.insert(fs);
          }
          decided = m == Match::kYes;  // a maybe lets the scan go on for objects it misses
        }
        if (!decided) cell.can_allow = true;
      }
    }
  }
  return d;
}

bool RuleDenies(const Decisions& d, size_t fs, const Need& need, size_t rule) {
  if (!need.access) return false;
  for (int type = 0; type < kTypes; ++type) {
    if (!(need.types & Of(static_cast<ObjectType>(type)))) continue;
    const Cell& cell = d.at(fs, type, need.access);
    if (std::find(cell.deniers.begin(), cell.deniers.end(), rule) != cell.deniers.end()) {
      return true;
    }
  }
  return false;
}

// ---- text ----------------------------------------------------------------------------------

std::string RightNames(uint64_t rights) {
  std::vector<std::string> names;
  constexpr uint64_t kMakes = ll::kFsMakeChar | ll::kFsMakeDir | ll::kFsMakeReg | ll::kFsMakeSock |
                              ll::kFsMakeFifo | ll::kFsMakeBlock | ll::kFsMakeSym;
  const bool all_makes = (rights & kMakes) == kMakes;
  bool makes_named = false;
  for (const RightRow& row : kRights) {
    if (!(rights & row.right)) continue;
    if (all_makes && (row.right & kMakes)) {
      if (!makes_named) names.emplace_back("make_*");
      makes_named = true;
      continue;
    }
    names.emplace_back(row.name);
  }
  return Join(names);
}

// "everything", "nothing", "only read_file read_dir" or "all but write_file truncate".
std::string RightsText(uint64_t rights, uint64_t universe) {
  rights &= universe;
  if (rights == universe) return "everything";
  if (rights == 0) return "nothing";
  if (std::popcount(rights) * 2 <= std::popcount(universe)) return "only " + RightNames(rights);
  return "all but " + RightNames(universe & ~rights);
}

std::string Located(const FileSystem& fs) { return fs.path + " (" + fs.clause + ")"; }

// ---- mac_bsdextended -----------------------------------------------------------------------

class BsdExtendedPlanner {
 public:
  BsdExtendedPlanner(const policy::Policy& policy, const HostFacts& host, const MacSubject& subject,
                     MacPlan& out)
      : policy_(policy), host_(host), subject_(subject), out_(out) {}

  Status Plan() {
    const auto& rules = policy_.mac.bsdextended;
    if (rules.empty()) return {};
    const policy::SourceSpan first = rules.front().span;
    if (subject_.fs_privileged) {
      for (const auto& rule : rules) {
        Add(rule.span, Fidelity::kExact,
            "does not restrict the program: uid 0 keeps jailed root's privileges "
            "(CAP_DAC_OVERRIDE), which mac_bsdextended lets through (PRIV_VFS_*), as on FreeBSD");
      }
      return {};
    }
    // As root, the init makes the empty root's directories; they are root's, mode 0755.
    fss_ = FileSystemsOf(policy_.filesystem, host_.root && subject_.uid != 0);
    for (const auto& rule : rules) {
      STOCKADE_ASSIGN_OR_RETURN(Rule compiled, Compile(rule, subject_, fss_));
      rules_.push_back(std::move(compiled));
    }
    decisions_ = Evaluate(rules_, fss_.size());
    Grant();
    uint64_t denied = 0;
    for (const FileSystem& fs : fss_) denied |= kUniverse & ~fs.granted;
    const int abi = host_.landlock_abi;
    const uint64_t known = ll::FsRightsOf(abi) & kUniverse;
    handled_ = denied & known;
    if (handled_) handled_ |= known & ll::kFsRefer;
    if (denied && abi == 0) {
      out_.unenforced.push_back("mac.bsdextended");
      for (const auto& rule : rules) {
        Add(rule.span, Fidelity::kNotEnforced,
            "this kernel has no Landlock, which linux-sim needs for mac_bsdextended rules");
      }
      return {};
    }
    if (handled_) Realise();
    ReportSummary(first, denied);
    for (size_t i = 0; i < rules_.size(); ++i) ReportRule(i);
    return {};
  }

 private:
  void Add(policy::SourceSpan span, Fidelity fidelity, std::string how) {
    out_.fidelity.push_back({"mac.bsdextended", span, fidelity, std::move(how)});
  }

  // The rights each file system keeps, then the search cut.
  void Grant() {
    for (size_t f = 0; f < fss_.size(); ++f) {
      FileSystem& fs = fss_[f];
      for (const RightRow& row : kRights) {
        bool denied_possible = false, allowed_possible = true;
        for (const Need& need : row.needs) {
          if (!need.access) continue;
          bool need_allowed = false;
          for (int type = 0; type < kTypes; ++type) {
            if (!(need.types & Of(static_cast<ObjectType>(type)))) continue;
            const Cell& cell = decisions_.at(f, type, need.access);
            denied_possible = denied_possible || cell.can_deny;
            need_allowed = need_allowed || cell.can_allow;
          }
          allowed_possible = allowed_possible && need_allowed;
        }
        if (!denied_possible) fs.granted |= row.right;
        if (denied_possible && allowed_possible) fs.inexact |= row.right;
      }
      // Search may be denied on directories of this file system: then FreeBSD reaches nothing
      // beneath them. Landlock cannot refuse the lookup, so withhold what lies beneath.
      if (decisions_.at(f, kDirectory, kExec).can_deny) {
        fs.cut = true;
        fs.granted &= ll::kFsReadDir;
      }
    }
    for (size_t f = 0; f < fss_.size(); ++f) {
      if (!fss_[f].cut) continue;
      for (size_t g = f + 1; g < fss_.size(); ++g) {
        if (Beneath(fss_[g].path, fss_[f].path)) fss_[g].granted &= fss_[f].granted;
      }
    }
  }

  // The Landlock rules that give each file system exactly its rights where Landlock can: a
  // rule on its mount point with what it shares with every file system beneath it, and where
  // that is less than its own, rules on the entries of the directories on the way down.
  void Realise() {
    LandlockPlan& l = out_.landlock;
    for (size_t f = 0; f < fss_.size(); ++f) {
      const FileSystem& fs = fss_[f];
      const Origin origin{fs.clause, {}};
      std::vector<size_t> below;  // file systems beneath this one
      std::vector<size_t> direct;
      for (size_t g = 0; g < fss_.size(); ++g) {
        if (g == f || !Beneath(fss_[g].path, fs.path)) continue;
        below.push_back(g);
        // Direct when no other file system lies between.
        bool between = false;
        for (size_t h = 0; h < fss_.size(); ++h) {
          between = between || (h != f && h != g && Beneath(fss_[h].path, fs.path) &&
                                Beneath(fss_[g].path, fss_[h].path));
        }
        if (!between) direct.push_back(g);
      }
      auto shared_beneath = [&](const std::string& dir) {
        uint64_t rights = fs.granted;
        for (size_t g : below) {
          if (Beneath(fss_[g].path, dir)) rights &= fss_[g].granted;
        }
        return rights;
      };
      const uint64_t base = shared_beneath(fs.path);
      AddPath(fs.path, base, origin);
      if (base == fs.granted) continue;
      // The directories of this file system that lead to the ones beneath it.
      std::set<std::string> dirs = {fs.path};
      for (size_t g : direct) {
        std::string dir = fss_[g].path;
        while (true) {
          const size_t slash = dir.rfind('/');
          dir = slash == 0 ? "/" : dir.substr(0, slash);
          if (!Beneath(dir, fs.path)) break;
          dirs.insert(dir);
          if (dir == fs.path) break;
        }
      }
      for (const std::string& dir : dirs) {
        const uint64_t own = shared_beneath(dir);
        if (dir != fs.path) AddPath(dir, own, origin);
        LandlockFsRule children;
        children.path = dir;
        children.access = fs.granted & handled_;
        children.children = true;
        children.origin = origin;
        for (size_t g : direct) {
          if (!Beneath(fss_[g].path, dir) || fss_[g].path == dir) continue;
          const size_t from = dir == "/" ? 1 : dir.size() + 1;
          const std::string next = fss_[g].path.substr(from, fss_[g].path.find('/', from) - from);
          if (std::find(children.except.begin(), children.except.end(), next) ==
              children.except.end()) {
            children.except.push_back(next);
          }
        }
        if (children.access) l.fs_rules.push_back(std::move(children));
        // What the directory itself loses: listing it, and making or removing entries in it
        // (and the file rights of entries made there later).
        constexpr uint64_t kDirectoryRights = kUniverse & ~ll::kFsFileRights;
        uint64_t lost = fs.granted & ~own & handled_;
        constexpr uint64_t kWrites =
            kUniverse & ~ll::kFsReadDir & ~ll::kFsReadFile & ~ll::kFsExecute;
        if (!(own & kWrites & kDirectoryRights & ~ll::kFsRemoveDir & ~ll::kFsRemoveFile &
              ~ll::kFsRefer)) {
          lost &= kDirectoryRights;  // nothing can be made in it: file rights are moot
        }
        if (fs.readonly) lost &= ~kWrites;  // refused by the mount or by ownership anyway
        if (lost) {
          losses_.push_back(dir + " (on the way to the file systems beneath it) keeps " +
                            RightsText(own, ll::FsRightsOf(host_.landlock_abi) & kUniverse) +
                            " for itself, not " + RightNames(lost));
        }
      }
    }
    l.handled_fs = handled_;
  }

  void AddPath(const std::string& path, uint64_t access, const Origin& origin) {
    if (!(access & handled_)) return;
    LandlockFsRule rule;
    rule.path = path;
    rule.access = access & handled_;
    rule.origin = origin;
    out_.landlock.fs_rules.push_back(std::move(rule));
  }

  void ReportRule(size_t i) {
    const Rule& rule = rules_[i];
    const policy::SourceSpan span = rule.source->span;
    if (!rule.applies) {
      Add(span, Fidelity::kExact,
          "does not apply to the program (" + SubjectText(subject_) + "), as on FreeBSD");
      return;
    }
    if (rule.reached.empty()) {
      Add(span, Fidelity::kExact,
          "never decides for the program: earlier rules decide first wherever its object "
          "matches, as on FreeBSD");
      return;
    }
    if (rule.denies.empty()) {
      std::vector<std::string> where;
      for (size_t f : rule.reached) where.push_back(fss_[f].path);
      Add(span, Fidelity::kExact,
          "first match on " + Join(where, ", ") +
              " for what it reaches there: allows it, so that later rules do not decide");
      return;
    }
    const int abi = host_.landlock_abi;
    std::vector<std::string> parts;
    std::set<std::string> gaps;
    bool enforced = false, inexact = false;
    for (const auto& [f, bits] : rule.denies) {
      const FileSystem& fs = fss_[f];
      uint64_t withheld = 0, loose = 0;
      for (const RightRow& row : kRights) {
        if (fs.granted & row.right) continue;
        if (RuleDenies(decisions_, f, row.needs[0], i) ||
            RuleDenies(decisions_, f, row.needs[1], i) ||
            (fs.cut && RuleDenies(decisions_, f, {kExec, Of(kDirectory)}, i))) {
          withheld |= row.right;
          if (fs.inexact & row.right) loose |= row.right;
        }
      }
      std::vector<std::string> notes;
      for (const GapRow& gap : kGaps) {
        if (gap.writable_only && fs.readonly) continue;
        if (RuleDenies(decisions_, f, {gap.access, gap.types}, i)) {
          gaps.insert(std::string(gap.what));
          if (gap.access == kExec) notes.push_back("directory search is refused by withholding");
        }
      }
      const uint64_t applied = withheld & handled_;
      enforced = enforced || applied;
      std::string part = Located(fs) + ": Landlock withholds " +
                         (applied ? RightNames(applied) : std::string("nothing"));
      if (!notes.empty()) part += " (" + Join(notes, "; ") + ")";
      if (withheld & ~applied & ll::kFsTruncate && abi < 3) {
        gaps.insert("truncating files (Landlock ABI 3)");
      }
      if (rule.maybe.count(f) && (loose & applied)) {
        part += "; Landlock cannot see " + Join(rule.unseen, ", ") + ", so " +
                RightNames(loose & applied) + " is withheld from every object there";
        inexact = true;
      } else if (loose & applied) {
        part += "; " + RightNames(loose & applied) +
                " is withheld from every object type it covers, which the rule tells apart";
        inexact = true;
      }
      parts.push_back(part);
    }
    std::string how = Join(parts, "; ");
    if (!gaps.empty()) {
      how += "; not refused as on FreeBSD: " + Join({gaps.begin(), gaps.end()}, ", ");
    }
    const bool exact = gaps.empty() && !inexact;
    Add(span,
        exact      ? Fidelity::kExact
        : enforced ? Fidelity::kApproximated
                   : Fidelity::kNotEnforced,
        how);
  }

  void ReportSummary(policy::SourceSpan span, uint64_t denied) {
    const int abi = host_.landlock_abi;
    if (!handled_) {
      Add(span, Fidelity::kExact,
          denied ? "what the rules deny the program (" + SubjectText(subject_) +
                       ") needs rights this kernel's Landlock ABI " + std::to_string(abi) +
                       " lacks; see the rules"
                 : "no rule denies the program (" + SubjectText(subject_) +
                       ") anything Landlock governs: no Landlock filesystem rules");
      return;
    }
    std::vector<std::string> per_fs;
    const uint64_t known = ll::FsRightsOf(abi) & kUniverse;
    for (const FileSystem& fs : fss_)
      per_fs.push_back(fs.path + " " + RightsText(fs.granted, known));
    std::string how = "Landlock ABI " + std::to_string(abi) +
                      " path-beneath rules from the first "
                      "applying rule for the program (" +
                      SubjectText(subject_) + ") on each file system: " + Join(per_fs, ", ");
    std::vector<std::string> notes = losses_;
    if (abi < 2) {
      notes.push_back(
          "Landlock ABI 1 has no refer right: renaming or linking a file into another "
          "directory always fails");
    }
    // Landlock rules follow inodes: a host directory shown twice (a mount source inside another
    // one, or inside the root directory) carries both file systems' rules on each view.
    for (const FileSystem& a : fss_) {
      for (const FileSystem& b : fss_) {
        if (&a == &b || a.source.empty() || b.source.empty() || a.granted == b.granted) continue;
        std::error_code ec;
        const std::string sa = std::filesystem::weakly_canonical(a.source, ec).string();
        const std::string sb = std::filesystem::weakly_canonical(b.source, ec).string();
        if (!ec && Beneath(sb, sa) && sa != sb) {
          notes.push_back("the host directory of " + b.path + " lies inside that of " + a.path +
                          ", whose view of it also carries " + b.path + "'s rights");
        }
      }
    }
    if (!notes.empty()) how += "; " + Join(notes, "; ");
    Add(span, notes.empty() ? Fidelity::kExact : Fidelity::kApproximated, how);
  }

  const policy::Policy& policy_;
  const HostFacts& host_;
  const MacSubject& subject_;
  MacPlan& out_;
  std::vector<FileSystem> fss_;
  std::vector<Rule> rules_;
  Decisions decisions_;
  uint64_t handled_ = 0;
  std::vector<std::string> losses_;
};

}  // namespace

uint64_t LandlockScopes(const HostFacts& host) {
  // linux-sim's own: the PID and network namespaces already keep outside processes and
  // (without network: host) abstract sockets away; the scopes hold even then.
  return host.landlock_abi >= 6 ? ll::kScopeSignal | ll::kScopeAbstractUnixSocket : 0;
}

MacSubject MacSubjectFor(uid_t uid, gid_t gid, const CapsPlan& caps, bool userns) {
  MacSubject subject;
  subject.uid = uid;
  subject.gid = gid;
  auto keeps = [&](int cap) {
    return std::find(caps.keep.begin(), caps.keep.end(), cap) != caps.keep.end();
  };
  subject.fs_privileged = uid == 0 && keeps(CAP_DAC_OVERRIDE);
  subject.bind_privileged = keeps(CAP_NET_BIND_SERVICE);
  if (userns) {
    // setgroups(2) is denied in the sandbox's user namespace, so the caller's supplementary
    // groups stay; unmapped, they show as the overflow gid.
    std::vector<gid_t> groups(static_cast<size_t>(std::max(0, getgroups(0, nullptr))));
    const int count = getgroups(static_cast<int>(groups.size()), groups.data());
    bool others = false;
    for (int i = 0; i < count; ++i) others = others || groups[static_cast<size_t>(i)] != getegid();
    if (others) {
      gid_t overflow = 65534;
      std::ifstream("/proc/sys/kernel/overflowgid") >> overflow;
      subject.groups.push_back(overflow);
    }
  }
  return subject;
}

Expected<MacPlan> PlanMac(const policy::Policy& policy, const HostFacts& host,
                          const MacSubject& subject) {
  MacPlan out;
  out.landlock.abi = host.landlock_abi;
  STOCKADE_RETURN_IF_ERROR(BsdExtendedPlanner(policy, host, subject, out).Plan());
  PlanPortAcl(policy, host, subject, out);
  out.landlock.scoped = LandlockScopes(host);
  LandlockPlan& l = out.landlock;
  l.enabled = l.handled_fs || l.handled_net || l.scoped;
  return out;
}

}  // namespace stockade::linux_sim::detail

namespace stockade::linux_sim {

std::vector<MappingRow> MacTable() {
  using detail::kBsdExtendedRows;
  using detail::kGaps;
  using detail::kRights;
  std::vector<MappingRow> rows;
  for (const auto& row : kBsdExtendedRows) {
    rows.push_back({std::string(row.clause), std::string(row.mechanism), row.fidelity,
                    std::string(row.reason)});
  }
  for (const detail::RightRow& row : kRights) {
    const int abi = row.right == detail::ll::kFsRefer      ? 2
                    : row.right == detail::ll::kFsTruncate ? 3
                                                           : 1;
    rows.push_back({"mac.bsdextended: " + std::string(row.operation),
                    "Landlock " + std::string(row.name) + " (ABI " + std::to_string(abi) + ")",
                    enforce::Fidelity::kExact,
                    "withheld on a file system where the first applying rule denies it"});
  }
  for (const detail::GapRow& gap : kGaps) {
    rows.push_back({"mac.bsdextended: " + std::string(gap.what), std::string(gap.mechanism),
                    gap.fidelity, std::string(gap.reason)});
  }
  for (MappingRow& row : detail::PortAclRows()) rows.push_back(std::move(row));
  return rows;
}

}  // namespace stockade::linux_sim
