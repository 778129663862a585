#!/usr/bin/env bash
# A throwaway OpenSSH server for the sftp tests, on 127.0.0.1 on a free port.
#
#   sshd.sh start DIR   makes DIR (host key, client keys, config, data/), starts sshd in the
#                       foreground of a background job and prints KEY=value lines once it
#                       accepts connections
#   sshd.sh stop DIR    stops that sshd by the PID it left in DIR/sshd.pid
#
# Everything lives in DIR: the system's /etc/ssh, users and passwords are never touched.
# Auth is by the throwaway client keys (one plain, one encrypted with a passphrase) and by a
# throwaway password. For the password, sshd runs in a mount namespace of its own (as root,
# `unshare --mount`) in which a copy of /etc/shadow, with this run's password for the test
# user, is bind-mounted over the real one: only this sshd sees it; the system's file is
# unchanged. Without root there is no password (SFTP_PASSWORD is empty).
set -euo pipefail

SSHD=/usr/sbin/sshd
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

fail() {
  echo "sshd.sh: $*" >&2
  exit 1
}

stop() {
  local pidfile="$dir/sshd.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  # The listener first, then any session processes it forked (they are its children).
  local kids
  kids=$(pgrep -P "$pid" 2>/dev/null || true)
  kill "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  [ -z "$kids" ] || kill $kids 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  [ -x "$SSHD" ] || fail "$SSHD is missing: install openssh-server (test/setup.sh does)"
  mkdir -p "$dir/data"
  chmod 700 "$dir"
  # sshd refuses to start as root without its privilege separation directory, which the
  # Debian service would create at boot; it is an empty, root-owned directory.
  if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
    mkdir -p -m 0755 /run/sshd || fail "cannot create /run/sshd (sshd's privilege separation directory)"
  fi
  ssh-keygen -q -t ed25519 -N '' -C nclone-test-host -f "$dir/host_ed25519" || fail "ssh-keygen (host key) failed"
  ssh-keygen -q -t ed25519 -N '' -C nclone-test-client -f "$dir/client_ed25519" || fail "ssh-keygen (client key) failed"
  local passphrase=nclone-test-passphrase
  # PEM ("-m PEM") is the format rclone's key_file_pass can read; ed25519 has no PEM form.
  ssh-keygen -q -t ecdsa -b 256 -m PEM -N "$passphrase" -C nclone-test-encrypted -f "$dir/client_encrypted" || fail "ssh-keygen (encrypted key) failed"
  cat "$dir/client_ed25519.pub" "$dir/client_encrypted.pub" >"$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"

  local port user
  port=$(free_port) || fail "could not find a free port"
  user=$(id -un)
  cat >"$dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PermitRootLogin yes
AllowUsers $user
StrictModes no
UsePAM no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
Subsystem sftp internal-sftp
Subsystem nclone-sftp internal-sftp
EOF
  "$SSHD" -t -f "$dir/sshd_config" 2>"$dir/sshd.log" || fail "the sshd config is refused: $(cat "$dir/sshd.log")"
  local password=
  if [ "$(id -u)" = 0 ]; then
    password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    local hash
    hash=$(PW="$password" SALT="$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" perl -e 'print crypt($ENV{PW}, "\$6\$$ENV{SALT}\$")')
    case "$hash" in '$6$'*) ;; *) fail "could not hash the test password (perl crypt gave '$hash')" ;; esac
    # The test user's line gets the hash, changed today, with no ageing or expiry (sshd
    # without PAM enforces them); every other line is the system's own.
    awk -F: -v OFS=: -v u="$user" -v h="$hash" -v today=$(($(date +%s) / 86400)) \
      '$1 == u { $2 = h; $3 = today; $4 = $5 = $6 = $7 = $8 = ""; found = 1 } { print } END { if (!found) exit 3 }' /etc/shadow >"$dir/shadow" ||
      fail "user $user has no line in /etc/shadow"
    chmod 600 "$dir/shadow"
  fi
  # -D: no daemon (so the PID is ours), -e: log to stderr (the log file). exec keeps the PID
  # of the background job the PID of sshd, inside or outside the namespace.
  if [ -n "$password" ]; then
    unshare --mount --propagation private sh -c 'mount --bind "$1" /etc/shadow && exec "$2" -D -e -f "$3"' sh \
      "$dir/shadow" "$SSHD" "$dir/sshd_config" >>"$dir/sshd.log" 2>&1 &
  else
    "$SSHD" -D -e -f "$dir/sshd_config" >>"$dir/sshd.log" 2>&1 &
  fi
  local pid=$!
  echo "$pid" >"$dir/sshd.pid"
  local ok=
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      fail "sshd exited at start: $(cat "$dir/sshd.log")"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      ok=1
      break
    fi
    sleep 0.05
  done
  [ -n "$ok" ] || { stop; fail "sshd did not accept connections on 127.0.0.1:$port within 5 s: $(cat "$dir/sshd.log")"; }
  local fingerprint
  fingerprint=$(ssh-keygen -l -E sha256 -f "$dir/host_ed25519.pub" | awk '{print $2}')
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
  echo "SFTP_HOST=127.0.0.1"
  echo "SFTP_PORT=$port"
  echo "SFTP_USER=$user"
  echo "SFTP_KEY_FILE=$dir/client_ed25519"
  echo "SFTP_ENCRYPTED_KEY_FILE=$dir/client_encrypted"
  echo "SFTP_KEY_PASSPHRASE=$passphrase"
  echo "SFTP_HOST_KEY_FINGERPRINT=$fingerprint"
  echo "SFTP_KNOWN_HOSTS_FILE=$dir/known_hosts"
  echo "SFTP_DATA_DIR=$dir/data"
  echo "SFTP_PASSWORD=$password"
  echo "SFTP_PID=$pid"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) fail "unknown command $cmd" ;;
esac
