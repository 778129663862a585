#!/usr/bin/env bash
# A throwaway single-node Ceph cluster with a RADOS Gateway (S3) on 127.0.0.1,
# for nclone's test suite. Everything (config, keyring, mon/osd data, sockets,
# logs) lives in one directory; the OSD keeps its objects in RAM (memstore).
#
#   ceph-rgw.sh start DIR         start a cluster in DIR (missing or empty);
#                                 prints S3_ENDPOINT=, S3_ACCESS_KEY_ID=,
#                                 S3_SECRET_ACCESS_KEY=, S3_REGION= on stdout
#   ceph-rgw.sh stop DIR          SIGKILL the daemons listed in DIR/pids, remove DIR
#   ceph-rgw.sh admin DIR ARGS... radosgw-admin -c DIR/ceph.conf ARGS...
#
# Environment: CEPH_RGW_TIMEOUT (seconds, default 60) bounds start-up;
# CEPH_RGW_KEEP_FAILED=1 keeps DIR after a failed start for inspection;
# CEPH_RGW_MEMSTORE_BYTES sizes the in-RAM object store (default 4 GiB; benchmarks raise it).
# See README.md next to this file.
set -euo pipefail
exec 4>&2 # the caller's stderr, for messages even while fds 1/2 go to a log

ACCESS_KEY="NCLONETESTACCESSKEY1"
SECRET_KEY="nclone-test-secret-key-0123456789abcdefghij"
REGION="us-east-1"
RGW_NAME="client.rgw.test"
HOST="127.0.0.1"

die() {
  echo "ceph-rgw: $*" >&4
  exit 1
}

usage() {
  echo "usage: $0 start DIR | stop DIR | admin DIR ARGS..." >&2
  exit 2
}

# Absolute path of $1 (which need not exist yet).
abspath() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$PWD" "$1" ;;
  esac
}

# Is PID $1 alive and one of ours (its command line names our ceph.conf)?
ours() {
  local pid=$1 cmdline
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *" $CONF "* || "$cmdline" == *" $CONF" ]]
}

# SIGKILL every live PID from DIR/pids that is ours, and wait (up to 10 s) for them to go.
kill_pids() {
  local pids=() pid name i
  [ -f "$DIR/pids" ] || return 0
  while read -r name pid; do
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    if ours "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done <"$DIR/pids"
  for ((i = 0; i < 100; i++)); do
    local alive=0
    for pid in "${pids[@]+"${pids[@]}"}"; do
      # A killed child of this shell stays a zombie until reaped; count it as gone.
      if [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
        alive=1
      fi
    done
    ((alive)) || return 0
    sleep 0.1
  done
  echo "ceph-rgw: some daemons did not exit: ${pids[*]}" >&2
  return 1
}

cmd_stop() {
  [ -e "$DIR" ] || return 0
  # Refuse to delete a directory that does not look like one of ours.
  if [ ! -f "$DIR/pids" ] && [ ! -f "$CONF" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    die "$DIR is not a ceph-rgw.sh directory; not removing it"
  fi
  kill_pids
  rm -rf -- "$DIR"
}

cmd_admin() {
  [ -f "$CONF" ] || die "no cluster in $DIR"
  exec radosgw-admin -c "$CONF" "$@"
}

# ---------------------------------------------------------------- start

# Three distinct free TCP ports on 127.0.0.1, below the ephemeral range.
# Node's listen() sets SO_REUSEADDR, so ports in TIME_WAIT count as free
# (as they are for the daemons, which also bind with SO_REUSEADDR).
free_ports() {
  node -e '
    const net = require("node:net");
    const want = Number(process.argv[1]), got = new Set();
    const tryOne = () => {
      if (got.size === want) { console.log([...got].join(" ")); return; }
      const p = 20000 + Math.floor(Math.random() * 12000);
      if (got.has(p)) return tryOne();
      const s = net.createServer();
      s.once("error", tryOne);
      s.listen({ host: "127.0.0.1", port: p, exclusive: true }, () => { got.add(p); s.close(tryOne); });
    };
    tryOne();
  ' "$1"
}

# Exit 0 if a SigV4-signed ListBuckets to $1 answers 200.
s3_ping() {
  node -e '
    const crypto = require("node:crypto"), http = require("node:http");
    const [endpoint, ak, sk, region] = process.argv.slice(1);
    const u = new URL(endpoint);
    const now = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const day = now.slice(0, 8), host = u.host, hash = crypto.createHash("sha256").update("").digest("hex");
    const signed = "host;x-amz-content-sha256;x-amz-date";
    const canon = ["GET", "/", "", `host:${host}`, `x-amz-content-sha256:${hash}`, `x-amz-date:${now}`, "", signed, hash].join("\n");
    const scope = `${day}/${region}/s3/aws4_request`;
    const sts = ["AWS4-HMAC-SHA256", now, scope, crypto.createHash("sha256").update(canon).digest("hex")].join("\n");
    const h = (k, d) => crypto.createHmac("sha256", k).update(d).digest();
    let k = h("AWS4" + sk, day); k = h(k, region); k = h(k, "s3"); k = h(k, "aws4_request");
    const sig = crypto.createHmac("sha256", k).update(sts).digest("hex");
    const req = http.request({ host: u.hostname, port: u.port, path: "/", method: "GET", timeout: 3000, headers: {
      host, "x-amz-date": now, "x-amz-content-sha256": hash,
      authorization: `AWS4-HMAC-SHA256 Credential=${ak}/${scope}, SignedHeaders=${signed}, Signature=${sig}`,
    } }, (res) => {
      let body = ""; res.on("data", (c) => (body += c));
      res.on("end", () => { if (res.statusCode !== 200) console.error(`ListBuckets: ${res.statusCode} ${body.slice(0, 200)}`); process.exit(res.statusCode === 200 ? 0 : 1); });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => process.exit(1));
    req.end();
  ' "$@"
}

start_failed() {
  local rc=$? f
  trap - EXIT
  ((rc)) || return 0
  exec 1>&4 2>&4
  echo "ceph-rgw: start failed in $DIR" >&2
  for f in "$DIR"/log/*; do
    [ -s "$f" ] || continue
    echo "---- tail of $f" >&2
    tail -n 25 "$f" >&2
  done
  kill_pids || true
  if [ "${CEPH_RGW_KEEP_FAILED:-}" = 1 ]; then
    echo "ceph-rgw: kept $DIR (CEPH_RGW_KEEP_FAILED=1)" >&2
  else
    rm -rf -- "$DIR"
  fi
  exit "$rc"
}

# Fail if the deadline has passed or a started daemon has died.
check() {
  local name pid
  while read -r name pid; do
    ours "$pid" || die "$name (pid $pid) died while $1"
  done <"$DIR/pids"
  ((SECONDS < DEADLINE)) || die "timed out after ${TIMEOUT}s while $1"
}

# Run "$@" until it succeeds, checking deadline and daemons between tries.
wait_for() {
  local what=$1
  shift
  until "$@"; do
    check "$what"
    sleep 0.2
  done
}

# Start a daemon in the foreground in its own session; record its PID.
# Bash runs a background command in a child that is not a process-group leader,
# so setsid(1) calls setsid() itself and execs: $! is the daemon's PID.
spawn() {
  local name=$1
  shift
  # Close fds 3 and 4 (the caller's stdout/stderr): a daemon holding them would
  # keep a caller's $(...) or pipe open forever.
  setsid "$@" -c "$CONF" -f </dev/null >"$DIR/log/$name.out" 2>&1 3>&- 4>&- &
  echo "$name $!" >>"$DIR/pids"
}

ceph_cli() {
  timeout 10 ceph -c "$CONF" --connect-timeout 5 "$@"
}

# Create the S3 user; a retry after a try that timed out late may find it there.
create_user() {
  timeout 15 radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" ||
    timeout 15 radosgw-admin -c "$CONF" user info --uid=test
}

osd_up_in() {
  ceph_cli osd dump 2>/dev/null | grep -Eq '^osd\.0 up +in '
}

cmd_start() {
  TIMEOUT=${CEPH_RGW_TIMEOUT:-60}
  DEADLINE=$((SECONDS + TIMEOUT))
  for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph ceph-authtool uuidgen node; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run test/setup.sh)"
  done
  if [ -e "$DIR" ]; then
    [ -d "$DIR" ] || die "$DIR exists and is not a directory"
    [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
  fi
  mkdir -p "$DIR"/{log,run,crash,mon,osd,rgw}
  : >"$DIR/pids"
  trap start_failed EXIT
  # Unix socket paths are limited to 107 bytes.
  ((${#DIR} <= 70)) || die "path too long for admin sockets: $DIR"

  local ports mon2 mon1 rgw fsid osd_uuid endpoint
  ports=$(free_ports 3)
  read -r mon2 mon1 rgw <<<"$ports"
  fsid=$(uuidgen)
  osd_uuid=$(uuidgen)
  endpoint="http://$HOST:$rgw"

  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = [v2:$HOST:$mon2,v1:$HOST:$mon1]
public addr = $HOST
cluster addr = $HOST
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $DIR/keyring
run dir = $DIR/run
crash dir = $DIR/crash
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
rgw data = $DIR/rgw/\$cluster-\$id
osd crush chooseleaf type = 0
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
paxos propose interval = 0.1
paxos min wait = 0.01
mon data avail warn = 1
mon data avail crit = 0

[client]
log file = $DIR/log/\$name.\$pid.log
admin socket =

[osd.0]
osd objectstore = memstore
memstore device bytes = ${CEPH_RGW_MEMSTORE_BYTES:-4294967296}

[$RGW_NAME]
admin socket = \$run_dir/\$cluster-\$name.asok
# radosgw defaults its mon connections to "secure" mode only, which auth none
# cannot provide: without this it retries forever with "get_initial_auth_request
# returned -13" and never listens.
ms mon client mode = crc secure
# Hand deleted and overwritten data (multipart parts, tails) to the garbage
# collector after 10 s instead of 2 h, so that memstore's RAM use stays modest.
rgw gc obj min wait = 10
rgw gc processor period = 10
rgw frontends = beast endpoint=$HOST:$rgw tcp_nodelay=1
EOF

  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >"$DIR/log/setup.out" 2>&1
  monmaptool --create --fsid "$fsid" --addv a "[v2:$HOST:$mon2,v1:$HOST:$mon1]" "$DIR/monmap" >>"$DIR/log/setup.out" 2>&1
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" >>"$DIR/log/setup.out" 2>&1

  spawn mon ceph-mon -i a
  wait_for "waiting for the monitor" ceph_cli mon stat >>"$DIR/log/setup.out" 2>&1

  local osd_id
  osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$DIR/log/setup.out")
  [ "$osd_id" = 0 ] || die "ceph osd new gave id '$osd_id', expected 0"
  mkdir -p "$DIR/osd/ceph-0"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/setup.out" 2>&1
  spawn osd ceph-osd -i 0
  wait_for "waiting for osd.0 to be up and in" osd_up_in

  spawn rgw radosgw -n "$RGW_NAME"
  wait_for "waiting for radosgw on $HOST:$rgw" \
    timeout 5 bash -c "exec 3<>/dev/tcp/$HOST/$rgw" 2>/dev/null
  wait_for "creating the S3 user" create_user >>"$DIR/log/setup.out" 2>&1
  wait_for "waiting for a signed ListBuckets" s3_ping "$endpoint" "$ACCESS_KEY" "$SECRET_KEY" "$REGION" 2>>"$DIR/log/setup.out"

  trap - EXIT
  echo "ceph-rgw: started in ${SECONDS}s, $endpoint, pids: $(awk '{printf "%s=%s ", $1, $2}' "$DIR/pids")" >&2
  printf 'S3_ENDPOINT=%s\nS3_ACCESS_KEY_ID=%s\nS3_SECRET_ACCESS_KEY=%s\nS3_REGION=%s\n' \
    "$endpoint" "$ACCESS_KEY" "$SECRET_KEY" "$REGION" >&3
}

(($# >= 2)) || usage
ACTION=$1
DIR=$(abspath "$2")
DIR=${DIR%/}
[ -n "$DIR" ] && [ "$DIR" != / ] || die "refusing to use / as DIR"
CONF="$DIR/ceph.conf"
shift 2
case "$ACTION" in
  start)
    (($# == 0)) || usage
    # Only the final S3_* lines go to stdout; everything else goes to stderr.
    exec 3>&1 1>&4
    cmd_start
    ;;
  stop)
    (($# == 0)) || usage
    cmd_stop
    ;;
  admin) cmd_admin "$@" ;;
  *) usage ;;
esac
