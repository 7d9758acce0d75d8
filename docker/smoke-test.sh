#!/usr/bin/env bash
# Smoke test of one image, for any platform it was built for (make smoke, make smoke PLATFORM=linux/arm64):
# its versions and the JDBC driver, then a master and a worker started from it by the entrypoint's roles,
# on a Docker network of their own with no way out, and a job run from the master node on the worker.
# Usage: docker/smoke-test.sh [IMAGE]   (default sparkcluster:latest)
set -euo pipefail
image=${1:-sparkcluster:latest}
cd "$(dirname "$0")/.."
started=$(date +%s)
say() { echo "[$(( $(date +%s) - started ))s] $*"; }
fail() { echo "error: $*" >&2; exit 1; }
docker image inspect "$image" >/dev/null 2>&1 || fail "no image $image: build it with make image (PLATFORM=... for another CPU)"
arch=$(docker image inspect --format '{{.Architecture}}' "$image")
case $arch in arm64) machine=aarch64 ;; amd64) machine=x86_64 ;; *) machine=$arch ;; esac
pin=$(sed -n 's/^requirements = .*pyspark\(\[[a-z]*\]\)\{0,1\}==\([^ ]*\).*/\2/p' settings.ini)

say "$image ($arch): versions"
versions=$(docker run --rm --network none --platform "linux/$arch" "$image" python -c \
  'import json, platform; from sparkcluster.image import versions; print(json.dumps({**versions(), "machine": platform.machine()}))')
echo "  $versions"
python3 - "$versions" "$pin" "$machine" <<'PY' || fail "the image's versions are not the pinned ones (above)"
import json, sys
v, pin, machine = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.exit(not (v['pyspark'] == pin and v['postgresql_jdbc'] and int(v['java'].split('.')[0]) >= 17 and v['machine'] == machine))
PY

name=sparkcluster-smoke-$$
tmp=$(mktemp -d)
trap 'docker rm -f "$name-master" "$name-worker" >/dev/null 2>&1 || true; docker network rm "$name" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
# --internal: the containers reach each other and nothing else.
docker network create --internal "$name" >/dev/null
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tmp/jupyter_token"
chmod 644 "$tmp/jupyter_token"  # read by uid 185 in the container
say "master (with Jupyter) and one worker"
docker run -d --platform "linux/$arch" --name "$name-master" --hostname smoke-master --network "$name" \
  -v "$tmp/jupyter_token:/run/secrets/jupyter_token:ro" "$image" master >/dev/null
docker run -d --platform "linux/$arch" --name "$name-worker" --network "$name" -e SPARK_MASTER_URL=spark://smoke-master:7077 "$image" worker >/dev/null
for _ in $(seq 600); do
  [ "$(docker inspect --format '{{.State.Running}}' "$name-master" "$name-worker" | sort -u)" = true ] \
    || { docker logs "$name-master" 2>&1 | tail -20; docker logs "$name-worker" 2>&1 | tail -20; fail "a container stopped (its log above)"; }
  alive=$(docker exec "$name-master" curl -fsS http://localhost:8080/json/ 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["aliveworkers"])' 2>/dev/null || true)
  [ "$alive" = 1 ] && break
  sleep 1
done
[ "$alive" = 1 ] || fail "the worker did not register with the master in 600 s"
say "the worker has registered; a job from the master node"
out=$(docker exec "$name-master" python -c '
import platform
from sparkcluster.cluster import spark_session
spark = spark_session("spark://smoke-master:7077", app_name="smoke")
print(spark.sparkContext.parallelize(range(1000), 4).map(lambda x: x * x).sum())
print(spark.sparkContext.parallelize([0], 1).map(lambda _: platform.machine()).first())
print(spark._jvm.java.lang.Class.forName("org.postgresql.Driver").getName())
spark.stop()' 2>"$tmp/job.err") || { tail -20 "$tmp/job.err"; fail "the job failed (its last lines above)"; }
echo "$out" | sed 's/^/  /'
expected=$(python3 -c 'print(sum(x * x for x in range(1000)))')
[ "$out" = "$(printf '%s\n%s\n%s' "$expected" "$machine" org.postgresql.Driver)" ] \
  || fail "expected the sum $expected, computed on an executor on $machine, with the JDBC driver loaded"
say "ok: $image runs a master, a worker and a job on $machine"
