#!/usr/bin/env bash
# Check the system packages sparkcluster needs (Java with its compiler, PostgreSQL, the JDBC driver); install the
# missing ones when this user may run apt-get, else print the exact command and fail.
set -euo pipefail
missing=()
{ command -v java && command -v javac; } >/dev/null || missing+=(openjdk-17-jdk-headless)
{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -f /usr/share/java/postgresql.jar ] || [ -n "${SPARKCLUSTER_JDBC_JAR:-}" ] || missing+=(libpostgresql-jdbc-java)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "error: missing ${missing[*]}: install a JDK 17+, PostgreSQL and its JDBC driver with your package manager" >&2; exit 1
fi
if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else
  echo "error: missing system packages: run  sudo apt-get install -y ${missing[*]}" >&2; exit 1
fi
echo "installing ${missing[*]}..."
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
