"""Spark Connect on the stack, from outside it: this machine's venv is the client, as a notebook on a laptop would be.

The client reaches the stack only through its published ports: the Connect server (127.0.0.1:15002) and PostgreSQL
(127.0.0.1:5432); the executors reach PostgreSQL at postgres:5432 on the stack's network (SPARKCLUSTER_JDBC_ADDRESS).
"""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import nbrun
ENV = nbrun.stack_env()
TOKEN_FILE = ROOT/'docker'/'secrets'/'spark_connect_token'

# One client: a Connect session, the project into its own schema (raw tables read from `raw`, loaded there when
# `load`), then PostgreSQL's own computation of both tables compared with them; a JSON report on stdout.
CLIENT = """
import json, sys, time
from dataclasses import replace
from sparkcluster.cluster import cluster_cores, is_connect
from sparkcluster.connect import connect_session
from sparkcluster.project import pg_config, query, run_pipeline
from sparkcluster.raw import load_raw
from sparkcluster.reference import differences_from_sql
schema, raw, load = sys.argv[1], sys.argv[2], sys.argv[3] == 'load'
cfg = pg_config()
query(cfg, f'CREATE SCHEMA IF NOT EXISTS {schema}')
cfg = replace(cfg, options={**cfg.options, 'options': f'-c search_path={schema},{raw}'})
if load: load_raw(cfg)  # into `schema`, the first on its search_path
t0 = time.time()
spark = connect_session()  # on $SPARK_REMOTE
started = time.time() - t0
report = run_pipeline(spark, cfg, log=lambda line: print(line, file=sys.stderr))
print(json.dumps(dict(connect=is_connect(spark), cores=cluster_cores(spark), session_start=started, seconds=report['seconds'],
                      rows=report['rows'], differences=[list(map(str, d)) for d in differences_from_sql(cfg)])))
"""

@pytest.fixture(scope='module')
def client_env():
    "The environment of a client on this machine: the server and its token's file, the database and a password file."
    with tempfile.TemporaryDirectory() as d:
        passfile = Path(d)/'pgpass'
        passfile.write_text(f"127.0.0.1:5432:*:{ENV['POSTGRES_USER']}:{(ROOT/'docker/secrets/postgres_password').read_text()}\n")
        passfile.chmod(0o600)
        yield {**{k: v for k, v in os.environ.items() if not k.startswith(('PG', 'SPARK'))},
               'SPARK_REMOTE': 'sc://localhost:15002', 'SPARK_CONNECT_TOKEN_FILE': str(TOKEN_FILE),
               'PGHOST': '127.0.0.1', 'PGPORT': '5432', 'PGDATABASE': ENV['POSTGRES_DB'], 'PGUSER': ENV['POSTGRES_USER'],
               'PGPASSFILE': str(passfile), 'SPARKCLUSTER_JDBC_ADDRESS': 'postgres:5432'}

def start_client(env, schema, raw, load):
    return subprocess.Popen([sys.executable, '-c', CLIENT, schema, raw, 'load' if load else 'no-load'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

def report_of(p, timeout=600):
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, err[-3000:]
    return json.loads(out)

def test_a_client_outside_the_stack_runs_the_project_and_sql_agrees(client_env):
    report = report_of(start_client(client_env, 'connect_host', 'connect_host', load=True))
    print(f"\nConnect client on the host: session start {report['session_start']:.1f}s, phases {report['seconds']}")
    assert report['connect'] and report['cores'] == 2, report
    assert report['rows'] == {'carrier_monthly_stats': 185, 'route_stats': 224} and report['differences'] == [], report

def test_three_clients_at_once_each_into_its_own_schema(client_env):
    t0 = time.time()
    clients = {s: start_client(client_env, s, 'connect_host', load=False) for s in ('class_1', 'class_2', 'class_3')}
    reports = {s: report_of(p) for s, p in clients.items()}
    print(f"\nthree Connect clients at once: {time.time() - t0:.0f}s wall; project seconds " +
          ', '.join(f"{s} {sum(r['seconds'].values()):.1f}" for s, r in reports.items()))
    for s, r in reports.items():
        assert r['rows'] == {'carrier_monthly_stats': 185, 'route_stats': 224} and r['differences'] == [], (s, r)

def refusal(env, code):
    "What a client's Python prints on stderr, and its exit code."
    p = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, timeout=120)
    return p.stderr.strip(), p.returncode

def test_a_client_without_the_token_is_refused_in_one_line(client_env):
    env = {k: v for k, v in client_env.items() if k != 'SPARK_CONNECT_TOKEN_FILE'}
    err, code = refusal(env, 'from sparkcluster.connect import connect_session; connect_session()')
    line = err.splitlines()[-1]
    assert code != 0 and line.startswith('sparkcluster.image.SparkclusterError: the Spark Connect server at sc://localhost:15002') \
        and 'refused this client (No authentication token provided)' in line, line
    # The server refuses, not the library: pyspark's own client with a wrong token gets nowhere either
    err, code = refusal(env, "from pyspark.sql import SparkSession; SparkSession.builder.remote('sc://localhost:15002/;token=wrong').getOrCreate().range(1).count()")
    assert code != 0 and 'status = StatusCode.UNAUTHENTICATED' in err and 'Invalid authentication token' in err, err[-2000:]
