#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Writes the inputs of the policy fuzzers that come from the project's own files:
#   make_inputs.py seeds DIR   every policy of examples/ and tests/golden/, bundled with every
#                              file its 'extends' chain reaches in fuzz/policy_input.h's format
#                              ("#@ NAME" starts the in-memory file /fuzz/NAME);
#   make_inputs.py plan-seeds DIR
#                              the same policies made plannable on any Debian host, for
#                              plan_fuzzer: host paths under /srv become directories every
#                              Debian system has, service users become nobody, vnet becomes
#                              none (linux-sim plans no virtual links yet);
#   make_inputs.py dict FILE   fuzz/dicts/policy.dict: the language's keys and words, and every
#                              name of the tables (syscalls, groups, rights, constants, errnos,
#                              jail parameters, rctl resources, signals).
# scripts/fuzz.sh --seed runs both. The results are checked in: the fuzzers and the replay tests
# never read outside fuzz/.
import hashlib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_FILES = 8  # fuzz/policy_input.h, kMaxFiles


def extends_of(text):
    """The file names a policy's top-level 'extends' names (a scalar or a flow/block list)."""
    names = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"extends:\s*(.*?)\s*(#.*)?$", line)
        if not m:
            continue
        value = m.group(1)
        if value.startswith("["):
            names += [v.strip().strip("'\"") for v in value.strip("[]").split(",") if v.strip()]
        elif value:
            names.append(value.strip("'\""))
        else:
            for item in lines[i + 1:]:
                im = re.match(r"\s+-\s*(.*?)\s*(#.*)?$", item)
                if not im:
                    break
                names.append(im.group(1).strip("'\""))
    return names


def bundle(path):
    root_dir = os.path.dirname(path)
    files, queue = {}, [path]
    while queue and len(files) < MAX_FILES:
        current = queue.pop(0)
        name = os.path.relpath(current, root_dir)
        if name in files or not os.path.isfile(current):
            continue
        with open(current, "rb") as f:
            files[name] = f.read()
        for base in extends_of(files[name].decode("utf-8", "replace")):
            queue.append(os.path.normpath(os.path.join(os.path.dirname(current), base)))
    out = files.pop(os.path.basename(path))
    for name, text in files.items():
        if not out.endswith(b"\n"):
            out += b"\n"
        out += b"#@ " + name.encode() + b"\n" + text
    return out


# Keys and words of the language that no table holds, and the YAML and condition syntax the
# loader and the condition parser treat specially.
WORDS = """version name hostname extends exec syscalls descriptors capability_mode ipc jail
filesystem network limits mac accept_approximate user group workdir env clean keep set timeout
core_dumps command default justification allow deny linux freebsd when action errno kill trap
log fd path type flags mode rights ioctls fcntls stdin stdout stderr file directory rdonly wronly
rdwr append creat trunc excl nofollow sync nonblock exec allow.sysvipc sysvshm sysvmsg sysvsem
inherit new disable securelevel enforce_statfs children.max devfs_ruleset root mounts scratch
symlinks proc dev empty template zfs_snapshot readonly size source target none vnet host
addresses gateway egress to proto port ports tcp udp amount deny devctl throttle bsdextended
portacl subject object uid gid jailid filesys suid sgid uid_of_subject gid_of_subject clause
backend true false null yes no""".split()
SYNTAX = ["version: 1\n", "name: t\n", ": ", "- ", "\n  ", "\n    - ", "[", "]", "{", "}",
          ", ", "\"", "'", "#", "#@ ", "#@ base.yaml\n", "extends: base.yaml\n", "---", "...",
          "&a ", "*a", "!!str ", "|\n", ">-\n", "? ", "\\0", "\\x1b", "\\u202e", "\\t",
          "\t", "\r\n", "\ufeff", "arg0", "arg5", " == ", " != ", " < ", " <= ", " > ",
          " >= ", " & ", "0x", "0o", "-1", "18446744073709551615", "4294967296", "1k", "64m",
          "1g", "10s", "500ms", "2h", "/", "/usr", "/tmp", "..", "./", "//", "0.0.0.0/0",
          "10.0.0.2/24", "::1", "fe80::/10", "65535", "0644", "@"]


def table_names():
    patterns = [
        ("policy/src/tables/linux_syscalls.inc", r"^STOCKADE_LINUX_SYSCALL\((\w+),"),
        ("policy/src/tables/freebsd_syscalls.inc", r"^STOCKADE_FREEBSD_SYSCALL\((\w+),"),
        ("policy/src/tables/linux_syscall_groups.inc", r'^\s+\{"(@[\w-]+)"'),
        ("policy/src/tables/freebsd_syscall_groups.inc", r'^\s+\{"(@[\w-]+)"'),
        ("policy/src/tables/constants.inc", r"^STOCKADE_CONSTANT\((\w+),"),
        ("policy/src/tables/errnos.inc", r"^STOCKADE_ERRNO\((\w+),"),
        ("policy/src/tables/jail_params.inc", r'^STOCKADE_JAIL_PARAM\("([^"]+)"'),
        ("policy/src/tables/rctl_resources.inc", r"^STOCKADE_RCTL_RESOURCE\((\w+),"),
        ("policy/src/tables/signals.inc", r"^STOCKADE_SIGNAL\((\w+),"),
        ("base/include/stockade/base/rights.def", r"^STOCKADE_RIGHT\((\w+),"),
    ]
    names = []
    for path, pattern in patterns:
        with open(os.path.join(ROOT, path)) as f:
            names += re.findall(pattern, f.read(), re.M)
    return names


def write_dict(path):
    def quote(text):
        out = ""
        for byte in text.encode():
            out += chr(byte) if 0x20 <= byte < 0x7F and byte not in b'"\\' else "\\x%02X" % byte
        return '"' + out + '"'

    entries, seen = [], set()
    for word in WORDS + SYNTAX + table_names() + ["sig" + s for s in ("kill", "term", "hup")]:
        if word not in seen:
            seen.add(word)
            entries.append(word)
    with open(path, "w") as f:
        f.write("# Generated by fuzz/make_inputs.py dict; do not edit.\n")
        f.write("# The policy language's keys and words, YAML and condition syntax, and every\n")
        f.write("# name of the project's tables. Used by policy_load_fuzzer and plan_fuzzer.\n")
        for word in entries:
            f.write(quote(word) + "\n")


# Directories every Debian host has, in place of the examples' /srv paths.
HOST_DIRS = ["/usr/share", "/usr/lib", "/var/lib", "/usr/include", "/etc", "/var/cache"]


def plannable(data):
    text = data.decode("utf-8", "replace")
    srv = {}
    def host_dir(m):
        srv.setdefault(m.group(0), HOST_DIRS[len(srv) % len(HOST_DIRS)])
        return srv[m.group(0)]
    text = re.sub(r"(?<=source: )/srv/[A-Za-z0-9_.@/-]+", host_dir, text)
    text = re.sub(r"(?<=path: )/srv/[A-Za-z0-9_.@/-]+", host_dir, text)
    text = re.sub(r"(user: )(unbound|postgres|www|\"[0-9]+\")", r"\1nobody", text)
    text = re.sub(r"(group: )(unbound|postgres|www|\"[0-9]+\")", r"\1nogroup", text)
    text = text.replace("mode: vnet", "mode: none")
    text = re.sub(r"\n  (addresses|gateway|egress):(.*\n    .*)*(.*)", "", text)
    return text.encode()


def write_seeds(out_dir, transform=None):
    os.makedirs(out_dir, exist_ok=True)
    sources = []
    for top in ("examples", "tests/golden"):
        for dirpath, _, names in os.walk(os.path.join(ROOT, top)):
            if os.sep + "bases" in dirpath:
                continue  # bases are bundled with the files that extend them
            sources += [os.path.join(dirpath, n) for n in names if n.endswith(".yaml")]
    for path in sorted(sources):
        data = bundle(path)
        if transform:
            data = transform(data)
        name = os.path.relpath(path, ROOT).replace(os.sep, "_")
        digest = hashlib.sha1(data).hexdigest()[:8]
        with open(os.path.join(out_dir, f"seed-{name[:-5]}-{digest}"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("seeds", "plan-seeds", "dict"):
        sys.exit("usage: make_inputs.py seeds DIR | plan-seeds DIR | dict FILE")
    if sys.argv[1] == "seeds":
        write_seeds(sys.argv[2])
    elif sys.argv[1] == "plan-seeds":
        write_seeds(sys.argv[2], plannable)
    else:
        write_dict(sys.argv[2])
