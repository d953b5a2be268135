#!/usr/bin/env bash
# Side-by-side forwarding benchmark: OVS-DPDK (netdev datapath, Debian package
# openvswitch-switch-dpdk) vs dpdk-testpmd, on the same DPDK virtual devices,
# the same single forwarding core, one after the other, for the same duration.
#
# Prints one JSON object on stdout; progress goes to stderr.
# See README.md next to this file for what the numbers mean and the caveats.
#
# Environment knobs (defaults in brackets):
#   DURATION    measured seconds per contender                         [10]
#   WARMUP      seconds of traffic before measuring                     [3]
#   MAIN_CORE   core for OVS main/DPDK lcore and testpmd main lcore     [0]
#   PMD_CORE    the one forwarding core (OVS pmd thread / testpmd fwd)  [1]
#   SOCKET_MEM  hugepage MiB preallocated per process                 [256]
#   TRAFFIC     null : net_null0/net_null1 (endless zero-filled frames) [null]
#               pcap : net_pcap0/1 looping a generated IPv4/UDP pcap
#                      (infinite_rx=1; tx is dropped by the PMD)
#   NULL_ARGS   extra net_null devargs, e.g. "copy=1"              [size=64]
#   PCAP_FLOWS  distinct UDP 5-tuples in the generated pcap          [1024]
#   RULES       port   : in_port=1->2, in_port=2->1                   [port]
#               5tuple : one exact udp 5-tuple rule per pcap flow and port
#                        (+ low-priority in_port fallback rules)
#   EMC         1 = OVS exact-match cache on (default), 0 = off (forces
#               SMC/dpcls lookups: emc-insert-inv-prob=0)                [1]
#   TP_MODE     testpmd --forward-mode (io touches no packet data, mac
#               rewrites the Ethernet header)                            [io]
#   KEEP        1 = keep the work dir with logs                          [0]
#   OVS_VSWITCHD path of the DPDK-enabled vswitchd
#               [/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk]
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
SOCKET_MEM=${SOCKET_MEM:-256}
TRAFFIC=${TRAFFIC:-null}
NULL_ARGS=${NULL_ARGS-size=64}
PCAP_FLOWS=${PCAP_FLOWS:-1024}
RULES=${RULES:-port}
EMC=${EMC:-1}
TP_MODE=${TP_MODE:-io}
KEEP=${KEEP:-0}
OVS_VSWITCHD=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
TESTPMD=${TESTPMD:-dpdk-testpmd}
SCHEMA=${SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
BR=ovsb0

log() { echo "[bench-ovs] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- preflight
[[ $EUID -eq 0 ]] || die "must run as root (hugepages, tap devices)"
[[ -x $OVS_VSWITCHD ]] || die "$OVS_VSWITCHD missing: apt-get install -y openvswitch-switch-dpdk"
command -v "$TESTPMD" >/dev/null || die "$TESTPMD missing: apt-get install -y dpdk"
for t in ovsdb-server ovsdb-tool ovs-vsctl ovs-ofctl ovs-appctl awk; do
  command -v "$t" >/dev/null || die "$t missing"
done
case $TRAFFIC in null|pcap) ;; *) die "TRAFFIC must be null or pcap";; esac
case $RULES in port|5tuple) ;; *) die "RULES must be port or 5tuple";; esac
[[ $RULES == 5tuple && $TRAFFIC != pcap ]] &&
  log "note: RULES=5tuple with TRAFFIC=null: the zero-filled null frames (eth_type 0) match none of the udp rules; only the fallback rule is hit"
hp_free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
hp_size_kb=$(awk '/^Hugepagesize/ {print $2}' /proc/meminfo)
need_pages=$(( (SOCKET_MEM + 128) * 1024 / hp_size_kb ))
(( hp_free >= need_pages )) ||
  die "only $hp_free free hugepages of ${hp_size_kb} kB; need ~$need_pages (SOCKET_MEM=$SOCKET_MEM + slack)"

# The netdev datapath creates persistent tap devices: "ovs-netdev" for the
# datapath (fixed name, shared by any userspace-datapath OVS on the host) and
# one per bridge.  Refuse to run if they already exist (another OVS-DPDK, or
# leftovers of a killed run: then `ip link del ovs-netdev; ip link del ovsb0`),
# so that cleanup only ever deletes devices this run created.
for d in ovs-netdev $BR; do
  ip link show "$d" >/dev/null 2>&1 &&
    die "network device $d already exists (another userspace-datapath OVS, or a leftover); refusing to run"
done

WORKDIR=$(mktemp -d /tmp/ovsbench.XXXXXX)
export OVS_RUNDIR=$WORKDIR OVS_DBDIR=$WORKDIR OVS_LOGDIR=$WORKDIR OVS_SYSCONFDIR=$WORKDIR
DB_SOCK=unix:$WORKDIR/db.sock
VSCTL=(ovs-vsctl --db="$DB_SOCK" --timeout=30)
APPCTL=(ovs-appctl -t "$WORKDIR/ovs-vswitchd.ctl" --timeout=30)

OVSDB_PID="" VSWITCHD_PID="" TESTPMD_PID=""

# On-CPU nanoseconds of the first thread of $1 whose name matches regex $2
# (/proc/PID/task/TID/schedstat field 1).  Compared with wall time it shows
# whether the forwarding thread really had its core to itself.
thread_ns() {
  local t
  for t in /proc/"$1"/task/*; do
    if grep -Eq "$2" "$t/comm" 2>/dev/null; then awk '{print $1}' "$t/schedstat"; return; fi
  done
  echo 0
}
share() { awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" 'BEGIN {printf "%.3f", (b - a) / 1e9 / (t1 - t0)}'; }

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

stop_pid() { # pid name: SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 name=$2 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then log "$name ($pid) did not exit, SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  if alive "$TESTPMD_PID"; then kill -INT "$TESTPMD_PID"; sleep 1; stop_pid "$TESTPMD_PID" testpmd; fi
  if alive "$VSWITCHD_PID"; then
    # Remove the bridge (its tap) and the datapath (tap "ovs-netdev") before exiting.
    "${VSCTL[@]}" --if-exists del-br $BR >/dev/null 2>&1
    "${APPCTL[@]}" exit --cleanup >/dev/null 2>&1
    for _ in $(seq 1 50); do alive "$VSWITCHD_PID" || break; sleep 0.1; done
    stop_pid "$VSWITCHD_PID" ovs-vswitchd
  fi
  stop_pid "$OVSDB_PID" ovsdb-server
  for d in ovs-netdev $BR; do
    ip link show "$d" >/dev/null 2>&1 && ip link del "$d" 2>/dev/null
  done
  if [[ $rc -ne 0 || $KEEP == 1 ]]; then
    log "logs kept in $WORKDIR"
  else
    rm -rf "$WORKDIR"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ traffic
if [[ $TRAFFIC == pcap ]]; then
  command -v python3 >/dev/null || die "python3 needed to generate the pcap"
  # 64-byte Ethernet/IPv4/UDP frames (60 B + 4 B payload pad), PCAP_FLOWS
  # distinct 5-tuples; a second file with the direction reversed for port 1.
  python3 - "$WORKDIR" "$PCAP_FLOWS" <<'PY'
import struct, sys
wd, n = sys.argv[1], int(sys.argv[2])
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def flow(i):
    return (0x0a000000 | (i & 0xffff) + 1, 0x0a010000 | 1, 1024 + i % 50000, 5000 + i // 50000)
def frame(src, dst, sport, dport, smac, dmac):
    udp = struct.pack('!HHHH', sport, dport, 8 + 18, 0) + bytes(18)
    ip = struct.pack('!BBHHHBBHII', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return dmac + smac + b'\x08\x00' + ip + udp   # 14 + 20 + 26 = 60 B
a, b = bytes.fromhex('020000000001'), bytes.fromhex('020000000002')
for name, rev in (('p0.pcap', False), ('p1.pcap', True)):
    with open(f'{wd}/{name}', 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            s, d, sp, dp = flow(i)
            pkt = frame(d, s, dp, sp, b, a) if rev else frame(s, d, sp, dp, a, b)
            pkt += bytes(64 - len(pkt))
            f.write(struct.pack('<IIII', 0, 0, len(pkt), len(pkt)) + pkt)
    with open(f'{wd}/{name}.rules', 'w') as f:
        inp = 2 if rev else 1
        for i in range(n):
            s, d, sp, dp = flow(i)
            if rev: s, d, sp, dp = d, s, dp, sp
            ip = lambda x: '.'.join(str(x >> k & 255) for k in (24, 16, 8, 0))
            f.write(f'priority=100,in_port={inp},udp,nw_src={ip(s)},nw_dst={ip(d)},'
                    f'tp_src={sp},tp_dst={dp},actions=output:{3 - inp}\n')
PY
  DEV0="net_pcap0,rx_pcap=$WORKDIR/p0.pcap,infinite_rx=1"
  DEV1="net_pcap1,rx_pcap=$WORKDIR/p1.pcap,infinite_rx=1"
  DEVDESC="net_pcap,infinite_rx=1,flows=$PCAP_FLOWS"
else
  DEV0="net_null0${NULL_ARGS:+,$NULL_ARGS}"
  DEV1="net_null1${NULL_ARGS:+,$NULL_ARGS}"
  DEVDESC="net_null${NULL_ARGS:+,$NULL_ARGS}"
fi
log "devices: $DEV0 | $DEV1"

# ---------------------------------------------------------------------- OVS
log "starting ovsdb-server + ovs-vswitchd in $WORKDIR"
ovsdb-tool create "$WORKDIR/conf.db" "$SCHEMA"
ovsdb-server "$WORKDIR/conf.db" --remote=punix:"$WORKDIR/db.sock" \
  --unixctl="$WORKDIR/ovsdb-server.ctl" --log-file="$WORKDIR/ovsdb-server.log" \
  >"$WORKDIR/ovsdb-server.out" 2>&1 &
OVSDB_PID=$!
for _ in $(seq 1 100); do [[ -S $WORKDIR/db.sock ]] && break; sleep 0.1; done
[[ -S $WORKDIR/db.sock ]] || die "ovsdb-server did not come up: $(tail -5 "$WORKDIR"/ovsdb-server.*)"

pmd_mask=$(printf '0x%x' $((1 << PMD_CORE)))
main_mask=$(printf '0x%x' $((1 << MAIN_CORE)))
"${VSCTL[@]}" --no-wait init
"${VSCTL[@]}" --no-wait set Open_vSwitch . \
  other_config:dpdk-init=true \
  other_config:dpdk-socket-mem="$SOCKET_MEM" \
  other_config:dpdk-socket-limit="$((SOCKET_MEM * 2))" \
  other_config:dpdk-lcore-mask="$main_mask" \
  other_config:pmd-cpu-mask="$pmd_mask" \
  "other_config:dpdk-extra=--no-pci --file-prefix=ovsbench --vdev=$DEV0 --vdev=$DEV1"
[[ $EMC == 0 ]] && "${VSCTL[@]}" --no-wait set Open_vSwitch . other_config:emc-insert-inv-prob=0

# Non-PMD threads (main, handlers, revalidators, urcu) are confined to
# MAIN_CORE with taskset so they cannot steal cycles from the PMD core; the
# PMD thread pins itself to PMD_CORE (pmd-cpu-mask) regardless.
taskset -c "$MAIN_CORE" "$OVS_VSWITCHD" "$DB_SOCK" --unixctl="$WORKDIR/ovs-vswitchd.ctl" \
  --log-file="$WORKDIR/ovs-vswitchd.log" >"$WORKDIR/ovs-vswitchd.out" 2>&1 &
VSWITCHD_PID=$!
for _ in $(seq 1 300); do
  alive "$VSWITCHD_PID" || break
  [[ $("${VSCTL[@]}" get Open_vSwitch . dpdk_initialized 2>/dev/null) == true ]] && break
  sleep 0.1
done
if [[ $("${VSCTL[@]}" get Open_vSwitch . dpdk_initialized 2>/dev/null) != true ]]; then
  grep -E 'dpdk|EAL|ERR|EMER' "$WORKDIR/ovs-vswitchd.log" >&2 || true
  die "OVS-DPDK did not initialise DPDK (see $WORKDIR/ovs-vswitchd.log)"
fi
log "OVS: $(grep -o 'EAL ARGS:.*' "$WORKDIR/ovs-vswitchd.log" | head -1)"

"${VSCTL[@]}" add-br $BR -- set bridge $BR datapath_type=netdev
"${VSCTL[@]}" add-port $BR p0 -- set Interface p0 type=dpdk \
  "options:dpdk-devargs=${DEV0%%,*}" ofport_request=1
"${VSCTL[@]}" add-port $BR p1 -- set Interface p1 type=dpdk \
  "options:dpdk-devargs=${DEV1%%,*}" ofport_request=2
for p in p0 p1; do
  st=$("${VSCTL[@]}" get Interface $p ofport)
  [[ $st == -1 ]] && die "port $p failed: $("${VSCTL[@]}" get Interface $p error)"
done

ovs-ofctl del-flows $BR
if [[ $RULES == 5tuple ]]; then
  if [[ $TRAFFIC == pcap ]]; then
    cat "$WORKDIR/p0.pcap.rules" "$WORKDIR/p1.pcap.rules" >"$WORKDIR/rules"
  else
    for i in $(seq 1 100); do
      echo "priority=100,in_port=1,udp,nw_src=10.0.0.$i,nw_dst=10.1.0.1,tp_src=$((1000+i)),tp_dst=5000,actions=output:2"
      echo "priority=100,in_port=2,udp,nw_src=10.1.0.1,nw_dst=10.0.0.$i,tp_src=5000,tp_dst=$((1000+i)),actions=output:1"
    done >"$WORKDIR/rules"
  fi
  echo "priority=1,in_port=1,actions=output:2" >>"$WORKDIR/rules"
  echo "priority=1,in_port=2,actions=output:1" >>"$WORKDIR/rules"
  ovs-ofctl add-flows $BR "$WORKDIR/rules"
else
  ovs-ofctl add-flow $BR "in_port=1,actions=output:2"
  ovs-ofctl add-flow $BR "in_port=2,actions=output:1"
fi
log "OVS: $(ovs-ofctl dump-flows $BR | grep -c actions) OpenFlow rules; warming up ${WARMUP}s"
sleep "$WARMUP"

# Rate from the PMD thread's own counters (pmd-perf-show: packets sent and the
# exact measurement duration since pmd-stats-clear).  Note: the Interface
# "statistics" column in the DB is only refreshed every 5 s
# (stats-update-interval), so sampling it with ovs-vsctl is too coarse.
"${APPCTL[@]}" dpif-netdev/pmd-stats-clear >/dev/null
w0=$(date +%s.%N); n0=$(thread_ns "$VSWITCHD_PID" '^pmd')
sleep "$DURATION"
w1=$(date +%s.%N); n1=$(thread_ns "$VSWITCHD_PID" '^pmd')
ovs_share=$(share "$n0" "$n1" "$w0" "$w1")
"${APPCTL[@]}" dpif-netdev/pmd-perf-show >"$WORKDIR/pmd-perf.txt"
"${APPCTL[@]}" dpif-netdev/pmd-stats-show >"$WORKDIR/pmd-stats.txt"
"${APPCTL[@]}" dpctl/dump-flows >"$WORKDIR/dp-flows.txt"
"${APPCTL[@]}" dpctl/show -s >"$WORKDIR/dp-ports.txt"
for p in p0 p1; do echo "$p $("${VSCTL[@]}" get Interface $p statistics)"; done >"$WORKDIR/ovs-port-stats.txt"
ovs_mpps=$(awk '
  /Measurement duration:/ { d = $3 }
  /^ *Tx packets:/ { t += $3 }
  END { if (d > 0) printf "%.3f", t / d / 1e6; else print "nan" }' "$WORKDIR/pmd-perf.txt")
[[ $ovs_mpps == nan ]] && die "could not parse pmd-perf-show: $(cat "$WORKDIR/pmd-perf.txt")"
ovs_cpp=$(awk '/Rx packets:/ {gsub(/[(,]/, " "); for (i = 1; i <= NF; i++) if ($i == "cycles/pkt)") print $(i-1)}' "$WORKDIR/pmd-perf.txt" | head -1)
ovs_emc=$(awk '/EMC hits:/ {gsub(/[()%]/, " "); print $(NF)}' "$WORKDIR/pmd-perf.txt" | head -1)
ovs_dpflows=$(grep -c 'actions:' "$WORKDIR/dp-flows.txt" || true)
ovs_rxdrop=$(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^(rx_dropped|ovs_tx_failure_drops|tx_dropped)=/) {split($i, kv, "="); s += kv[2]+0}} END {print s+0}' "$WORKDIR/ovs-port-stats.txt")
log "OVS: ${ovs_mpps} Mpps forwarded (both directions), ${ovs_cpp:-?} cycles/pkt, EMC ${ovs_emc:-?}% hits, $ovs_dpflows datapath flows, drops $ovs_rxdrop, pmd thread on CPU ${ovs_share} of wall time"

# Tear OVS down before testpmd so the forwarding core is free.
"${VSCTL[@]}" --if-exists del-br $BR
"${APPCTL[@]}" exit --cleanup >/dev/null 2>&1 || true
for _ in $(seq 1 50); do alive "$VSWITCHD_PID" || break; sleep 0.1; done
stop_pid "$VSWITCHD_PID" ovs-vswitchd; VSWITCHD_PID=""
stop_pid "$OVSDB_PID" ovsdb-server; OVSDB_PID=""

# ------------------------------------------------------------------ testpmd
# net_pcap with infinite_rx preloads the whole pcap into mbufs per rx queue.
tp_mbufs=32768
[[ $TRAFFIC == pcap ]] && tp_mbufs=$((32768 + 2 * PCAP_FLOWS))
log "testpmd: --forward-mode=$TP_MODE on core $PMD_CORE; ${WARMUP}s warm-up + ${DURATION}s"
"$TESTPMD" -l "$MAIN_CORE,$PMD_CORE" --main-lcore "$MAIN_CORE" --no-pci --in-memory \
  --file-prefix tpbench --socket-mem "$SOCKET_MEM" --vdev "$DEV0" --vdev "$DEV1" -- \
  --forward-mode="$TP_MODE" --stats-period 1 --total-num-mbufs "$tp_mbufs" \
  </dev/null >"$WORKDIR/testpmd.log" 2>&1 &
TESTPMD_PID=$!
sleep $((WARMUP + 1))
w0=$(date +%s.%N); n0=$(thread_ns "$TESTPMD_PID" '(rte|lcore)-worker')
sleep "$DURATION"
w1=$(date +%s.%N); n1=$(thread_ns "$TESTPMD_PID" '(rte|lcore)-worker')
tp_share=$(share "$n0" "$n1" "$w0" "$w1")
sleep 1
alive "$TESTPMD_PID" || die "testpmd exited early: $(tail -20 "$WORKDIR/testpmd.log")"
kill -INT "$TESTPMD_PID"
for _ in $(seq 1 100); do alive "$TESTPMD_PID" || break; sleep 0.1; done
stop_pid "$TESTPMD_PID" testpmd; TESTPMD_PID=""
# Each stats period prints Tx-pps for port 0 then port 1 (rate since the
# previous print). Sum per period, skip the warm-up periods, average DURATION.
tp_mpps=$(awk -v skip="$WARMUP" -v n="$DURATION" '
  /Tx-pps:/ { v[k++] = $2 }
  END {
    periods = int(k / 2); used = 0; s = 0
    for (p = skip + 1; p < periods && used < n; p++) { s += v[2*p] + v[2*p+1]; used++ }
    if (used == 0) { print "nan"; exit }
    printf "%.3f", s / used / 1e6 }' "$WORKDIR/testpmd.log")
[[ $tp_mpps == nan ]] && die "could not parse testpmd stats: $(tail -20 "$WORKDIR/testpmd.log")"
log "testpmd: ${tp_mpps} Mpps forwarded (both directions), forwarding thread on CPU ${tp_share} of wall time"

for x in "$ovs_share" "$tp_share"; do
  awk -v x="$x" 'BEGIN {exit !(x < 0.97)}' &&
    log "WARNING: a forwarding thread got only $x of its core: other load on core $PMD_CORE; numbers are noisy"
done
ratio=$(awk -v a="$ovs_mpps" -v b="$tp_mpps" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')
ovs_ver=$("$OVS_VSWITCHD" --version | head -1 | awk '{print $NF}')
cat <<EOF
{"ovsMpps": $ovs_mpps, "testpmdMpps": $tp_mpps, "ratio": $ratio, "traffic": "$TRAFFIC", "devices": "$DEVDESC", "rules": "$RULES", "emc": $EMC, "testpmdMode": "$TP_MODE", "durationS": $DURATION, "pmdCore": $PMD_CORE, "ovsCyclesPerPkt": ${ovs_cpp:-null}, "ovsEmcHitPct": ${ovs_emc:-null}, "ovsDatapathFlows": $ovs_dpflows, "ovsPmdCpuShare": $ovs_share, "testpmdFwdCpuShare": $tp_share, "ovsVersion": "$ovs_ver"}
EOF
