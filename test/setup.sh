#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine and is missing:
# rclone (the reference the sync tests compare nclone against), the Ceph
# daemons behind test/servers/ceph-rgw.sh (a throwaway S3 server on 127.0.0.1),
# tmux (the terminal test/config-pty.test.ts types the config wizard into),
# zsh and fish (test/completion.test.ts loads the completion scripts into each shell),
# curl (test/s3/extras-link.test.ts downloads presigned links with it), and
# openssh-server (test/servers/sshd.sh runs a throwaway sshd on 127.0.0.1 for the sftp tests).
set -euo pipefail
need=()
command -v rclone >/dev/null 2>&1 || need+=(rclone)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
for pkg in ceph-mon ceph-osd radosgw; do
  command -v "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "test setup: installing ${need[*]} with apt-get"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # openssh-server's package starts and enables the system's sshd on port 22 of every
  # interface; the tests need only the binary. A policy-rc.d that says "do not start" keeps
  # it down while it installs (unless the machine has its own, as containers do), and the
  # service is then disabled. Only when this script is what installs the package.
  fresh_sshd=
  [[ " ${need[*]} " == *" openssh-server "* ]] && fresh_sshd=1
  own_policy=
  if [ -n "$fresh_sshd" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" || status=$?
  [ -z "$own_policy" ] || $sudo rm -f /usr/sbin/policy-rc.d
  [ "$status" = 0 ] || exit "$status"
  if [ -n "$fresh_sshd" ] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    echo "test setup: openssh-server installed for its sshd binary; the system's ssh service is left disabled"
  fi
fi
