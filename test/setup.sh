#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine and is missing:
# rclone (the reference the sync tests compare nclone against).
set -euo pipefail
need=()
command -v rclone >/dev/null 2>&1 || need+=(rclone)
if ((${#need[@]})); then
  echo "test setup: installing ${need[*]} with apt-get"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
