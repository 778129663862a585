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
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
