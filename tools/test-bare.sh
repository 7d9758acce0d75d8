#!/usr/bin/env bash
# The notebooks that start services on this machine (the local cluster, PostgreSQL, the sparkcluster command), run as a
# newcomer runs them on a bare Debian: a minbase container (no ps, no IPv6 loopback, only what debootstrap puts in),
# root, this working tree copied to /root/sparkcluster, README's `make test` there. It installs what they need itself.
# Usage: tools/test-bare.sh [BASE_IMAGE]   (make test-bare; default sparkcluster/debian:bookworm, docker/local-base.sh's)
set -euo pipefail
base=${1:-sparkcluster/debian:bookworm}
cd "$(dirname "$0")/.."
notebooks='nbs/10_local_cluster.ipynb nbs/11_local_postgres.ipynb nbs/12_cli.ipynb'
docker image inspect "$base" >/dev/null 2>&1 || { echo "error: no image $base: build it with  bash docker/local-base.sh $base" >&2; exit 1; }
name=sparkcluster-bare-$$
docker run -d --name "$name" "$base" sleep infinity >/dev/null
trap 'docker rm -f "$name" >/dev/null' EXIT
in_bare() { docker exec -i -e DEBIAN_FRONTEND=noninteractive "$name" "$@"; }
in_bare sh -c 'for c in ps ip pgrep python3 java make; do command -v $c >/dev/null && echo "error: $c is there" && exit 1; done; exit 0' \
  || { echo "error: $base is not a bare system" >&2; exit 1; }
in_bare sh -c '! grep -q "00000000000000000000000000000001" /proc/net/if_inet6 2>/dev/null' \
  || echo "note: this container has an IPv6 loopback, so the IPv6 cases run instead of being skipped"
in_bare mkdir -p /root/sparkcluster /usr/local/share/ca-certificates
git ls-files -z | tar --null -T - -c | in_bare tar -x -C /root/sparkcluster
# What a machine behind a TLS-inspecting proxy adds to its trust store (as make image passes in), and the cached pyspark wheel.
[ ! -d /usr/local/share/ca-certificates ] || tar -c -C /usr/local/share/ca-certificates . | in_bare tar -x -C /usr/local/share/ca-certificates
tar -c docker/wheels | in_bare tar -x -C /root/sparkcluster
echo "bare Debian ($base): python3, python3-venv and make first, as README's reader installs them"
in_bare sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv make ca-certificates >/dev/null \
               && update-ca-certificates >/dev/null'
in_bare env PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_FIND_LINKS=/root/sparkcluster/docker/wheels \
  make -C /root/sparkcluster test NOTEBOOKS="$notebooks"
