"""The practical project against its floor, PostgreSQL alone doing the same job, at 1x, 10x and 30x the flights:
each phase timed, cold (the first run in a new session, as the demo runs) and warm, the driver's memory, the stages
of the cold run from Spark's monitoring API, and `sparkcluster demo` end to end.

    python bench/scale.py [--factors 1 10 30] [--out bench/SCALING.md]

Each copy k of a flight keeps every column but shifts the year by k (2013, 2014, ...), so the routes stay 224
and the carrier-months grow with the copies: plausible data, same columns, same result definitions.
"""
import argparse, os, resource, statistics, subprocess, sys, tempfile, time
from contextlib import ExitStack
from pathlib import Path
from sparkcluster.cluster import app_api, spark_session
from sparkcluster.project import connect, run_pipeline, RESULT_KEYS
from sparkcluster.raw import load_raw, RAW_TABLES
from sparkcluster.reference import SQL_REFERENCE
from sparkcluster.local_cluster import LocalCluster
from sparkcluster.local_postgres import postgres_server

def log(m): print(m, file=sys.stderr, flush=True)

def timed(f):
    "Seconds that f() took."
    t = time.perf_counter(); f(); return time.perf_counter() - t

def scale_flights(cfg, factor):
    "Add factor-1 shifted copies of every flight, inside PostgreSQL."
    cols = ', '.join(RAW_TABLES['flights'])
    shifted = cols.replace('year', 'year + k').replace('time_hour', "time_hour + make_interval(years => k)")
    con = connect(cfg)
    with con, con.cursor() as cur:
        if factor > 1:
            cur.execute(f'INSERT INTO flights ({cols}) SELECT {shifted} FROM flights, generate_series(1, {factor - 1}) k')
        cur.execute('ANALYZE flights')
        cur.execute('SELECT count(*) FROM flights')
        n = cur.fetchone()[0]
    con.close()
    return n

def sql_floor(cfg):
    "PostgreSQL alone: both result tables computed by the SQL the tests check them against, with their primary keys."
    con = connect(cfg)
    with con, con.cursor() as cur:
        for table, reference in SQL_REFERENCE.items():
            cur.execute(f'DROP TABLE IF EXISTS floor_{table}')
            cur.execute(f'CREATE TABLE floor_{table} AS {reference}')
            cur.execute(f'ALTER TABLE floor_{table} ADD PRIMARY KEY ({", ".join(RESULT_KEYS[table])})')
    con.close()

def jvm_peak_mb(spark):
    "Peak resident memory of the driver's JVM (VmHWM), in MB."
    pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024

def stages(spark):
    "The session's completed stages from the driver's monitoring API: (id, description, tasks, wall s, task s)."
    def ms(t): return time.mktime(time.strptime(t[:19], '%Y-%m-%dT%H:%M:%S')) + int(t[20:23]) / 1000
    out = [(s['stageId'], s.get('description') or s['name'].split(' at ')[0], s['numTasks'], ms(s['completionTime']) - ms(s['submissionTime']),
            s['executorRunTime'] / 1000) for s in app_api(spark, 'stages?status=complete&details=false')]
    return sorted(out)

def pipeline_work(report):
    "Seconds of the pipeline's own work: every phase of run_pipeline (the load is timed apart)."
    return sum(report['seconds'].values())

def demo_wall(state):
    "Seconds of `sparkcluster demo` in a terminal-less run with its own state folder, and its output."
    cmd = [str(Path(sys.executable).parent/'sparkcluster'), 'demo', '--state-dir', state]
    t = time.perf_counter(); r = subprocess.run(cmd, capture_output=True, text=True); wall = time.perf_counter() - t
    subprocess.run([cmd[0], 'down', '--state-dir', state], capture_output=True)
    if r.returncode: sys.exit(f"sparkcluster demo failed: {r.stderr.strip()}")
    return wall, r.stdout

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--factors', type=int, nargs='+', default=[1, 10, 30])
    p.add_argument('--warm', type=int, default=2, help='warm runs after the cold one (default: %(default)s)')
    p.add_argument('--out', default=str(Path(__file__).with_name('SCALING.md')))
    a = p.parse_args()
    state = tempfile.mkdtemp(prefix='sparkcluster-bench-'); os.chmod(state, 0o755)
    log("sparkcluster demo, new state folder (cluster start, initdb), then again (database kept)")
    demos = [demo_wall(state)[0] for _ in range(2)]
    rows, profile = [], None
    with ExitStack() as stack:
        cluster = stack.enter_context(LocalCluster(stack.enter_context(tempfile.TemporaryDirectory())))
        cfg = stack.enter_context(postgres_server('local'))
        for factor in a.factors:
            load = timed(lambda: load_raw(cfg))  # the COPY of the CSV files: the floor's first part at 1x
            n = scale_flights(cfg, factor)
            log(f"{factor}x: {n:,} flights")
            t = time.perf_counter()
            spark = spark_session(cluster.status()['master_url'], app_name=f'scale-{factor}x', conf=cluster.driver_conf)
            session = time.perf_counter() - t
            runs = []
            for i in range(1 + a.warm):  # interleaved with the floor, so that the machine's load hits both alike
                runs.append(run_pipeline(spark, cfg, log=lambda m: log('  ' + m)))
                if i == 0 and factor == a.factors[0]: profile = stages(spark)
                runs[-1]['floor'] = timed(lambda: sql_floor(cfg))
                log(f"  floor (SQL + keys) {runs[-1]['floor']:.1f}s")
            rows.append(dict(factor=factor, flights=n, load=load, session=session, runs=runs, jvm=jvm_peak_mb(spark),
                             py=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
            spark.stop()
    text = report(rows, profile, demos, a)
    Path(a.out).write_text(text)
    print(text)

def report(rows, profile, demos, a):
    "SCALING.md: the ratios to the floor, the phases, the memory, the cold run's stages and the demo."
    med = statistics.median
    lines = ['| scale | flights | run | read s | carrier_monthly_stats s | route_stats s | pipeline s | floor: SQL + keys, s | x floor |',
             '|---:|---:|---|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        cold, warm = r['runs'][0], r['runs'][1:]
        for name, runs in (('cold', [cold]), (f'warm (median of {len(warm)})', warm)):
            if not runs: continue
            s = lambda k: med(x['seconds'][k] for x in runs)
            work, floor = med(map(pipeline_work, runs)), med(x['floor'] for x in r['runs'])
            lines.append(f"| {r['factor']}x | {r['flights']:,} | {name} | {s('read'):.1f} | {s('carrier_monthly_stats'):.1f} | "
                         f"{s('route_stats'):.1f} | {work:.1f} | {floor:.2f} | {work / floor:.2f} |")
    first = rows[0]
    whole, whole_floor = first['load'] + pipeline_work(first['runs'][0]), first['load'] + med(x['floor'] for x in first['runs'])
    mem = ['| scale | session start s | carrier-months | driver JVM peak MB | driver Python peak MB |', '|---:|---:|---:|---:|---:|']
    mem += [f"| {r['factor']}x | {r['session']:.1f} | {r['runs'][0]['rows']['carrier_monthly_stats']} | {r['jvm']:.0f} | {r['py']:.0f} |" for r in rows]
    prof = ['| stage | what | tasks | wall s | task s |', '|---:|---|---:|---:|---:|']
    prof += [f"| {i} | {name} | {tasks} | {wall:.2f} | {task:.2f} |" for i, name, tasks, wall, task in profile]
    return (f"# Scaling the practical project\n\nLocal cluster, 2 workers x 1 core, {os.cpu_count()} cores; `python bench/scale.py` on "
            f"{time.strftime('%Y-%m-%d')}. The pipeline's work is every phase after the load (read, both tables computed and written, "
            "verify); its floor is PostgreSQL alone computing both tables with the SQL the tests check them against, and adding their "
            f"primary keys, measured after each run in the same session. Cold: the first run in a new session, as `sparkcluster demo` "
            f"runs; warm: the runs after it.\n\n" + '\n'.join(lines) +
            f"\n\nAt {first['factor']}x with the load, cold: the COPY of the three CSV files ({first['load']:.1f} s) + the pipeline = "
            f"{whole:.1f} s, against the COPY + the SQL floor = {whole_floor:.1f} s: **{whole / whole_floor:.1f}x**.\n\n"
            f"`sparkcluster demo` end to end, no terminal: {demos[0]:.1f} s with a new state folder (initdb, cluster start), "
            f"{demos[1]:.1f} s the second time (the database kept).\n\n### Session and memory\n\n" + '\n'.join(mem) +
            f"\n\n### Where the cold {first['factor']}x run spends its time\n\nStages of the first run in a new session, from the driver's "
            "monitoring API (the Spark UI's Stages tab); stage 0 is the session's version check. Wall: submission to completion; "
            "task: the executors' run time, summed over tasks.\n\n" + '\n'.join(prof) + '\n')

if __name__ == '__main__':
    main()
