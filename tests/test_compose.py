"""The compose stack as a user meets it: run with `make test-docker`, which starts the stack first and removes it after.

Everything goes through the ports published on 127.0.0.1 (Jupyter, the Spark UIs) or `docker exec` into the
stack's own containers, as a person following the course would.
"""
import asyncio, json, re, subprocess, sys, urllib.error, urllib.request, uuid
from importlib.metadata import requires
from pathlib import Path
import pytest
from sparkcluster.cluster import cluster_status, wait_until

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import nbrun
ENV = nbrun.stack_env()
SECRETS = {f.name: f.read_text() for f in (ROOT/'docker'/'secrets').iterdir()}  # postgres_password, jupyter_token, spark_rpc_secret
JUPYTER = 'http://127.0.0.1:8888'

def container(service):
    "The running container of a compose service, or of one worker: 'spark-worker-2' is the second replica of spark-worker."
    return f'sparkcluster-{service}' if service.startswith('spark-worker-') else f'sparkcluster-{service}-1'

def worker_addresses():
    "The addresses the two workers register under: their hostnames, the containers' short IDs."
    return {subprocess.run(['docker', 'inspect', '--format', '{{.Config.Hostname}}', container(w)], capture_output=True, text=True,
                           check=True).stdout.strip() for w in ('spark-worker-1', 'spark-worker-2')}

def http_status(url, token=None):
    "HTTP status of a GET, with the Jupyter token when given."
    req = urllib.request.Request(url, headers={'Authorization': f'token {token}'} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r: return r.status
    except urllib.error.HTTPError as e: return e.code

def run_in_kernel(code, timeout=600):
    "Run `code` in a new kernel of the Jupyter server on spark-master, through its REST API and websocket; what it printed."
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    auth = {'Authorization': f"token {SECRETS['jupyter_token']}"}
    req = urllib.request.Request(f'{JUPYTER}/api/kernels', data=b'{"name": "python3"}', headers=auth, method='POST')
    with urllib.request.urlopen(req, timeout=30) as r: kernel = json.load(r)['id']
    async def execute():
        ws = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:8888/api/kernels/{kernel}/channels", headers=auth))
        msg_id = uuid.uuid4().hex
        ws.write_message(json.dumps({
            'header': {'msg_id': msg_id, 'msg_type': 'execute_request', 'username': 'test', 'session': uuid.uuid4().hex, 'version': '5.3'},
            'parent_header': {}, 'metadata': {}, 'channel': 'shell', 'buffers': [],
            'content': {'code': code, 'silent': False, 'store_history': False, 'user_expressions': {}, 'allow_stdin': False}}))
        out = []
        while True:
            msg = json.loads(await asyncio.wait_for(ws.read_message(), timeout))
            if msg['parent_header'].get('msg_id') != msg_id: continue
            kind, content = msg['msg_type'], msg['content']
            if kind == 'stream' and content['name'] == 'stdout': out.append(content['text'])  # the JVM's warnings go to stderr
            elif kind == 'error': raise AssertionError(f"{content['ename']}: {content['evalue']}\n{''.join(out)}")
            elif kind == 'status' and content['execution_state'] == 'idle': return ''.join(out)
    try: return asyncio.run(execute())
    finally: urllib.request.urlopen(urllib.request.Request(f'{JUPYTER}/api/kernels/{kernel}', headers=auth, method='DELETE'), timeout=30)

def psql(sql):
    "A query run by psql inside the postgres container."
    return subprocess.run(['docker', 'exec', container('postgres'), 'psql', '-U', ENV['POSTGRES_USER'], '-d', ENV['POSTGRES_DB'], '-At', '-c', sql],
                          capture_output=True, text=True, check=True).stdout.strip()

def in_image(*cmd):
    "Output of a command run in a throwaway container of the image."
    return subprocess.run(['docker', 'run', '--rm', 'sparkcluster:latest', *cmd], capture_output=True, text=True, check=True).stdout.strip()

def test_image_runs_the_pinned_versions_as_a_non_root_user():
    pins = {name.split('[')[0]: version for name, version in (r.split('==') for r in requires('sparkcluster') if '==' in r and ';' not in r)}  # pyspark[connect]: its name without the extra
    image = json.loads(in_image('python', '-c', 'import json; from sparkcluster.image import versions; print(json.dumps(versions()))'))
    assert image['pyspark'] == pins['pyspark'] and image['postgresql_jdbc'] and int(image['java'].split('.')[0]) >= 17, image
    assert in_image('sh', '-c', 'ls /opt/spark/jars/postgresql.jar; id -u') == '/opt/spark/jars/postgresql.jar\n185'

def test_image_installs_exactly_the_lock():
    "Every Python package in the image at the version requirements.lock gives: a build a month later installs the same."
    lock = dict(l.lower().split('==') for l in (ROOT/'requirements.lock').read_text().splitlines() if l and not l.startswith('#'))
    image = dict(l.lower().split('==') for l in in_image('pip', 'freeze', '--exclude', 'sparkcluster').splitlines())
    assert image and {k: v for k, v in image.items() if lock.get(k) != v} == {}

def test_two_workers_alive():
    st = cluster_status('http://127.0.0.1:8080')
    assert st['state'] == 'ALIVE' and st['master_url'] == 'spark://spark-master:7077', st
    assert {w['address']: w['state'] for w in st['workers']} == dict.fromkeys(worker_addresses(), 'ALIVE'), st['workers']

def test_jupyter_requires_its_token():
    assert http_status(f'{JUPYTER}/api/status') == 403
    assert http_status(f'{JUPYTER}/api/status', 'not-the-token') == 403
    assert http_status(f'{JUPYTER}/api/status', SECRETS['jupyter_token']) == 200

# What `ps -eo args` shows, read from /proc: the postgres image has no ps.
COMMAND_LINES = 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done'

def test_no_secret_on_a_command_line_or_in_an_environment():
    "The command lines in every container and on this machine, and each container's environment as docker inspect shows it: no secret."
    listings = {'this machine': subprocess.run(['sh', '-c', COMMAND_LINES], capture_output=True, text=True, check=True).stdout}
    for service in ('spark-master', 'spark-worker-1', 'spark-worker-2', 'postgres'):
        listings[service] = subprocess.run(['docker', 'exec', container(service), 'sh', '-c', COMMAND_LINES], capture_output=True, text=True, check=True).stdout
        listings[f'{service} environment'] = subprocess.run(['docker', 'inspect', '--format', '{{json .Config.Env}}', container(service)],
                                                            capture_output=True, text=True, check=True).stdout
    assert 'deploy.master.Master' in listings['spark-master'] and 'jupyter-lab' in listings['spark-master'] and 'postgres' in listings['postgres']
    leaked = [(where, name) for where, text in listings.items() for name, value in SECRETS.items() if value in text]
    assert not leaked, leaked

def test_published_ports_bind_loopback_only():
    ports = subprocess.run(['docker', 'ps', '--filter', 'name=sparkcluster-', '--format', '{{.Ports}}'], capture_output=True, text=True, check=True).stdout
    published = re.findall(r'([\d.:\[\]]+):\d+->', ports)
    assert published and all(p == '127.0.0.1' for p in published), ports

def test_masters_rest_submission_server_is_off():
    "Spark 4.1+ opens a REST submission server on the master unless told not to: it asks for no secret, so nothing may listen."
    submit = ['curl', '-sS', '-o', '/dev/null', '-X', 'POST', 'http://spark-master:6066/v1/submissions/create']
    r = subprocess.run(['docker', 'exec', container('spark-worker-1'), *submit], capture_output=True, text=True)
    assert r.returncode == 7 and 'Failed to connect' in r.stderr, (r.returncode, r.stderr)  # 7: nothing listens
    logs = subprocess.run(['docker', 'logs', container('spark-master')], capture_output=True, text=True)
    log = logs.stdout + logs.stderr
    assert 'Starting Spark master' in log and 'REST server' not in log, log[-2000:]

JOB = '''
import json, time
from sparkcluster.cluster import spark_session, tasks_per_executor
spark = spark_session(app_name='docker-smoke')
sc = spark.sparkContext
def slow(x):
    time.sleep(0.3)
    return x
before = tasks_per_executor(spark)  # the version check's tasks
assert sc.parallelize(range(16), 8).map(slow).sum() == sum(range(16))
print(json.dumps({host: n - before.get(host, 0) for host, n in tasks_per_executor(spark).items()}))
spark.stop()
'''

def executors_with_tasks():
    "Run JOB (8 tasks) from Jupyter on spark-master; the executors' addresses that ran some of them."
    tasks = json.loads(run_in_kernel(JOB).strip().splitlines()[-1])
    return sorted(h for h, n in tasks.items() if n > 0)

def test_job_from_jupyter_runs_on_both_executors():
    assert len(executors_with_tasks()) == 2

ARCHIVES = '''
import json, os
from pathlib import Path
from sparkcluster.cluster import spark_session
from sparkcluster.local_cluster import mapped_archives
def executor_archives(_):
    "The archives of the executor JVM that runs this task: the first process above it that is one."
    pid = os.getpid()
    while b'CoarseGrainedExecutorBackend' not in Path(f'/proc/{pid}/cmdline').read_bytes():
        pid = int(Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[1])
    return mapped_archives(pid)
spark = spark_session(app_name='archives')
print(json.dumps({'driver': mapped_archives(spark.sparkContext._jvm.ProcessHandle.current().pid()),
                  'executors': sorted(set(map(tuple, spark.sparkContext.parallelize(range(8), 8).map(executor_archives).collect())))}))
spark.stop()
'''

def daemon_archives(service, main_class):
    "The archives that each JVM of `service`'s container whose command line names `main_class` maps (read as spark, their user: root in a container may not)."
    code = ("from sparkcluster.local_cluster import mapped_archives, pids_naming; "
            f"print([mapped_archives(pid) for pid in pids_naming('{main_class}')])")
    return subprocess.run(['docker', 'exec', '-u', 'spark', container(service), 'python', '-c', code], capture_output=True, text=True, check=True).stdout.strip()

def test_every_spark_jvm_starts_from_its_class_data_archive():
    "The image build's archives are mapped by the master, both workers, a driver in Jupyter and its executors, so that none reads its classes the slow way."
    assert daemon_archives('spark-master', 'deploy.master.Master') == "[['master.jsa']]"
    for worker in ('spark-worker-1', 'spark-worker-2'): assert daemon_archives(worker, 'deploy.worker.Worker') == "[['worker.jsa']]"
    jvms = json.loads(run_in_kernel(ARCHIVES).strip().splitlines()[-1])
    assert jvms == {'driver': ['driver.jsa'], 'executors': [['executor.jsa']]}, jvms

def test_postgres_reachable_from_jupyter_with_the_generated_password():
    "The driver logs in with the password file the entrypoint wrote: no password in its environment or settings."
    out = run_in_kernel('''
import os
from sparkcluster.project import pg_config, connect
cfg = pg_config()
with connect(cfg) as con, con.cursor() as cur:
    cur.execute('select current_user, inet_server_addr() is not null')
    print(cur.fetchone(), cfg.password, 'PGPASSWORD' in os.environ)
''')
    assert f"('{ENV['POSTGRES_USER']}', True) None False" in out, out
    assert SECRETS['postgres_password'] not in out

@pytest.mark.parametrize('step', nbrun.STEPS)
def test_step_runs_top_to_bottom_in_the_stacks_jupyter(step):
    "Each step, unchanged, run by the master container's own Jupyter kernel; the run is kept for the docs."
    nbrun.run_in_stack(container('spark-master'), step, keep_as=f"the compose stack, {len(worker_addresses())} workers")
    if step == '02_project':  # the two tables, as the postgres container itself sees them
        assert psql('select (select count(*) from carrier_monthly_stats) || \',\' || (select count(*) from route_stats)') == '185,224'
        assert psql('select count(*) from (select carrier, year, month from carrier_monthly_stats group by 1, 2, 3 having count(*) > 1) d') == '0'

def test_driver_without_the_rpc_secret_is_refused():
    "A driver on the stack's own network, from the same image but without SPARK_RPC_SECRET, never gets to run a job."
    code = "from sparkcluster.cluster import spark_session\nspark_session('spark://spark-master:7077', app_name='no-secret')\nprint('ACCEPTED')"
    r = subprocess.run(['docker', 'run', '--rm', '--network', 'sparkcluster_spark', 'sparkcluster:latest', 'python', '-c', code],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and 'ACCEPTED' not in r.stdout, r.stdout + r.stderr[-2000:]
    assert r.stderr.strip().splitlines()[-1].startswith(
        'sparkcluster.image.SparkclusterError: the master at spark://spark-master:7077 did not accept this driver'), r.stderr[-2000:]
    assert 'no-secret' not in cluster_status('http://127.0.0.1:8080')['apps']

def test_worker_container_restarted_rejoins_and_takes_tasks():
    subprocess.run(['docker', 'stop', container('spark-worker-2')], check=True, capture_output=True)
    subprocess.run(['docker', 'start', container('spark-worker-2')], check=True, capture_output=True)
    expected = dict.fromkeys(worker_addresses(), 'ALIVE')  # the same address again
    workers = lambda: {w['address']: w['state'] for w in cluster_status('http://127.0.0.1:8080')['workers']}
    assert wait_until(lambda: workers() == expected, 120, interval=1), workers()
    assert len(executors_with_tasks()) == 2

def test_no_secret_in_any_container_log():
    "Runs last: after everything above, no container's log holds the token, the PostgreSQL password or the RPC secret."
    secrets = SECRETS
    for service in ('spark-master', 'spark-worker-1', 'spark-worker-2', 'postgres'):
        r = subprocess.run(['docker', 'logs', container(service)], capture_output=True, text=True, check=True)
        leaked = [k for k, v in secrets.items() if v in r.stdout + r.stderr]
        assert not leaked, f"{service}'s log contains {leaked}"
