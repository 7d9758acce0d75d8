#!/usr/bin/env bash
# Build a Debian base image locally (debootstrap + docker import), for machines
# that reach Debian's package mirror but no image registry.
# Usage: docker/local-base.sh [IMAGE]   (default sparkcluster/debian:bookworm)
set -euo pipefail
image=${1:-sparkcluster/debian:bookworm}
suite=bookworm
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image already exists"; exit 0
fi
# Use the mirror this machine's apt already uses, so no address is hard-coded.
apt_uris() { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
             | grep -oE '^(URIs:|deb) +https?://[^ ]+' | awk '{print $2}'; }
mirror=$(apt_uris | grep -E '/debian/?$' | head -n 1 || true)
security=$(apt_uris | grep -E '/debian-security/?$' | head -n 1 || true)
[ -n "$mirror" ] || { echo "error: no Debian mirror found in /etc/apt; configure apt with a Debian mirror first" >&2; exit 1; }
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $suite (about a minute)..."
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >/dev/null
{
  echo "deb $mirror $suite main"
  echo "deb $mirror $suite-updates main"
  [ -z "$security" ] || echo "deb $security $suite-security main"
} > "$rootfs/etc/apt/sources.list"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import - "$image" >/dev/null
echo "built $image"
