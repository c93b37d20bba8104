#!/bin/sh
# jail.conf's stanza as one jail(8) command line, one parameter per argument (a repeated
# parameter appends, as '+=' does). Creates the jail like 'jail -f jail.conf -c ci-build'.
exec /usr/sbin/jail \
  -c \
  name=ci-build \
  path=/var/run/stockade/ci-build/root \
  host.hostname=ci-runner \
  persist=true \
  securelevel=2 \
  enforce_statfs=2 \
  children.max=0 \
  devfs_ruleset=5300 \
  sysvshm=new \
  sysvmsg=new \
  sysvsem=new \
  vnet=new \
  vnet.interface=stk542386ab34b \
  mount.procfs=true \
  'mount=/usr/local/libexec/stockade /var/run/stockade/ci-build/root/.stockade nullfs ro 0 0' \
  'mount=/var/run/stockade/ci-build/run /var/run/stockade/ci-build/root/.stockade-run nullfs ro 0 0' \
  'mount=tmpfs /var/run/stockade/ci-build/root/build tmpfs rw,mode=1777,size=8589934592 0 0' \
  'mount=devfs /var/run/stockade/ci-build/root/dev devfs ruleset=5300 0 0' \
  'mount=/srv/ci/checkouts/current /var/run/stockade/ci-build/root/src nullfs ro 0 0' \
  'mount=tmpfs /var/run/stockade/ci-build/root/tmp tmpfs rw,mode=1777,size=2147483648 0 0' \
  'exec.prepare=if ! { test -x /usr/local/libexec/stockade/stockade-launch && test -r /usr/local/libexec/stockade/libstockade-preopen.so; }; then echo '\''stockade: install stockade-launch and libstockade-preopen.so in /usr/local/libexec/stockade'\'' >&2; exit 1; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade && /bin/mkdir -m 0700 /var/run/stockade/ci-build && /bin/mkdir -m 0755 /var/run/stockade/ci-build/run && printf '\''%s\n'\'' '\''stockade-manifest 1'\'' '\''program /usr/bin/make'\'' '\''arg /usr/bin/make'\'' '\''arg -C'\'' '\''arg /src'\'' '\''arg O=/build'\'' '\''arg -j2'\'' '\''workdir /build'\'' '\''user 1000'\'' '\''group 1000'\'' '\''env-clean 1'\'' '\''env-keep CI'\'' '\''env-keep CI_COMMIT_SHA'\'' '\''env-keep CI_JOB_ID'\'' '\''env-keep MAKEFLAGS'\'' '\''env-set PATH=/usr/local/bin:/usr/bin:/bin'\'' '\''env-set HOME=/build'\'' '\''env-set LANG=C.UTF-8'\'' '\''capability-mode 0'\'' '\''interpreter /libexec/ld-elf.so.1'\'' '\''library-dir /lib'\'' '\''library-dir /usr/lib'\'' '\''library-dir /usr/local/lib'\'' '\''preload /.stockade/libstockade-preopen.so'\'' '\''keep 0'\'' '\''keep 1'\'' '\''keep 2'\'' end > /var/run/stockade/ci-build/run/manifest && /bin/chmod 0444 /var/run/stockade/ci-build/run/manifest' \
  'exec.prepare=referenced=$(/sbin/zfs get -H -p -o value referenced zroot/ci/debian-12-build@2026-11-20) && /sbin/zfs clone -p -o mountpoint=/var/run/stockade/ci-build/root -o refquota=$((referenced + 1073741824)) zroot/ci/debian-12-build@2026-11-20 zroot/stockade/ci-build' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/ci-build/root/.stockade /var/run/stockade/ci-build/root/.stockade-run /var/run/stockade/ci-build/root/build /var/run/stockade/ci-build/root/dev /var/run/stockade/ci-build/root/proc /var/run/stockade/ci-build/root/src /var/run/stockade/ci-build/root/tmp' \
  'exec.prepare=if [ -z "$(/sbin/devfs rule -s 5300 show 2>/dev/null)" ]; then /sbin/devfs rule -s 5300 add hide && /sbin/devfs rule -s 5300 add path null unhide && /sbin/devfs rule -s 5300 add path zero unhide && /sbin/devfs rule -s 5300 add path full unhide && /sbin/devfs rule -s 5300 add path random unhide && /sbin/devfs rule -s 5300 add path urandom unhide && /sbin/devfs rule -s 5300 add path tty unhide; fi' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.racct.enable 2>/dev/null)" = 1; }; then echo '\''stockade: rctl needs kern.racct.enable=1 in /boot/loader.conf'\'' >&2; exit 1; fi' \
  'exec.prepare=/usr/bin/rctl -a jail:ci-build:memoryuse:deny=8589934592 && /usr/bin/rctl -a jail:ci-build:maxproc:deny=1024 && /usr/bin/rctl -a jail:ci-build:openfiles:deny=65536 && /usr/bin/rctl -a jail:ci-build:cputime:sigkill=7200 && /usr/bin/rctl -a jail:ci-build:wallclock:sigkill=10800 && /usr/bin/rctl -a jail:ci-build:writebps:throttle=209715200 && /usr/bin/rctl -a jail:ci-build:wallclock:sigkill=7200/process && /usr/bin/rctl -a jail:ci-build:coredumpsize:deny=0' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.features.vimage 2>/dev/null)" = 1; }; then echo '\''stockade: network: vnet needs a kernel with VIMAGE'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s info 2>/dev/null | /usr/bin/grep -q '\''^Status: Enabled'\''; }; then echo '\''stockade: pf is not enabled (pfctl -e): the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s rules 2>/dev/null | /usr/bin/grep -Fq '\''anchor "stockade/*"'\''; }; then echo '\''stockade: pf.conf has no '\''\'\'''\''anchor "stockade/*"'\''\'\'''\'': the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=printf '\''%s\n'\'' '\''pass out on stk542386ab34a all keep state'\'' '\''pass in quick on stk542386ab34a inet proto tcp from 10.77.4.2 to 10.0.0.10/32 port 443 keep state'\'' '\''pass in quick on stk542386ab34a inet proto udp from 10.77.4.2 to 10.0.0.53/32 port 53 keep state'\'' '\''pass in quick on stk542386ab34a inet proto tcp from 10.77.4.2 to 10.0.0.53/32 port 53 keep state'\'' '\''block return in quick on stk542386ab34a all'\'' | /sbin/pfctl -a stockade/ci-build -f -' \
  'exec.prepare=epair=$(/sbin/ifconfig epair create) && /sbin/ifconfig "$epair" name stk542386ab34a >/dev/null && /sbin/ifconfig "${epair%a}b" name stk542386ab34b >/dev/null' \
  'exec.prepare=/sbin/ifconfig stk542386ab34a description '\''stockade ci-build'\'' up && /sbin/ifconfig stk542386ab34a inet 10.77.4.1/24 alias' \
  'exec.prestart=if ! { test -x /var/run/stockade/ci-build/root/sbin/ifconfig && test -x /var/run/stockade/ci-build/root/sbin/route; }; then echo '\''stockade: network: vnet configures the jail'\''\'\'''\''s addresses with /sbin/ifconfig and /sbin/route inside the jail, and the root has none'\'' >&2; exit 1; fi' \
  'exec.start=/sbin/ifconfig lo0 inet 127.0.0.1/8 up' \
  'exec.start=/sbin/ifconfig stk542386ab34b inet 10.77.4.2/24 up' \
  'exec.start=/sbin/route -n add -inet default 10.77.4.1' \
  'exec.release=/sbin/pfctl -a stockade/ci-build -F rules 2>/dev/null || true' \
  'exec.release=if /sbin/ifconfig stk542386ab34a >/dev/null 2>&1; then /sbin/ifconfig stk542386ab34a destroy; fi' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:memoryuse:deny=8589934592 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:maxproc:deny=1024 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:openfiles:deny=65536 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:cputime:sigkill=7200 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:wallclock:sigkill=10800 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:writebps:throttle=209715200 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:wallclock:sigkill=7200/process 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:ci-build:coredumpsize:deny=0 2>/dev/null || true' \
  'exec.release=if /sbin/zfs list -H -o name zroot/stockade/ci-build >/dev/null 2>&1; then /sbin/zfs destroy zroot/stockade/ci-build || echo '\''stockade: could not destroy zroot/stockade/ci-build'\'' >&2; fi' \
  'exec.release=/bin/rm -f /var/run/stockade/ci-build/run/manifest; /bin/rmdir /var/run/stockade/ci-build/run /var/run/stockade/ci-build/root /var/run/stockade/ci-build 2>/dev/null || true'
