"""How the practical project's cost grows with data: the flights table scaled 1x, 10x, 30x by a deterministic
generator, the pipeline's phases timed, and the driver's peak memory measured.

    python bench/scale.py [--factors 1 10 30] [--out bench/SCALING.md]

Each copy k of a flight keeps every column but shifts the year by k (2013, 2014, ...), so the routes stay 224
and the carrier-months grow with the copies: plausible data, same columns, same result definitions.
"""
import argparse, os, resource, sys, tempfile, time
from contextlib import ExitStack
from pathlib import Path
from sparkcluster.cluster import spark_session
from sparkcluster.project import connect, load_raw, run_pipeline, RAW_TABLES
from sparkcluster.local_cluster import LocalCluster
from sparkcluster.local_postgres import local_postgres

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

def jvm_peak_mb(spark):
    "Peak resident memory of the driver's JVM (VmHWM), in MB."
    pid = spark.sparkContext._jvm.ProcessHandle.current().pid()
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--factors', type=int, nargs='+', default=[1, 10, 30])
    p.add_argument('--out', default=str(Path(__file__).with_name('SCALING.md')))
    a = p.parse_args()
    rows = []
    with ExitStack() as stack:
        cluster = stack.enter_context(LocalCluster(stack.enter_context(tempfile.TemporaryDirectory())))
        cfg = stack.enter_context(local_postgres())
        for factor in a.factors:
            spark = spark_session(cluster.status()['master_url'], app_name=f'scale-{factor}x', conf={**cluster.driver_conf, 'spark.ui.showConsoleProgress': 'false'})
            load_raw(cfg)
            t = time.perf_counter(); n = scale_flights(cfg, factor); generate = time.perf_counter() - t
            print(f"{factor}x: {n:,} flights (generated in {generate:.1f}s)", file=sys.stderr, flush=True)
            report = run_pipeline(spark, cfg, log=lambda m: print('  ' + m, file=sys.stderr, flush=True), load=False)
            rows.append((factor, n, report, jvm_peak_mb(spark), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
            spark.stop()
    base = rows[0]
    lines = ['| scale | flights | read s | transform s | write s | carrier-months | driver JVM peak MB | driver Python peak MB |',
             '|---:|---:|---:|---:|---:|---:|---:|---:|']
    for factor, n, r, jvm, py in rows:
        s = r['seconds']
        lines.append(f"| {factor}x | {n:,} | {s['read']:.1f} | {s['transform']:.1f} | {s['write']:.1f} | {r['rows']['carrier_monthly_stats']} | {jvm:.0f} | {py:.0f} |")
    text = (f"# Scaling the practical project\n\nLocal cluster, 2 workers x 1 core, {os.cpu_count()} cores; `python bench/scale.py` on "
            f"{time.strftime('%Y-%m-%d')}. Time of each phase; the load phase (COPY of the CSV files, then the copies generated in SQL) is left out.\n\n"
            + '\n'.join(lines) + '\n')
    Path(a.out).write_text(text)
    print(text)

if __name__ == '__main__':
    main()
