#!/usr/bin/env bash
# Let this Linux machine run arm64 programs under emulation (QEMU), so that docker builds and runs linux/arm64
# images: Debian's qemu-user-static, and the kernel's binfmt_misc told to hand arm64 programs to it. Needs root.
# Docker Desktop (macOS, Windows) does this itself; an Apple Silicon Mac runs arm64 natively and needs none of it.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "error: run as root:  sudo bash docker/emulation.sh" >&2; exit 1; }
[ -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || {
  echo "installing qemu-user-static..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null; }
binfmt=/proc/sys/fs/binfmt_misc
[ -e $binfmt/register ] || mount -t binfmt_misc binfmt_misc $binfmt
# Flag F (in the package's rule) opens the emulator now, so that it also runs inside containers, which do not have it.
[ -e $binfmt/qemu-aarch64 ] || grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf > $binfmt/register
grep -q '^enabled' $binfmt/qemu-aarch64 && echo "arm64 programs run here under emulation ($(grep ^interpreter $binfmt/qemu-aarch64))"
