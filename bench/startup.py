"""Start-up, old code and new alternated in one run: a 2-worker local cluster's start, a session's start and its first
job, and `sparkcluster demo` end to end with a new state folder.

    python bench/startup.py [--old 28ce942] [--rounds 3] [--out bench/STARTUP.md]

The old code is the library of commit OLD (by default the last one before the Spark JVMs' class-data archives), taken
out of git; the new code is this checkout's, which starts every Spark JVM from its archive. Each runs with its own
folder as PYTHONPATH and as the working directory (which `python -c` puts first on sys.path).
Both run on this venv's Spark, Java and PostgreSQL.
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from scale import log

ROOT = Path(__file__).resolve().parents[1]

SESSION = '''
import json, sys, time
from sparkcluster.cluster import spark_session
t = time.perf_counter()
spark = spark_session(sys.argv[1], conf=json.loads(sys.argv[2]))
started = time.perf_counter() - t
spark.range(100_000).selectExpr('id % 16 AS k').groupBy('k').count().collect()
print(json.dumps({'session start': started, 'first job': time.perf_counter() - t - started}))
spark.stop()
'''

START = '''
import json, subprocess, sys, tempfile, time
from sparkcluster.local_cluster import LocalCluster
with tempfile.TemporaryDirectory() as d:
    t = time.perf_counter()
    cluster = LocalCluster(d).start(quiet=True, stop_at_exit=False)
    out = {'cluster start': time.perf_counter() - t}
    try:  # the session in a Python of its own: a new driver JVM, as every notebook starts
        r = subprocess.run([sys.executable, '-c', sys.argv[1], cluster.state()['master_url'], json.dumps(cluster.driver_conf)],
                           capture_output=True, text=True, check=True)
        out.update(json.loads(r.stdout.splitlines()[-1]))
    finally: cluster.stop()
print(json.dumps(out))
'''

def measure(env:dict)->dict:
    "Seconds of the cluster's start, of a session's start and first job on it, and of the demo and its phases, with `env`'s library."
    r = subprocess.run([sys.executable, '-c', START, SESSION], env=env, capture_output=True, text=True, cwd=env['PYTHONPATH'])
    if r.returncode: sys.exit(f"the start-up run failed: {r.stderr.strip()[-2000:]}")
    out = json.loads(r.stdout.splitlines()[-1])
    state = tempfile.mkdtemp(prefix='sparkcluster-bench-'); os.chmod(state, 0o755)
    cli = [sys.executable, '-c', 'from sparkcluster.cli import main; main()']
    run = lambda *args: subprocess.run([*cli, *args, '--state-dir', state], env=env, capture_output=True, text=True, cwd=env['PYTHONPATH'])
    t = time.perf_counter(); r = run('demo')
    out['demo'] = time.perf_counter() - t
    run('down')
    if r.returncode: sys.exit(f"sparkcluster demo failed: {r.stderr.strip()[-2000:]}")
    out.update({f'demo: {phase}': float(s) for phase, s in re.findall(r'^(\w+) +([\d.]+)s ', r.stdout, re.M) if phase != 'verify'})
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--old', default='28ce942', help='the commit whose library is the old code (default: %(default)s)')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--out', default=str(Path(__file__).with_name('STARTUP.md')))
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(['git', '-C', str(ROOT), 'archive', a.old, 'sparkcluster'], capture_output=True, check=True).stdout
        subprocess.run(['tar', '-x', '-C', old], input=archive, check=True)
        # Spark's own configuration folder now names the drivers' and executors' archives: the old code gets an empty one, as it had
        no_defaults = Path(old)/'conf'; no_defaults.mkdir()
        envs = {'old': {**os.environ, 'PYTHONPATH': old, 'SPARK_CONF_DIR': str(no_defaults)}, 'new': {**os.environ, 'PYTHONPATH': str(ROOT)}}
        runs = {'old': [], 'new': []}
        for i in range(a.rounds):
            for code in ('old', 'new'):  # alternated, so that the machine's load hits both alike
                runs[code].append(measure(envs[code]))
                log(f"round {i + 1}, {code} code: " + ', '.join(f"{k} {v:.1f}s" for k, v in runs[code][-1].items()))
    text = report(runs, a)
    Path(a.out).write_text(text)
    print(text)

def report(runs:dict, a)->str:
    "STARTUP.md: each measure's median with the old code and the new, their ratio, and every run."
    med = lambda code, k: statistics.median(r[k] for r in runs[code])
    lines = ['| measure | old, s | new, s | new / old |', '|---|---:|---:|---:|']
    lines += [f"| {k} | {med('old', k):.1f} | {med('new', k):.1f} | {med('new', k) / med('old', k):.2f} |" for k in runs['old'][0]]
    each = ['| measure | old, every run | new, every run |', '|---|---|---|']
    each += [f"| {k} | {', '.join(f'{r[k]:.1f}' for r in runs['old'])} | {', '.join(f'{r[k]:.1f}' for r in runs['new'])} |" for k in runs['old'][0]]
    return (f"# Start-up, old code and new\n\nMedians of {a.rounds} rounds, old ({a.old}, no class-data archives) and new (every Spark "
            f"JVM from its archive) alternated in one run; {os.cpu_count()} cores; `python bench/startup.py` on {time.strftime('%Y-%m-%d')}. "
            "Cluster start: a 2-worker local cluster, until both workers have registered. Session start: `spark_session` in a new Python, "
            "on that cluster; first job: a 100,000-row aggregate right after it. Demo: `sparkcluster demo` end to end with a new state "
            "folder (initdb, cluster start), and its phases.\n\n" + '\n'.join(lines) + "\n\n### Every run\n\n" + '\n'.join(each) + '\n')

if __name__ == '__main__':
    main()
