#!/usr/bin/env bash
# Build a Debian base image locally (debootstrap, then docker load of an image archive), for machines
# that reach Debian's package mirror but no image registry.
# Usage: docker/local-base.sh [IMAGE] [PLATFORM]   (default sparkcluster/debian:bookworm, this machine's platform)
#   docker/local-base.sh sparkcluster/debian:bookworm-arm64 linux/arm64   # another CPU: needs docker/emulation.sh first
set -euo pipefail
image=${1:-sparkcluster/debian:bookworm}
platform=${2:-}
suite=bookworm
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image already exists"; exit 0
fi
arch=()
if [ -n "$platform" ]; then
  deb_arch=${platform#linux/}; arch=(--arch "$deb_arch")
  case $deb_arch in arm64) cpu=aarch64 ;; amd64) cpu=x86_64 ;; *) cpu=$deb_arch ;; esac
  [ "$deb_arch" = "$(dpkg --print-architecture)" ] || [ -e "/proc/sys/fs/binfmt_misc/qemu-$cpu" ] \
    || { echo "error: this machine cannot run $platform programs: run  sudo bash docker/emulation.sh  first" >&2; exit 1; }
fi
# Use the mirror this machine's apt already uses, so no address is hard-coded.
apt_uris() { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
             | grep -oE '^(URIs:|deb) +https?://[^ ]+' | awk '{print $2}'; }
mirror=$(apt_uris | grep -E '/debian/?$' | head -n 1 || true)
security=$(apt_uris | grep -E '/debian-security/?$' | head -n 1 || true)
[ -n "$mirror" ] || { echo "error: no Debian mirror found in /etc/apt; configure apt with a Debian mirror first" >&2; exit 1; }
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $suite${platform:+ for $platform} (about a minute; several under emulation)..."
debootstrap --variant=minbase "${arch[@]}" "$suite" "$rootfs" "$mirror" >/dev/null
{
  echo "deb $mirror $suite main"
  echo "deb $mirror $suite-updates main"
  [ -z "$security" ] || echo "deb $security $suite-security main"
} > "$rootfs/etc/apt/sources.list"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# An image archive as `docker save` writes one (one layer, its config naming the CPU), for `docker load`:
# `docker import` would label the image with this machine's CPU, whatever it holds.
out=$(mktemp -d); trap 'rm -rf "$rootfs" "$out"' EXIT
tar -C "$rootfs" --numeric-owner -cf "$out/layer.tar" .
python3 - "$out" "$image" "${deb_arch:-$(dpkg --print-architecture)}" <<'PY'
import hashlib, json, sys, time
from pathlib import Path
out, image, arch = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
h = hashlib.sha256()
with open(out/'layer.tar', 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''): h.update(block)
created = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
config = json.dumps({'architecture': arch, 'os': 'linux', **({'variant': 'v8'} if arch == 'arm64' else {}), 'created': created,
                     'config': {}, 'rootfs': {'type': 'layers', 'diff_ids': [f'sha256:{h.hexdigest()}']},
                     'history': [{'created': created, 'created_by': 'debootstrap --variant=minbase bookworm (docker/local-base.sh)'}]}).encode()
name = hashlib.sha256(config).hexdigest() + '.json'
(out/name).write_bytes(config)
(out/'manifest.json').write_text(json.dumps([{'Config': name, 'RepoTags': [image], 'Layers': ['layer.tar']}]))
PY
tar -C "$out" -c . | docker load >/dev/null
echo "built $image"
