#!/bin/sh
# jail.conf's stanza as one jail(8) command line, one parameter per argument (a repeated
# parameter appends, as '+=' does). Creates the jail like 'jail -f jail.conf -c dns-unbound'.
exec /usr/sbin/jail \
  -c \
  name=dns-unbound \
  path=/var/run/stockade/dns-unbound/root \
  host.hostname=resolver.example.internal \
  persist=true \
  securelevel=3 \
  enforce_statfs=2 \
  children.max=0 \
  devfs_ruleset=5300 \
  sysvshm=disable \
  sysvmsg=disable \
  sysvsem=disable \
  vnet=new \
  vnet.interface=stk6c665105a4b \
  mount.procfs=true \
  'mount=/usr/local/libexec/stockade /var/run/stockade/dns-unbound/root/.stockade nullfs ro 0 0' \
  'mount=/var/run/stockade/dns-unbound/run /var/run/stockade/dns-unbound/root/.stockade-run nullfs ro 0 0' \
  'mount=devfs /var/run/stockade/dns-unbound/root/dev devfs ruleset=5300 0 0' \
  'mount=tmpfs /var/run/stockade/dns-unbound/root/run tmpfs rw,mode=1777,size=1048576 0 0' \
  'mount=tmpfs /var/run/stockade/dns-unbound/root/var/lib/unbound tmpfs rw,mode=1777,size=16777216 0 0' \
  'exec.prepare=if ! { test -x /usr/local/libexec/stockade/stockade-launch && test -r /usr/local/libexec/stockade/libstockade-preopen.so; }; then echo '\''stockade: install stockade-launch and libstockade-preopen.so in /usr/local/libexec/stockade'\'' >&2; exit 1; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade && /bin/mkdir -m 0700 /var/run/stockade/dns-unbound && /bin/mkdir -m 0755 /var/run/stockade/dns-unbound/run && printf '\''%s\n'\'' '\''stockade-manifest 1'\'' '\''program /usr/sbin/unbound'\'' '\''arg /usr/sbin/unbound'\'' '\''arg -d'\'' '\''arg -p'\'' '\''arg -c'\'' '\''arg /etc/unbound/unbound.conf'\'' '\''workdir /etc/unbound'\'' '\''user unbound'\'' '\''group unbound'\'' '\''env-clean 1'\'' '\''env-set PATH=/usr/sbin:/usr/bin'\'' '\''capability-mode 0'\'' '\''interpreter /libexec/ld-elf.so.1'\'' '\''library-dir /lib'\'' '\''library-dir /usr/lib'\'' '\''library-dir /usr/local/lib'\'' '\''preload /.stockade/libstockade-preopen.so'\'' '\''keep 0'\'' '\''keep 1'\'' '\''keep 2'\'' end > /var/run/stockade/dns-unbound/run/manifest && /bin/chmod 0444 /var/run/stockade/dns-unbound/run/manifest' \
  'exec.prepare=referenced=$(/sbin/zfs get -H -p -o value referenced zroot/templates/unbound@base) && /sbin/zfs clone -p -o mountpoint=/var/run/stockade/dns-unbound/root -o refquota=$((referenced + 33554432)) zroot/templates/unbound@base zroot/stockade/dns-unbound' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/dns-unbound/root/.stockade /var/run/stockade/dns-unbound/root/.stockade-run /var/run/stockade/dns-unbound/root/dev /var/run/stockade/dns-unbound/root/proc /var/run/stockade/dns-unbound/root/run /var/run/stockade/dns-unbound/root/var/lib/unbound' \
  'exec.prepare=if [ -z "$(/sbin/devfs rule -s 5300 show 2>/dev/null)" ]; then /sbin/devfs rule -s 5300 add hide && /sbin/devfs rule -s 5300 add path null unhide && /sbin/devfs rule -s 5300 add path zero unhide && /sbin/devfs rule -s 5300 add path full unhide && /sbin/devfs rule -s 5300 add path random unhide && /sbin/devfs rule -s 5300 add path urandom unhide && /sbin/devfs rule -s 5300 add path tty unhide; fi' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.racct.enable 2>/dev/null)" = 1; }; then echo '\''stockade: rctl needs kern.racct.enable=1 in /boot/loader.conf'\'' >&2; exit 1; fi' \
  'exec.prepare=/usr/bin/rctl -a jail:dns-unbound:memoryuse:deny=536870912 && /usr/bin/rctl -a jail:dns-unbound:maxproc:deny=16 && /usr/bin/rctl -a jail:dns-unbound:openfiles:deny=4096 && /usr/bin/rctl -a jail:dns-unbound:coredumpsize:deny=0' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n security.mac.portacl.enabled 2>/dev/null)" = 1; }; then echo '\''stockade: mac.portacl needs mac_portacl loaded and enabled'\'' >&2; exit 1; fi' \
  'exec.prepare=rules=$(/sbin/sysctl -n security.mac.portacl.rules) && /sbin/sysctl security.mac.portacl.rules="${rules:+$rules,}gid:53:udp:53,gid:53:tcp:53" >/dev/null && : > /var/run/stockade/dns-unbound/portacl' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.features.vimage 2>/dev/null)" = 1; }; then echo '\''stockade: network: vnet needs a kernel with VIMAGE'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s info 2>/dev/null | /usr/bin/grep -q '\''^Status: Enabled'\''; }; then echo '\''stockade: pf is not enabled (pfctl -e): the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s rules 2>/dev/null | /usr/bin/grep -Fq '\''anchor "stockade/*"'\''; }; then echo '\''stockade: pf.conf has no '\''\'\'''\''anchor "stockade/*"'\''\'\'''\'': the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=printf '\''%s\n'\'' '\''pass out on stk6c665105a4a all keep state'\'' '\''pass in quick on stk6c665105a4a inet6 proto ipv6-icmp from any to { fe80::/10, ff02::/16, fd77:2::53/64 } icmp6-type { neighbrsol, neighbradv } keep state'\'' '\''pass in quick on stk6c665105a4a inet proto udp from 10.77.2.53 to 0.0.0.0/0 port 53 keep state'\'' '\''pass in quick on stk6c665105a4a inet proto tcp from 10.77.2.53 to 0.0.0.0/0 port 53 keep state'\'' '\''pass in quick on stk6c665105a4a inet proto tcp from 10.77.2.53 to 0.0.0.0/0 port 853 keep state'\'' '\''pass in quick on stk6c665105a4a inet6 proto udp from fd77:2::53 to ::/0 port 53 keep state'\'' '\''pass in quick on stk6c665105a4a inet6 proto tcp from fd77:2::53 to ::/0 port 53 keep state'\'' '\''pass in quick on stk6c665105a4a inet6 proto tcp from fd77:2::53 to ::/0 port 853 keep state'\'' '\''block return in quick on stk6c665105a4a all'\'' | /sbin/pfctl -a stockade/dns-unbound -f -' \
  'exec.prepare=epair=$(/sbin/ifconfig epair create) && /sbin/ifconfig "$epair" name stk6c665105a4a >/dev/null && /sbin/ifconfig "${epair%a}b" name stk6c665105a4b >/dev/null' \
  'exec.prepare=/sbin/ifconfig stk6c665105a4a description '\''stockade dns-unbound'\'' up && /sbin/ifconfig stk6c665105a4a inet 10.77.2.1/24 alias' \
  'exec.prestart=if ! { test -x /var/run/stockade/dns-unbound/root/sbin/ifconfig && test -x /var/run/stockade/dns-unbound/root/sbin/route; }; then echo '\''stockade: network: vnet configures the jail'\''\'\'''\''s addresses with /sbin/ifconfig and /sbin/route inside the jail, and the root has none'\'' >&2; exit 1; fi' \
  'exec.start=/sbin/ifconfig lo0 inet 127.0.0.1/8 up' \
  'exec.start=/sbin/ifconfig stk6c665105a4b inet 10.77.2.53/24 up' \
  'exec.start=/sbin/ifconfig stk6c665105a4b inet6 -ifdisabled up' \
  'exec.start=/sbin/ifconfig stk6c665105a4b inet6 fd77:2::53/64 alias' \
  'exec.start=/sbin/route -n add -inet default 10.77.2.1' \
  'exec.release=/sbin/pfctl -a stockade/dns-unbound -F rules 2>/dev/null || true' \
  'exec.release=if /sbin/ifconfig stk6c665105a4a >/dev/null 2>&1; then /sbin/ifconfig stk6c665105a4a destroy; fi' \
  'exec.release=/usr/bin/rctl -r jail:dns-unbound:memoryuse:deny=536870912 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:dns-unbound:maxproc:deny=16 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:dns-unbound:openfiles:deny=4096 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:dns-unbound:coredumpsize:deny=0 2>/dev/null || true' \
  'exec.release=if [ -e /var/run/stockade/dns-unbound/portacl ]; then rules=$(/sbin/sysctl -n security.mac.portacl.rules) && for r in gid:53:udp:53 gid:53:tcp:53; do rules=$(printf '\''%s\n'\'' "$rules" | /usr/bin/tr , '\''\n'\'' | /usr/bin/awk -v r="$r" '\''d || $0 != r { print; next } { d = 1 }'\'' | /usr/bin/paste -s -d , -); done && /sbin/sysctl security.mac.portacl.rules="$rules" >/dev/null && /bin/rm -f /var/run/stockade/dns-unbound/portacl; fi' \
  'exec.release=if /sbin/zfs list -H -o name zroot/stockade/dns-unbound >/dev/null 2>&1; then /sbin/zfs destroy zroot/stockade/dns-unbound || echo '\''stockade: could not destroy zroot/stockade/dns-unbound'\'' >&2; fi' \
  'exec.release=/bin/rm -f /var/run/stockade/dns-unbound/run/manifest; /bin/rmdir /var/run/stockade/dns-unbound/run /var/run/stockade/dns-unbound/root /var/run/stockade/dns-unbound 2>/dev/null || true'
