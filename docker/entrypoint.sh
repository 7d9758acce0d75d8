#!/bin/bash
# Dispatch the container's role: master (Spark master + Jupyter driver), worker, or health (the healthcheck).
set -euo pipefail
master_url=${SPARK_MASTER_URL:-spark://spark-master:7077}

# Spark's configuration for this node: the image's defaults, plus RPC authentication when a secret is given.
# The master, the workers and every driver started here (Jupyter's) read it; a peer without the secret is refused.
write_conf() {
  mkdir -p "$SPARK_CONF_DIR"
  ( umask 077
    cp /opt/spark/conf/spark-defaults.conf "$SPARK_CONF_DIR/spark-defaults.conf"
    if [ -n "${SPARK_RPC_SECRET:-}" ]; then
      printf 'spark.authenticate true\nspark.authenticate.secret %s\n' "$SPARK_RPC_SECRET" >> "$SPARK_CONF_DIR/spark-defaults.conf"
    fi )
}

case "${1:-master}" in
  master)
    write_conf
    /opt/spark/bin/spark-class org.apache.spark.deploy.master.Master \
      --host "$(hostname)" --port 7077 --webui-port 8080 &
    if [ "${START_JUPYTER:-1}" = 1 ]; then
      : "${JUPYTER_TOKEN:?set JUPYTER_TOKEN: Jupyter refuses to start without a token}"
      jupyter lab --no-browser --ip=0.0.0.0 --port=8888 --ServerApp.root_dir=/home/spark/work \
        --IdentityProvider.token="$JUPYTER_TOKEN" &
    fi
    # If the master or Jupyter dies, the container exits, and compose restarts it.
    wait -n
    exit 1 ;;
  worker)
    write_conf
    exec /opt/spark/bin/spark-class org.apache.spark.deploy.worker.Worker "$master_url" \
      --host "$(hostname)" --webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}" ;;
  health)
    if pgrep -f deploy.master.Master >/dev/null; then
      curl -fsS -o /dev/null http://localhost:8080/json/
      [ "${START_JUPYTER:-1}" != 1 ] || curl -fsS -o /dev/null http://localhost:8888/api/status -H "Authorization: token $JUPYTER_TOKEN"
    else
      curl -fsS http://localhost:"${SPARK_WORKER_WEBUI_PORT:-8081}"/json/ | grep -q "\"masterwebuiurl\""
    fi ;;
  *) exec "$@" ;;
esac
