#!/bin/sh
# The layering rules of docs/style.md, checked on the sources: includes point down only, no OS
# mechanism above the backends, and the launcher core never sees the policy layer.
set -u
cd "${1:-.}"
fail=0
no() {
  if grep -rnE "$2" "$1" --include='*.h' --include='*.cc' --include='*.inc'; then
    echo "layering: files under $1/ must not match: $2"
    fail=1
  fi
}
no base '#include [<"]stockade/(policy|enforce|launch|freebsd|linux_sim)/'
no policy '#include [<"](stockade/(enforce|launch|freebsd|linux_sim)/|seccomp\.h|cap-ng\.h|sys/capsicum\.h|linux/|sys/|unistd\.h|fcntl\.h)'
no policy '#if.*__(linux|FreeBSD)__'
no enforce '#include [<"](stockade/(freebsd|linux_sim)/|seccomp\.h|cap-ng\.h|sys/capsicum\.h|linux/)'
no enforce/launch '#include [<"](stockade/(policy|enforce)/|yaml-cpp)'
[ -d freebsd/src ] && no freebsd/src '#include [<"](stockade/linux_sim/|seccomp\.h|cap-ng\.h|linux/)'
[ -d linux-sim/src ] && no linux-sim '#include [<"]stockade/freebsd/'
# libstockade-capsicum is C loaded into other people's programs: of stockade it sees only the ABI.
if grep -rnE '#include [<"]stockade/' capsicum | grep -v 'stockade/base/capsicum_abi\.h'; then
  echo "layering: capsicum/ may include only stockade/base/capsicum_abi.h of stockade's headers"
  fail=1
fi
exit $fail
