#!/bin/bash
# Dispatch the container's role: master (Spark master + Jupyter driver + Spark Connect server), worker, or health (the healthcheck).
# Secrets come from compose's files in /run/secrets: they never reach a command line or the environment.
set -euo pipefail
master_url=${SPARK_MASTER_URL:-spark://spark-master:7077}

# Spark's configuration for the JVMs of one user, in conf/ of its home: the image's defaults, plus RPC authentication
# and encryption (AES, keyed from the shared secret) when a secret is given, since workers may join from other machines
# over an open network. The master, the workers and every driver started here read it; a peer without the secret is refused.
# The database's password file beside it, for the drivers here (Jupyter's, the Connect server's) and the executors of
# Spark Connect sessions, whose plans carry no password. Mode 600: libpq ignores one that others can read, and
# PostgreSQL's JDBC driver reads it as libpq does. A worker has no PG* variables: any database and role on postgres:5432.
write_files() {  # write_files HOME USER
  local home=$1 user=$2
  ( umask 077
    mkdir -p "$home/conf"
    cp /opt/spark/conf/spark-defaults.conf "$home/conf/spark-defaults.conf"
    if [ -s /run/secrets/spark_rpc_secret ]; then
      printf 'spark.authenticate true\nspark.authenticate.secret %s\nspark.network.crypto.enabled true\n' \
        "$(cat /run/secrets/spark_rpc_secret)" >> "$home/conf/spark-defaults.conf"
    fi
    if [ -s /run/secrets/postgres_password ]; then
      printf '%s:%s:*:%s:%s\n' "${PGHOST:-postgres}" "${PGPORT:-5432}" "${PGUSER:-*}" "$(cat /run/secrets/postgres_password)" > "$home/.pgpass"
    fi )
  [ "$(id -u)" != 0 ] || chown -R "$user:$(id -gn "$user")" "$home/conf" "$home/.pgpass" 2>/dev/null || true
}

# as USER HOME COMMAND... &: the background job becomes COMMAND (exec), as USER, with its home and its Spark configuration
# (from root; as itself otherwise), so that `docker stop`'s signal reaches it and the entrypoint waits for it to stop.
as() {
  local user=$1 home=$2; shift 2
  if [ "$(id -u)" = 0 ] && [ "$user" != root ]; then set -- setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"; fi
  HOME=$home USER=$user SPARK_CONF_DIR=$home/conf exec "$@"
}

# The variables that start a Spark daemon (ROLE: master or worker) from its class-data archive (step 1), one per line:
# Spark's configuration folder off its class path, as the archive requires, so the daemon gets spark-defaults.conf with
# --properties-file instead, and a worker's executors get their settings from their driver.
daemon_env() {
  python -c "from sparkcluster.cluster import NO_CONF_DIR; from sparkcluster.local_cluster import archive_options as a; print(f'SPARK_CONF_DIR={NO_CONF_DIR}\nSPARK_DAEMON_JAVA_OPTS={a(\"$1\")}')"
}

# The notebook server runs as the owner of the mounted nbs/ folder, so that the notebooks you save are yours on the
# host: started as root (compose's `user: root`), the entrypoint gives that uid a name if it has none, since Java and
# Jupyter need one. Everything else runs as spark (uid 185). Started as another user, everything runs as that user.
notebook_user() {
  local uid gid
  uid=$(stat -c %u /home/spark/work/nbs 2>/dev/null || id -u); gid=$(stat -c %g /home/spark/work/nbs 2>/dev/null || id -g)
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  getent group "$gid" >/dev/null || groupadd --gid "$gid" notebook
  getent passwd "$uid" >/dev/null || useradd --uid "$uid" --gid "$gid" --home-dir /home/notebook --create-home --shell /bin/bash notebook
  getent passwd "$uid" | cut -d: -f1
}

case "${1:-master}" in
  master)
    write_files /home/spark spark
    mapfile -t master_env < <(daemon_env master)
    as spark /home/spark env "${master_env[@]}" /opt/spark/bin/spark-class org.apache.spark.deploy.master.Master \
      --host "$(hostname)" --port 7077 --webui-port 8080 --properties-file /home/spark/conf/spark-defaults.conf &
    [ -s /run/secrets/jupyter_token ] || { echo "error: no Jupyter token in /run/secrets/jupyter_token: Jupyter never starts without one" >&2; exit 1; }
    student=$(notebook_user); home=$(getent passwd "$student" | cut -d: -f6)
    [ "$student" = spark ] || write_files "$home" "$student"
    # Jupyter's token in its configuration file rather than on its command line.
    ( umask 077
      mkdir -p "$home/.jupyter"
      printf '{"IdentityProvider": {"token": "%s"}}\n' "$(cat /run/secrets/jupyter_token)" > "$home/.jupyter/jupyter_server_config.json" )
    [ "$(id -u)" != 0 ] || chown -R "$student:$(id -gn "$student")" "$home/.jupyter"
    as "$student" "$home" jupyter lab --no-browser --ip=0.0.0.0 --port=8888 --ServerApp.root_dir=/home/spark/work \
      $([ "$student" != root ] || echo --allow-root) &
    if [ -s /run/secrets/spark_connect_token ]; then
      # The Spark Connect server: a driver of its own on this node, for notebooks off the cluster and for a class.
      # Its driver ports are fixed (7090, 7091) like Jupyter's (7078, 7079), for executors behind a published port.
      # Its clients' parallelism: the stack's workers' cores (2 when it has none; workers on other machines are not counted).
      until curl -fsS -o /dev/null http://localhost:8080/json/; do sleep 1; done
      as spark /home/spark sparkcluster connect-server --master "$master_url" --token-file /run/secrets/spark_connect_token \
        --cores $(( ${SPARK_WORKERS:-2} > 0 ? ${SPARK_WORKERS:-2} * ${SPARK_WORKER_CORES:-1} : 2 )) --bind 0.0.0.0 \
        --conf spark.driver.port=7090 --conf spark.blockManager.port=7091 --conf spark.ui.port=4041 &
    fi
    # docker stop: tini -g has signalled every process; wait until all have stopped. If one dies on its own, the
    # container exits, and compose restarts it.
    trap 'wait; exit 0' TERM INT
    wait -n
    exit 1 ;;
  worker)
    write_files "$HOME" spark
    # The address the master, the drivers and the other workers reach this worker and its executors at: the container's
    # hostname (its short ID, which the compose network resolves), or `worker --host IP` for a worker on another machine.
    host=$(hostname); [ "${2:-}" != --host ] || host=$3
    mapfile -t worker_env < <(daemon_env worker)
    exec env "${worker_env[@]}" /opt/spark/bin/spark-class org.apache.spark.deploy.worker.Worker "$master_url" --host "$host" \
      --webui-port 8081 --properties-file "$HOME/conf/spark-defaults.conf" ;;
  health)
    if pgrep -f deploy.master.Master >/dev/null; then
      curl -fsS -o /dev/null http://localhost:8080/json/
      curl -fsS -o /dev/null http://localhost:8888/api
      [ ! -s /run/secrets/spark_connect_token ] || (exec 3<>/dev/tcp/localhost/15002)
    else
      curl -fsS http://localhost:8081/json/ | grep -q "\"masterwebuiurl\""
    fi ;;
  *) exec "$@" ;;
esac
