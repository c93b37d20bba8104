#!/bin/sh
# jail.conf's stanza as one jail(8) command line, one parameter per argument (a repeated
# parameter appends, as '+=' does). Creates the jail like 'jail -f jail.conf -c web-nginx'.
exec /usr/sbin/jail \
  -c \
  name=web-nginx \
  path=/var/run/stockade/web-nginx/root \
  host.hostname=www.example.internal \
  persist=true \
  securelevel=3 \
  enforce_statfs=2 \
  children.max=0 \
  devfs_ruleset=4 \
  sysvshm=disable \
  sysvmsg=disable \
  sysvsem=disable \
  vnet=new \
  vnet.interface=stk460535dda0b \
  mount.procfs=true \
  'mount=/usr/local/libexec/stockade /var/run/stockade/web-nginx/root/.stockade nullfs ro 0 0' \
  'mount=/var/run/stockade/web-nginx/run /var/run/stockade/web-nginx/root/.stockade-run nullfs ro 0 0' \
  'mount=devfs /var/run/stockade/web-nginx/root/dev devfs ruleset=5300 0 0' \
  'mount=tmpfs /var/run/stockade/web-nginx/root/run tmpfs rw,mode=1777,size=1048576 0 0' \
  'mount=tmpfs /var/run/stockade/web-nginx/root/tmp tmpfs rw,mode=1777,size=67108864 0 0' \
  'mount=/srv/www/example /var/run/stockade/web-nginx/root/usr/share/nginx/html nullfs ro 0 0' \
  'mount=tmpfs /var/run/stockade/web-nginx/root/var/lib/nginx tmpfs rw,mode=1777,size=268435456 0 0' \
  'mount=tmpfs /var/run/stockade/web-nginx/root/var/log/nginx tmpfs rw,mode=1777,size=536870912 0 0' \
  'exec.prepare=if ! { test -x /usr/local/libexec/stockade/stockade-launch && test -r /usr/local/libexec/stockade/libstockade-preopen.so; }; then echo '\''stockade: install stockade-launch and libstockade-preopen.so in /usr/local/libexec/stockade'\'' >&2; exit 1; fi' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade && /bin/mkdir -m 0700 /var/run/stockade/web-nginx && /bin/mkdir -m 0755 /var/run/stockade/web-nginx/run && printf '\''%s\n'\'' '\''stockade-manifest 1'\'' '\''program /usr/sbin/nginx'\'' '\''arg /usr/sbin/nginx'\'' '\''arg -g'\'' '\''arg daemon%20off;'\'' '\''workdir /'\'' '\''user 80'\'' '\''group 80'\'' '\''env-clean 1'\'' '\''env-set PATH=/usr/local/sbin:/usr/sbin:/usr/bin'\'' '\''capability-mode 0'\'' '\''interpreter /libexec/ld-elf.so.1'\'' '\''library-dir /lib'\'' '\''library-dir /usr/lib'\'' '\''library-dir /usr/local/lib'\'' '\''preload /.stockade/libstockade-preopen.so'\'' '\''keep 0'\'' '\''keep 1'\'' '\''keep 2'\'' end > /var/run/stockade/web-nginx/run/manifest && /bin/chmod 0444 /var/run/stockade/web-nginx/run/manifest' \
  'exec.prepare=referenced=$(/sbin/zfs get -H -p -o value referenced zroot/templates/nginx@2026-11) && /sbin/zfs clone -p -o mountpoint=/var/run/stockade/web-nginx/root -o refquota=$((referenced + 268435456)) zroot/templates/nginx@2026-11 zroot/stockade/web-nginx' \
  'exec.prepare=/bin/mkdir -p /var/run/stockade/web-nginx/root/.stockade /var/run/stockade/web-nginx/root/.stockade-run /var/run/stockade/web-nginx/root/dev /var/run/stockade/web-nginx/root/proc /var/run/stockade/web-nginx/root/run /var/run/stockade/web-nginx/root/tmp /var/run/stockade/web-nginx/root/usr/share/nginx/html /var/run/stockade/web-nginx/root/var/lib/nginx /var/run/stockade/web-nginx/root/var/log/nginx' \
  'exec.prepare=if [ -z "$(/sbin/devfs rule -s 5300 show 2>/dev/null)" ]; then /sbin/devfs rule -s 5300 add hide && /sbin/devfs rule -s 5300 add path null unhide && /sbin/devfs rule -s 5300 add path zero unhide && /sbin/devfs rule -s 5300 add path full unhide && /sbin/devfs rule -s 5300 add path random unhide && /sbin/devfs rule -s 5300 add path urandom unhide && /sbin/devfs rule -s 5300 add path tty unhide; fi' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.racct.enable 2>/dev/null)" = 1; }; then echo '\''stockade: rctl needs kern.racct.enable=1 in /boot/loader.conf'\'' >&2; exit 1; fi' \
  'exec.prepare=/usr/bin/rctl -a jail:web-nginx:memoryuse:deny=1073741824 && /usr/bin/rctl -a jail:web-nginx:maxproc:deny=32 && /usr/bin/rctl -a jail:web-nginx:openfiles:deny=8192 && /usr/bin/rctl -a jail:web-nginx:pcpu:deny=200 && /usr/bin/rctl -a jail:web-nginx:coredumpsize:deny=0' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n security.mac.portacl.enabled 2>/dev/null)" = 1; }; then echo '\''stockade: mac.portacl needs mac_portacl loaded and enabled'\'' >&2; exit 1; fi' \
  'exec.prepare=rules=$(/sbin/sysctl -n security.mac.portacl.rules) && /sbin/sysctl security.mac.portacl.rules="${rules:+$rules,}uid:80:tcp:80,uid:80:tcp:443" >/dev/null && : > /var/run/stockade/web-nginx/portacl' \
  'exec.prepare=if ! { test "$(/sbin/sysctl -n kern.features.vimage 2>/dev/null)" = 1; }; then echo '\''stockade: network: vnet needs a kernel with VIMAGE'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s info 2>/dev/null | /usr/bin/grep -q '\''^Status: Enabled'\''; }; then echo '\''stockade: pf is not enabled (pfctl -e): the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=if ! { /sbin/pfctl -s rules 2>/dev/null | /usr/bin/grep -Fq '\''anchor "stockade/*"'\''; }; then echo '\''stockade: pf.conf has no '\''\'\'''\''anchor "stockade/*"'\''\'\'''\'': the egress rules would not apply'\'' >&2; exit 1; fi' \
  'exec.prepare=printf '\''%s\n'\'' '\''pass out on stk460535dda0a all keep state'\'' '\''pass in quick on stk460535dda0a inet6 proto ipv6-icmp from any to { fe80::/10, ff02::/16, fd77:1::2/64 } icmp6-type { neighbrsol, neighbradv } keep state'\'' '\''block return in quick on stk460535dda0a all'\'' | /sbin/pfctl -a stockade/web-nginx -f -' \
  'exec.prepare=epair=$(/sbin/ifconfig epair create) && /sbin/ifconfig "$epair" name stk460535dda0a >/dev/null && /sbin/ifconfig "${epair%a}b" name stk460535dda0b >/dev/null' \
  'exec.prepare=/sbin/ifconfig stk460535dda0a description '\''stockade web-nginx'\'' up && /sbin/ifconfig stk460535dda0a inet 10.77.1.1/24 alias' \
  'exec.prestart=if ! { test -x /var/run/stockade/web-nginx/root/sbin/ifconfig && test -x /var/run/stockade/web-nginx/root/sbin/route; }; then echo '\''stockade: network: vnet configures the jail'\''\'\'''\''s addresses with /sbin/ifconfig and /sbin/route inside the jail, and the root has none'\'' >&2; exit 1; fi' \
  'exec.start=/sbin/ifconfig lo0 inet 127.0.0.1/8 up' \
  'exec.start=/sbin/ifconfig stk460535dda0b inet 10.77.1.2/24 up' \
  'exec.start=/sbin/ifconfig stk460535dda0b inet6 -ifdisabled up' \
  'exec.start=/sbin/ifconfig stk460535dda0b inet6 fd77:1::2/64 alias' \
  'exec.start=/sbin/route -n add -inet default 10.77.1.1' \
  'exec.release=/sbin/pfctl -a stockade/web-nginx -F rules 2>/dev/null || true' \
  'exec.release=if /sbin/ifconfig stk460535dda0a >/dev/null 2>&1; then /sbin/ifconfig stk460535dda0a destroy; fi' \
  'exec.release=/usr/bin/rctl -r jail:web-nginx:memoryuse:deny=1073741824 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:web-nginx:maxproc:deny=32 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:web-nginx:openfiles:deny=8192 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:web-nginx:pcpu:deny=200 2>/dev/null || true' \
  'exec.release=/usr/bin/rctl -r jail:web-nginx:coredumpsize:deny=0 2>/dev/null || true' \
  'exec.release=if [ -e /var/run/stockade/web-nginx/portacl ]; then rules=$(/sbin/sysctl -n security.mac.portacl.rules) && for r in uid:80:tcp:80 uid:80:tcp:443; do rules=$(printf '\''%s\n'\'' "$rules" | /usr/bin/tr , '\''\n'\'' | /usr/bin/awk -v r="$r" '\''d || $0 != r { print; next } { d = 1 }'\'' | /usr/bin/paste -s -d , -); done && /sbin/sysctl security.mac.portacl.rules="$rules" >/dev/null && /bin/rm -f /var/run/stockade/web-nginx/portacl; fi' \
  'exec.release=if /sbin/zfs list -H -o name zroot/stockade/web-nginx >/dev/null 2>&1; then /sbin/zfs destroy zroot/stockade/web-nginx || echo '\''stockade: could not destroy zroot/stockade/web-nginx'\'' >&2; fi' \
  'exec.release=/bin/rm -f /var/run/stockade/web-nginx/run/manifest; /bin/rmdir /var/run/stockade/web-nginx/run /var/run/stockade/web-nginx/root /var/run/stockade/web-nginx 2>/dev/null || true'
