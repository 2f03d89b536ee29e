#!/usr/bin/env bash
# Installs the Debian tools the tests drive for real: socat (pseudo-terminal pairs for serial
# tests), ffmpeg/ffprobe (real H.264 segments), chromium (the HTML report renders headless).
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "dozor setup: missing ${pkgs[*]}; run as root or: sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
echo "dozor setup: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
