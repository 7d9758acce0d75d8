#!/bin/bash
# Dispatch the container's role: master (Spark master + Jupyter driver + Spark Connect server), worker, or health (the healthcheck).
# Secrets come from compose's files in /run/secrets: they never reach a command line or the environment.
set -euo pipefail
master_url=${SPARK_MASTER_URL:-spark://spark-master:7077}

# Spark's configuration for this node: the image's defaults, plus RPC authentication and encryption (AES, keyed from
# the shared secret) when a secret is given, since workers may join from other machines over an open network.
# The master, the workers and every driver started here (Jupyter's) read it; a peer without the secret is refused.
write_conf() {
  mkdir -p "$SPARK_CONF_DIR"
  ( umask 077
    cp /opt/spark/conf/spark-defaults.conf "$SPARK_CONF_DIR/spark-defaults.conf"
    if [ -s /run/secrets/spark_rpc_secret ]; then
      printf 'spark.authenticate true\nspark.authenticate.secret %s\nspark.network.crypto.enabled true\n' \
        "$(cat /run/secrets/spark_rpc_secret)" >> "$SPARK_CONF_DIR/spark-defaults.conf"
    fi )
}

# The database's password file for this node's JVMs: the drivers here (Jupyter's, the Connect server's) and the executors
# of Spark Connect sessions, whose plans carry no password. Mode 600: libpq ignores one that others can read, and
# PostgreSQL's JDBC driver reads it as libpq does. A worker has no PG* variables: any database and role on postgres:5432.
write_pgpass() {
  if [ -s /run/secrets/postgres_password ]; then
    ( umask 077; printf '%s:%s:*:%s:%s\n' "${PGHOST:-postgres}" "${PGPORT:-5432}" "${PGUSER:-*}" "$(cat /run/secrets/postgres_password)" > "$HOME/.pgpass" )
  fi
}

case "${1:-master}" in
  master)
    write_conf
    /opt/spark/bin/spark-class org.apache.spark.deploy.master.Master \
      --host "$(hostname)" --port 7077 --webui-port 8080 &
    write_pgpass
    if [ "${START_JUPYTER:-1}" = 1 ]; then
      [ -s /run/secrets/jupyter_token ] || { echo "error: no Jupyter token in /run/secrets/jupyter_token: Jupyter never starts without one" >&2; exit 1; }
      # Jupyter's token in its configuration file rather than on its command line.
      ( umask 077
        mkdir -p "$HOME/.jupyter"
        printf '{"IdentityProvider": {"token": "%s"}}\n' "$(cat /run/secrets/jupyter_token)" > "$HOME/.jupyter/jupyter_server_config.json" )
      jupyter lab --no-browser --ip=0.0.0.0 --port=8888 --ServerApp.root_dir=/home/spark/work &
    fi
    if [ -s /run/secrets/spark_connect_token ]; then
      # The Spark Connect server: a driver of its own on this node, for notebooks off the cluster and for a class.
      # Its driver ports are fixed (7090, 7091) like Jupyter's (7078, 7079), for executors behind a published port.
      # Its clients' parallelism: the stack's workers' cores (2 when it has none; workers on other machines are not counted).
      until curl -fsS -o /dev/null http://localhost:8080/json/; do sleep 1; done
      sparkcluster connect-server --master "$master_url" --token-file /run/secrets/spark_connect_token \
        --cores $(( ${SPARK_WORKERS:-2} > 0 ? ${SPARK_WORKERS:-2} * ${SPARK_WORKER_CORES:-1} : 2 )) --bind 0.0.0.0 \
        --conf spark.driver.port=7090 --conf spark.blockManager.port=7091 --conf spark.ui.port=4041 &
    fi
    # If the master, Jupyter or the Connect server dies, the container exits, and compose restarts it.
    wait -n
    exit 1 ;;
  worker)
    write_conf
    write_pgpass
    # The address the master, the drivers and the other workers reach this worker and its executors at: the container's
    # hostname (its short ID, which the compose network resolves), or `worker --host IP` for a worker on another machine.
    host=$(hostname); [ "${2:-}" != --host ] || host=$3
    exec /opt/spark/bin/spark-class org.apache.spark.deploy.worker.Worker "$master_url" \
      --host "$host" --webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}" ;;
  health)
    if pgrep -f deploy.master.Master >/dev/null; then
      curl -fsS -o /dev/null http://localhost:8080/json/
      [ "${START_JUPYTER:-1}" != 1 ] || curl -fsS -o /dev/null http://localhost:8888/api
      [ ! -s /run/secrets/spark_connect_token ] || (exec 3<>/dev/tcp/localhost/15002)
    else
      curl -fsS http://localhost:"${SPARK_WORKER_WEBUI_PORT:-8081}"/json/ | grep -q "\"masterwebuiurl\""
    fi ;;
  *) exec "$@" ;;
esac
