#!/bin/sh
# jail.conf's stanza as one jail(8) command line, one parameter per argument (a repeated
# parameter appends, as '+=' does). Creates the jail like 'jail -f jail.conf -c static-svc'.
exec /usr/sbin/jail \
  -c \
  name=static-svc \
  path=/var/run/stockade/static-svc/root \
  host.hostname=static-svc \
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
  'mount=/usr/local/libexec/stockade /var/run/stockade/static-svc/root/.stockade nullfs ro 0 0' \
  'mount=/var/run/stockade/static-svc/run /var/run/stockade/static-svc/root/.stockade-run nullfs ro 0 0' \
  'mount=/srv/static-svc /var/run/stockade/static-svc/root/app nullfs ro 0 0' \
  'mount=/srv/static-svc-state /var/run/stockade/static-svc/root/app/state nullfs rw 0 0' \
  'exec.prepare=if ! { test -x /usr/local/libexec/stockade/stockade-launch && test -r /usr/local/libexec/stockade/libstockade-preopen.so; }; then echo '\''stockade: install stockade-launch and libstockade-preopen.so in /usr/local/libexec/stockade'\'' >&2; exit 1; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade && /bin/mkdir -m 0700 /var/run/stockade/static-svc && /bin/mkdir -m 0755 /var/run/stockade/static-svc/run && printf '\''%s\n'\'' '\''stockade-manifest 1'\'' '\''program /app/bin/svc'\'' '\''arg /app/bin/svc'\'' '\''arg --data-fd=3'\'' '\''arg --state-fd=4'\'' '\''workdir /'\'' '\''user 2000'\'' '\''group 2000'\'' '\''env-clean 1'\'' '\''env-set SERVICE_DATA_FD=3'\'' '\''env-set SERVICE_STATE_FD=4'\'' '\''capability-mode 1'\'' '\''interpreter /libexec/ld-elf.so.1'\'' '\''library-dir /lib'\'' '\''library-dir /usr/lib'\'' '\''library-dir /usr/local/lib'\'' '\''preload /.stockade/libstockade-preopen.so'\'' '\''keep 0'\'' '\''keep 1'\'' '\''keep 2'\'' '\''open 3 rdonly,directory 600 /app/data'\'' '\''open 4 rdonly,directory 600 /app/state'\'' '\''rights 0 0x200004300080001 0x400000000000020'\'' '\''rights 1 0x200004000080002 0x400000000000020'\'' '\''rights 2 0x200000000080002 0x400000000000000'\'' '\''rights 3 0x20000000008841d 0x400000000000000'\'' '\''fcntls 3 0x8'\'' '\''rights 4 0x20004001488074f 0x400000000000000'\'' end > /var/run/stockade/static-svc/run/manifest && /bin/chmod 0444 /var/run/stockade/static-svc/run/manifest' \
  'exec.prepare=/bin/mkdir /var/run/stockade/static-svc/root && /sbin/mount -t tmpfs -o rw,mode=0755,size=4194304 tmpfs /var/run/stockade/static-svc/root' \
  'exec.prepare=if ! { test -d /srv/static-svc/state; }; then echo '\''stockade: mount point /app/state must exist as directory /srv/static-svc/state'\'' >&2; exit 1; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/static-svc/root/.stockade /var/run/stockade/static-svc/root/.stockade-run /var/run/stockade/static-svc/root/app' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.racct.enable 2>/dev/null)" = 1; }; then echo '\''stockade: rctl needs kern.racct.enable=1 in /boot/loader.conf'\'' >&2; exit 1; fi' \
  'exec.prepare=/usr/bin/rctl -a jail:static-svc:memoryuse:deny=268435456 && /usr/bin/rctl -a jail:static-svc:maxproc:deny=8 && /usr/bin/rctl -a jail:static-svc:openfiles:deny=64 && /usr/bin/rctl -a jail:static-svc:nthr:deny=16 && /usr/bin/rctl -a jail:static-svc:wallclock:sigkill=300/process && /usr/bin/rctl -a jail:static-svc:coredumpsize:deny=0' \
  'exec.release=/usr/bin/rctl -r jail:static-svc:memoryuse:deny=268435456 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:static-svc:maxproc:deny=8 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:static-svc:openfiles:deny=64 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:static-svc:nthr:deny=16 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:static-svc:wallclock:sigkill=300/process 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:static-svc:coredumpsize:deny=0 2>/dev/null || true' \
  'exec.release=/sbin/umount /var/run/stockade/static-svc/root 2>/dev/null || true' \
  'exec.release=/bin/rm -f /var/run/stockade/static-svc/run/manifest; /bin/rmdir /var/run/stockade/static-svc/run /var/run/stockade/static-svc/root /var/run/stockade/static-svc 2>/dev/null || true'
