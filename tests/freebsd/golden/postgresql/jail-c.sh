#!/bin/sh
# jail.conf's stanza as one jail(8) command line, one parameter per argument (a repeated
# parameter appends, as '+=' does). Creates the jail like 'jail -f jail.conf -c db-postgres'.
exec /usr/sbin/jail \
  -c \
  name=db-postgres \
  path=/var/run/stockade/db-postgres/root \
  host.hostname=db.example.internal \
  persist=true \
  securelevel=2 \
  enforce_statfs=2 \
  children.max=0 \
  devfs_ruleset=5300 \
  sysvshm=new \
  sysvmsg=disable \
  sysvsem=new \
  vnet=new \
  vnet.interface=stk950213beb5b \
  mount.procfs=true \
  'mount=/usr/local/libexec/stockade /var/run/stockade/db-postgres/root/.stockade nullfs ro 0 0' \
  'mount=/var/run/stockade/db-postgres/run /var/run/stockade/db-postgres/root/.stockade-run nullfs ro 0 0' \
  'mount=devfs /var/run/stockade/db-postgres/root/dev devfs ruleset=5300 0 0' \
  'mount=tmpfs /var/run/stockade/db-postgres/root/run/postgresql tmpfs rw,mode=1777,size=1048576 0 0' \
  'mount=tmpfs /var/run/stockade/db-postgres/root/tmp tmpfs rw,mode=1777,size=268435456 0 0' \
  'mount=/srv/pgdata/main /var/run/stockade/db-postgres/root/var/lib/postgresql/15/main nullfs rw 0 0' \
  'exec.prepare=if ! { test -x /usr/local/libexec/stockade/stockade-launch && test -r /usr/local/libexec/stockade/libstockade-preopen.so; }; then echo '\''stockade: install stockade-launch and libstockade-preopen.so in /usr/local/libexec/stockade'\'' >&2; exit 1; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade && /bin/mkdir -m 0700 /var/run/stockade/db-postgres && /bin/mkdir -m 0755 /var/run/stockade/db-postgres/run && printf '\''%s\n'\'' '\''stockade-manifest 1'\'' '\''program /usr/lib/postgresql/15/bin/postgres'\'' '\''arg /usr/lib/postgresql/15/bin/postgres'\'' '\''arg -D'\'' '\''arg /var/lib/postgresql/15/main'\'' '\''arg -c'\'' '\''arg listen_addresses=10.77.3.2'\'' '\''workdir /var/lib/postgresql'\'' '\''user postgres'\'' '\''group postgres'\'' '\''env-clean 1'\'' '\''env-set PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin'\'' '\''env-set LANG=C.UTF-8'\'' '\''env-set PGDATA=/var/lib/postgresql/15/main'\'' '\''capability-mode 0'\'' '\''interpreter /libexec/ld-elf.so.1'\'' '\''library-dir /lib'\'' '\''library-dir /usr/lib'\'' '\''library-dir /usr/local/lib'\'' '\''preload /.stockade/libstockade-preopen.so'\'' '\''keep 0'\'' '\''keep 1'\'' '\''keep 2'\'' end > /var/run/stockade/db-postgres/run/manifest && /bin/chmod 0444 /var/run/stockade/db-postgres/run/manifest' \
  'exec.prepare=referenced=$(/sbin/zfs get -H -p -o value referenced zroot/templates/postgresql-15@base) && /sbin/zfs clone -p -o mountpoint=/var/run/stockade/db-postgres/root -o refquota=$((referenced + 134217728)) zroot/templates/postgresql-15@base zroot/stockade/db-postgres' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/db-postgres/root/.stockade /var/run/stockade/db-postgres/root/.stockade-run /var/run/stockade/db-postgres/root/dev /var/run/stockade/db-postgres/root/proc /var/run/stockade/db-postgres/root/run/postgresql /var/run/stockade/db-postgres/root/tmp /var/run/stockade/db-postgres/root/var/lib/postgresql/15/main' \
  'exec.prepare=if [ -z "$(/sbin/devfs rule -s 5300 show 2>/dev/null)" ]; then /sbin/devfs rule -s 5300 add hide && /sbin/devfs rule -s 5300 add path null unhide && /sbin/devfs rule -s 5300 add path zero unhide && /sbin/devfs rule -s 5300 add path full unhide && /sbin/devfs rule -s 5300 add path random unhide && /sbin/devfs rule -s 5300 add path urandom unhide && /sbin/devfs rule -s 5300 add path tty unhide; fi' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.racct.enable 2>/dev/null)" = 1; }; then echo '\''stockade: rctl needs kern.racct.enable=1 in /boot/loader.conf'\'' >&2; exit 1; fi' \
  'exec.prepare=/usr/bin/rctl -a jail:db-postgres:memoryuse:deny=4294967296 && /usr/bin/rctl -a jail:db-postgres:shmsize:deny=1073741824 && /usr/bin/rctl -a jail:db-postgres:maxproc:deny=256 && /usr/bin/rctl -a jail:db-postgres:openfiles:deny=16384 && /usr/bin/rctl -a jail:db-postgres:nsem:deny=1024 && /usr/bin/rctl -a jail:db-postgres:coredumpsize:deny=0' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.features.vimage 2>/dev/null)" = 1; }; then echo '\''stockade: network: vnet needs a kernel with VIMAGE'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s info 2>/dev/null | /usr/bin/grep -q '\''^Status: Enabled'\''; }; then echo '\''stockade: pf is not enabled (pfctl -e): the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s rules 2>/dev/null | /usr/bin/grep -Fq '\''anchor "stockade/*"'\''; }; then echo '\''stockade: pf.conf has no '\''\'\'''\''anchor "stockade/*"'\''\'\'''\'': the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=printf '\''%s\n'\'' '\''pass out on stk950213beb5a all keep state'\'' '\''block return in quick on stk950213beb5a all'\'' | /sbin/pfctl -a stockade/db-postgres -f -' \
  'exec.prepare=epair=$(/sbin/ifconfig epair create) && /sbin/ifconfig "$epair" name stk950213beb5a >/dev/null && /sbin/ifconfig "${epair%a}b" name stk950213beb5b >/dev/null' \
  'exec.prepare=/sbin/ifconfig stk950213beb5a description '\''stockade db-postgres'\'' up && /sbin/ifconfig stk950213beb5a inet 10.77.3.1/24 alias' \
  'exec.prestart=if ! { test -x /var/run/stockade/db-postgres/root/sbin/ifconfig && test -x /var/run/stockade/db-postgres/root/sbin/route; }; then echo '\''stockade: network: vnet configures the jail'\''\'\'''\''s addresses with /sbin/ifconfig and /sbin/route inside the jail, and the root has none'\'' >&2; exit 1; fi' \
  'exec.start=/sbin/ifconfig lo0 inet 127.0.0.1/8 up' \
  'exec.start=/sbin/ifconfig stk950213beb5b inet 10.77.3.2/24 up' \
  'exec.start=/sbin/route -n add -inet default 10.77.3.1' \
  'exec.release=/sbin/pfctl -a stockade/db-postgres -F rules 2>/dev/null || true' \
  'exec.release=if /sbin/ifconfig stk950213beb5a >/dev/null 2>&1; then /sbin/ifconfig stk950213beb5a destroy; fi' \
  'exec.release=/usr/bin/rctl -r jail:db-postgres:memoryuse:deny=4294967296 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:db-postgres:shmsize:deny=1073741824 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:db-postgres:maxproc:deny=256 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:db-postgres:openfiles:deny=16384 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:db-postgres:nsem:deny=1024 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:db-postgres:coredumpsize:deny=0 2>/dev/null || true' \
  'exec.release=if /sbin/zfs list -H -o name zroot/stockade/db-postgres >/dev/null 2>&1; then /sbin/zfs destroy zroot/stockade/db-postgres || echo '\''stockade: could not destroy zroot/stockade/db-postgres'\'' >&2; fi' \
  'exec.release=/bin/rm -f /var/run/stockade/db-postgres/run/manifest; /bin/rmdir /var/run/stockade/db-postgres/run /var/run/stockade/db-postgres/root /var/run/stockade/db-postgres 2>/dev/null || true'
