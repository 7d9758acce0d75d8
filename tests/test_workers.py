"""More workers, more machines: a stack of its own with 3 workers, then a worker outside any compose network that joins
it through the published ports only, as a worker on another machine does (README: "More workers, more machines").

The stack has its own compose project and its own loopback address, so it never touches the default stack
(tests/test_compose.py): same ports, other address. It reads the same docker/.env and docker/secrets/ (`make up` makes them).
"""
import json, os, subprocess, sys
from pathlib import Path
import pytest
from sparkcluster.cluster import cluster_status, wait_until
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tools'))
import nbrun

ROOT = Path(__file__).resolve().parents[1]
PROJECT = 'sparkcluster-workers'
# Not 127.0.0.3: the local cluster (`sparkcluster up`) puts its second worker, and that worker's UI port 8082, there.
BIND = '127.0.0.13'
IMAGE = os.environ.get('SPARKCLUSTER_IMAGE', 'sparkcluster:latest')  # the image compose.yaml runs
UI = f'http://{BIND}:8080'
MASTER, OUTSIDE = f'{PROJECT}-spark-master-1', f'{PROJECT}-outside-worker'
COMPOSE = [str(Path(sys.executable).parent/'docker-compose'), '-p', PROJECT, '--env-file', str(ROOT/'docker/.env'),
           '-f', str(ROOT/'docker/compose.yaml')]

def run(*cmd, **kw):
    "Output of a command; its stderr in the error when it fails."
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(cmd[:4])}...: {r.stderr[-3000:]}"
    return r.stdout.strip()

@pytest.fixture(scope='module')
def stack():
    "The 3-worker stack, removed with its volumes after the module's tests, even when they fail."
    env = {**os.environ, 'BIND_ADDRESS': BIND, 'SPARK_WORKERS': '3'}
    try:
        run(*COMPOSE, 'up', '-d', '--wait', env=env, timeout=600)
        yield
    finally:
        subprocess.run(['docker', 'rm', '-f', OUTSIDE], capture_output=True)
        subprocess.run([*COMPOSE, 'down', '--volumes'], env=env, capture_output=True)

def alive_workers(n, timeout=120):
    "The addresses of the master's ALIVE workers, once there are `n` of them."
    def alive(): return sorted(w['address'] for w in cluster_status(UI)['workers'] if w['state'] == 'ALIVE')
    found = wait_until(lambda: len(a := alive()) >= n and a, timeout, interval=1) or alive()
    assert len(found) == n, cluster_status(UI)
    return found

JOB = '''
import json, sys, time
from sparkcluster.cluster import spark_session, tasks_per_executor
# The first task waits until the executors hold `cores` cores (one per worker), so that every worker can take some.
spark = spark_session(app_name='more-workers', conf={'spark.cores.max': sys.argv[1], 'spark.scheduler.minRegisteredResourcesRatio': 1})
before = tasks_per_executor(spark)  # the version check's tasks
spark.sparkContext.parallelize(range(12), 12).foreach(lambda _: time.sleep(0.5))
print(json.dumps({host: n - before.get(host, 0) for host, n in tasks_per_executor(spark).items()}))
spark.stop()
'''

def tasks_per_worker(cores):
    """A job of 12 tasks from a driver on the stack's master node: how many ran on each worker's address.
    The driver announces itself as spark-master (SPARK_DRIVER_HOST, set by the stack): a worker outside reaches that name."""
    out = run('docker', 'exec', MASTER, 'python', '-c', JOB, str(cores), timeout=600)
    return json.loads(out.splitlines()[-1])

def test_three_workers_alive_and_each_takes_tasks(stack):
    workers = alive_workers(3)
    assert len(set(workers)) == 3
    tasks = tasks_per_worker(3)
    assert sorted(tasks) == workers and all(tasks.values()), tasks

@pytest.mark.parametrize('step', nbrun.STEPS)
def test_each_step_runs_top_to_bottom_with_three_workers(stack, step):
    "The course with SPARK_WORKERS=3, as a student who scaled the stack runs it (before the outside worker joins)."
    alive_workers(3)
    nbrun.run_in_stack(MASTER, step)

def test_worker_outside_the_stack_joins_through_published_ports_and_takes_tasks(stack):
    # This machine's own address on the stack's network: the master, the drivers and the stack's executors reach the
    # outside worker there, as they would reach another machine's address.
    address = run('docker', 'network', 'inspect', f'{PROJECT}_spark', '--format', '{{(index .IPAM.Config 0).Gateway}}')
    # README's command, with spark-master at the stack's published address. SPARK_LOCAL_IP keeps its listening sockets
    # on that address; no healthcheck, which would probe localhost:8081 (here, the default stack's worker).
    run('docker', 'run', '-d', '--name', OUTSIDE, '--network', 'host', '--add-host', f'spark-master:{BIND}',
        '-v', f"{ROOT/'docker/secrets/spark_rpc_secret'}:/run/secrets/spark_rpc_secret:ro",
        '-e', f'SPARK_LOCAL_IP={address}', '-e', 'SPARK_WORKER_PORT=7100', '--no-healthcheck',
        IMAGE, 'worker', '--host', address)
    assert address in alive_workers(4)
    tasks = tasks_per_worker(4)
    assert len(tasks) == 4 and tasks.get(address), tasks
    # The worker reached the master, and its executor the driver, at the ports published on BIND.
    log = run('docker', 'exec', OUTSIDE, 'sh', '-c', 'cat /home/spark/spark-work/app-*/*/stderr') + subprocess.run(
        ['docker', 'logs', OUTSIDE], capture_output=True, text=True).stderr
    assert all(f'connection to spark-master/{BIND}:{port}' in log for port in (7077, 7078)), log[-3000:]
