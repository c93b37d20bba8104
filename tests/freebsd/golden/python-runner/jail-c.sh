#!/bin/sh
# jail.conf's stanza as one jail(8) command line, one parameter per argument (a repeated
# parameter appends, as '+=' does). Creates the jail like 'jail -f jail.conf -c py-runner'.
exec /usr/sbin/jail \
  -c \
  name=py-runner \
  path=/var/run/stockade/py-runner/root \
  host.hostname=sandbox \
  persist=true \
  securelevel=3 \
  enforce_statfs=2 \
  children.max=0 \
  devfs_ruleset=5300 \
  sysvshm=disable \
  sysvmsg=disable \
  sysvsem=disable \
  ip4=disable \
  ip6=disable \
  mount.procfs=true \
  'mount=/usr/local/libexec/stockade /var/run/stockade/py-runner/root/.stockade nullfs ro 0 0' \
  'mount=/var/run/stockade/py-runner/run /var/run/stockade/py-runner/root/.stockade-run nullfs ro 0 0' \
  'mount=devfs /var/run/stockade/py-runner/root/dev devfs ruleset=5300 0 0' \
  'mount=/etc/alternatives /var/run/stockade/py-runner/root/etc/alternatives nullfs ro 0 0' \
  'mount=/etc/ssl /var/run/stockade/py-runner/root/etc/ssl nullfs ro 0 0' \
  'mount=tmpfs /var/run/stockade/py-runner/root/tmp tmpfs rw,mode=1777,size=67108864 0 0' \
  'mount=/usr /var/run/stockade/py-runner/root/usr nullfs ro 0 0' \
  'mount=tmpfs /var/run/stockade/py-runner/root/work tmpfs rw,mode=1777,size=67108864 0 0' \
  'exec.prepare=if ! { test -x /usr/local/libexec/stockade/stockade-launch && test -r /usr/local/libexec/stockade/libstockade-preopen.so; }; then echo '\''stockade: install stockade-launch and libstockade-preopen.so in /usr/local/libexec/stockade'\'' >&2; exit 1; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade && /bin/mkdir -m 0700 /var/run/stockade/py-runner && /bin/mkdir -m 0755 /var/run/stockade/py-runner/run && printf '\''%s\n'\'' '\''stockade-manifest 1'\'' '\''program /usr/bin/python3'\'' '\''arg /usr/bin/python3'\'' '\''workdir /work'\'' '\''user nobody'\'' '\''group nogroup'\'' '\''env-clean 1'\'' '\''env-keep TERM'\'' '\''env-set PATH=/usr/local/bin:/usr/bin:/bin'\'' '\''env-set HOME=/work'\'' '\''env-set LANG=C.UTF-8'\'' '\''env-set PYTHONDONTWRITEBYTECODE=1'\'' '\''capability-mode 0'\'' '\''interpreter /libexec/ld-elf.so.1'\'' '\''library-dir /lib'\'' '\''library-dir /usr/lib'\'' '\''library-dir /usr/local/lib'\'' '\''preload /.stockade/libstockade-preopen.so'\'' '\''keep 0'\'' '\''keep 1'\'' '\''keep 2'\'' end > /var/run/stockade/py-runner/run/manifest && /bin/chmod 0444 /var/run/stockade/py-runner/run/manifest' \
  'exec.prepare=/bin/mkdir /var/run/stockade/py-runner/root && /sbin/mount -t tmpfs -o rw,mode=0755,size=16777216 tmpfs /var/run/stockade/py-runner/root' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/py-runner/root/.stockade /var/run/stockade/py-runner/root/.stockade-run /var/run/stockade/py-runner/root/dev /var/run/stockade/py-runner/root/etc/alternatives /var/run/stockade/py-runner/root/etc/ssl /var/run/stockade/py-runner/root/proc /var/run/stockade/py-runner/root/tmp /var/run/stockade/py-runner/root/usr /var/run/stockade/py-runner/root/work' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/py-runner/root && if test -L /var/run/stockade/py-runner/root/bin && test "$(/usr/bin/readlink /var/run/stockade/py-runner/root/bin)" = usr/bin; then :; elif test -e /var/run/stockade/py-runner/root/bin || test -L /var/run/stockade/py-runner/root/bin; then echo '\''stockade: symlink /bin is taken by something else at /var/run/stockade/py-runner/root/bin'\'' >&2; exit 1; else /bin/ln -s usr/bin /var/run/stockade/py-runner/root/bin; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/py-runner/root && if test -L /var/run/stockade/py-runner/root/lib && test "$(/usr/bin/readlink /var/run/stockade/py-runner/root/lib)" = usr/lib; then :; elif test -e /var/run/stockade/py-runner/root/lib || test -L /var/run/stockade/py-runner/root/lib; then echo '\''stockade: symlink /lib is taken by something else at /var/run/stockade/py-runner/root/lib'\'' >&2; exit 1; else /bin/ln -s usr/lib /var/run/stockade/py-runner/root/lib; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/py-runner/root && if test -L /var/run/stockade/py-runner/root/lib64 && test "$(/usr/bin/readlink /var/run/stockade/py-runner/root/lib64)" = usr/lib64; then :; elif test -e /var/run/stockade/py-runner/root/lib64 || test -L /var/run/stockade/py-runner/root/lib64; then echo '\''stockade: symlink /lib64 is taken by something else at /var/run/stockade/py-runner/root/lib64'\'' >&2; exit 1; else /bin/ln -s usr/lib64 /var/run/stockade/py-runner/root/lib64; fi' \
  'exec.prepare=if [ -z "$(/sbin/devfs rule -s 5300 show 2>/dev/null)" ]; then /sbin/devfs rule -s 5300 add hide && /sbin/devfs rule -s 5300 add path null unhide && /sbin/devfs rule -s 5300 add path zero unhide && /sbin/devfs rule -s 5300 add path full unhide && /sbin/devfs rule -s 5300 add path random unhide && /sbin/devfs rule -s 5300 add path urandom unhide && /sbin/devfs rule -s 5300 add path tty unhide; fi' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.racct.enable 2>/dev/null)" = 1; }; then echo '\''stockade: rctl needs kern.racct.enable=1 in /boot/loader.conf'\'' >&2; exit 1; fi' \
  'exec.prepare=/usr/bin/rctl -a jail:py-runner:memoryuse:deny=536870912 && /usr/bin/rctl -a jail:py-runner:maxproc:deny=64 && /usr/bin/rctl -a jail:py-runner:openfiles:deny=256 && /usr/bin/rctl -a jail:py-runner:pcpu:deny=100 && /usr/bin/rctl -a jail:py-runner:wallclock:sigkill=120 && /usr/bin/rctl -a jail:py-runner:wallclock:sigkill=60/process && /usr/bin/rctl -a jail:py-runner:coredumpsize:deny=0' \
  'exec.release=/usr/bin/rctl -r jail:py-runner:memoryuse:deny=536870912 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:py-runner:maxproc:deny=64 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:py-runner:openfiles:deny=256 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:py-runner:pcpu:deny=100 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:py-runner:wallclock:sigkill=120 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:py-runner:wallclock:sigkill=60/process 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:py-runner:coredumpsize:deny=0 2>/dev/null || true' \
  'exec.release=/sbin/umount /var/run/stockade/py-runner/root 2>/dev/null || true' \
  'exec.release=/bin/rm -f /var/run/stockade/py-runner/run/manifest; /bin/rmdir /var/run/stockade/py-runner/run /var/run/stockade/py-runner/root /var/run/stockade/py-runner 2>/dev/null || true'
