"""Table writes and reads, side by side in one run: Spark's default JDBC writer, the tuned JDBC options (write_table's
writer until it had its own), sparkcluster's COPY writer alone and within write_table, a COPY from the executors' Python, and the floor, one `psql \\copy` of the same rows plus the same
primary key as write_table's (the fair floor: write_table's table has one).

    python bench/write.py [--rows 1000000] [--repeat 3] [--out bench/RESULTS.md]

Runs on local[2] and on the local 1-master/2-worker cluster, against a throwaway local PostgreSQL.
Reports medians of rows/s and the ratios; timings are measurements, never test assertions.
"""
import argparse, io, os, statistics, subprocess, sys, tempfile, time
from contextlib import ExitStack
from pathlib import Path
from sparkcluster.cluster import spark_session
from sparkcluster.project import connect, query, read_table, write_table, with_found_password, read_raw, carrier_monthly_stats, route_stats, RESULT_KEYS
from sparkcluster.raw import load_raw
from sparkcluster.local_cluster import LocalCluster
from sparkcluster.local_postgres import postgres_server

def bench_frame(spark, rows):
    "rows x (int, bigint, double, text, timestamp), cached: every writer gets the same DataFrame."
    from pyspark.sql import functions as F
    return (spark.range(rows).select(F.col('id').cast('int').alias('i'), (F.col('id') * 1_000_003).alias('b'),
                                     (F.col('id') / 7).alias('x'), F.concat(F.lit('row '), F.col('id').cast('string')).alias('s'),
                                     F.timestamp_seconds(F.col('id') + 1_356_998_400).alias('t'))
            .repartition(spark.sparkContext.defaultParallelism).cache())

def psql(cfg, command):
    "Run one psql meta-command (\\copy ...) with the connection in the environment."
    subprocess.run(['psql', '-X', '-q', '-c', command], env={**os.environ, **cfg.libpq_env}, check=True, capture_output=True)

def copy_from_executors(df, cfg, table):
    "Each partition streams its rows to PostgreSQL with COPY: Arrow batches written as CSV by pyarrow."
    def copy_partition(batches):
        import pyarrow as pa, pyarrow.csv as pcsv, psycopg2
        con = psycopg2.connect(host=cfg.host, port=cfg.port, dbname=cfg.database, user=cfg.user, password=cfg.password)
        n = 0
        with con, con.cursor() as cur:
            for batch in batches:
                buf = io.BytesIO()
                pcsv.write_csv(pa.Table.from_batches([batch]), buf, write_options=pcsv.WriteOptions(include_header=False))
                buf.seek(0)
                cur.copy_expert(f'COPY {table} FROM STDIN WITH (FORMAT csv)', buf)
                n += batch.num_rows
        con.close()
        yield pa.RecordBatch.from_pydict({'n': [n]})
    return sum(r.n for r in df.mapInArrow(copy_partition, 'n long').collect())

def writers(df, cfg, csv):
    "name -> function that writes df's rows once (into a fresh table)."
    plain_url = f'jdbc:postgresql://{cfg.host}:{cfg.port}/{cfg.database}'
    auth = {'user': cfg.user, 'password': cfg.password, 'driver': 'org.postgresql.Driver'}
    empty = 'create table {t} (i int, b bigint, x float8, s text, t timestamptz)'
    def fresh(t): query(cfg, f'drop table if exists {t}; ' + empty.format(t=t))
    return {
        'Spark default df.write.jdbc': lambda: df.write.jdbc(plain_url, 'w_default', mode='overwrite', properties=auth),
        'tuned JDBC (reWriteBatchedInserts, batch 10000)': lambda: df.write.jdbc(
            cfg.jdbc_url, 'w_tuned', mode='overwrite', properties={**cfg.jdbc_properties, 'batchsize': '10000'}),
        'sparkcluster.PgCopy alone (binary COPY, no key)': lambda: (query(cfg, 'drop table if exists w_pgcopy'), df.write.format(
            'sparkcluster.PgCopy').mode('error').options(url=cfg.jdbc_url, dbtable='w_pgcopy', **cfg.jdbc_properties).save()),
        'sparkcluster write_table (PgCopy, atomic, with key)': lambda: write_table(df, cfg, 'w_library', primary_key=['i']),
        'COPY from the executors\' Python (Arrow to CSV)': lambda: (fresh('w_copy'), copy_from_executors(df, cfg, 'w_copy')),
        'floor: psql \\copy of a CSV file + primary key': lambda: (fresh('w_floor'), psql(cfg, f"\\copy w_floor from '{csv}' csv"),
                                                                   query(cfg, 'alter table w_floor add primary key (i)')),
    }

def readers(spark, cfg, table):
    "name -> function that reads the whole table once."
    def spark_read(parts, fetch):
        df = read_table(spark, cfg, table, partition_column='i' if parts > 1 else None, num_partitions=parts, fetchsize=fetch)
        return lambda: df.write.format('noop').mode('overwrite').save()
    out = {f'read_table, {p} partition{"s" * (p > 1)}, fetchsize {f}': spark_read(p, f) for p in (1, 2, 4) for f in (1000, 10000)}
    out['floor: one psql \\copy ... to a file'] = lambda: psql(cfg, f"\\copy {table} to '/dev/null' csv")
    return out

def measure(cases, rows, repeat, log):
    "Median rows/s of each case, the cases interleaved round by round so that the machine's load hits them alike."
    times = {name: [] for name in cases}
    for r in range(repeat):
        for name, run in cases.items():
            t = time.perf_counter(); run(); times[name].append(time.perf_counter() - t)
        log(f"  round {r + 1}/{repeat} done")
    return {name: rows / statistics.median(ts) for name, ts in times.items()}

def table(title, rates, base, floor):
    "A Markdown table of rows/s with the ratios to `base` and to `floor`."
    lines = [f'| {title} | rows/s (median) | x default | x floor |', '|---|---:|---:|---:|']
    for name, r in rates.items():
        lines.append(f'| {name} | {r:,.0f} | {r / rates[base]:.2f} | {r / rates[floor]:.2f} |')
    return '\n'.join(lines)

def project_writes(spark, cfg, repeat, log):
    "Seconds (median) to write the practical project's two tables: Spark's default writer vs write_table."
    load_raw(cfg)
    raw = read_raw(spark, cfg)
    results = {'carrier_monthly_stats': carrier_monthly_stats(raw['flights'], raw['airlines']).cache(),
               'route_stats': route_stats(raw['flights'], raw['airports']).cache()}
    plain_url = f'jdbc:postgresql://{cfg.host}:{cfg.port}/{cfg.database}'
    auth = {'user': cfg.user, 'password': cfg.password, 'driver': 'org.postgresql.Driver'}
    lines = ['| project table (rows) | Spark default df.write.jdbc, s | write_table, s |', '|---|---:|---:|']
    for name, df in results.items():
        n = df.count()
        t_default, t_library = [], []
        for _ in range(repeat):
            t = time.perf_counter(); df.write.jdbc(plain_url, f'{name}_default', mode='overwrite', properties=auth); t_default.append(time.perf_counter() - t)
            t = time.perf_counter(); write_table(df, cfg, name, primary_key=RESULT_KEYS[name]); t_library.append(time.perf_counter() - t)
        lines.append(f'| {name} ({n}) | {statistics.median(t_default):.2f} | {statistics.median(t_library):.2f} |')
    raw['flights'].unpersist()
    log('  project tables done')
    return '\n'.join(lines)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--rows', type=int, default=1_000_000)
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--out', default=str(Path(__file__).with_name('RESULTS.md')))
    a = p.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)
    sections = []
    for where in ('local[2]', 'local cluster, 2 workers x 1 core'):
        with ExitStack() as stack:
            cfg = stack.enter_context(postgres_server('local'))
            con = connect(cfg); cfg = with_found_password(cfg, con); con.close()  # the raw writers below pass it themselves
            cluster = None if where == 'local[2]' else stack.enter_context(LocalCluster(stack.enter_context(tempfile.TemporaryDirectory())))
            spark = spark_session(cluster.state()['master_url'] if cluster else 'local[2]', app_name='bench-write',
                                  conf=cluster.driver_conf if cluster else None)
            df = bench_frame(spark, a.rows); df.count()
            csv = stack.enter_context(tempfile.TemporaryDirectory()) + '/rows.csv'
            writers(df, cfg, csv)['tuned JDBC (reWriteBatchedInserts, batch 10000)']()
            psql(cfg, f"\\copy w_tuned to '{csv}' csv")
            os.chmod(Path(csv).parent, 0o755)
            log(f"{where}: writes of {a.rows:,} rows")
            w = measure(writers(df, cfg, csv), a.rows, a.repeat, log)
            log(f"{where}: reads")
            r = measure(readers(spark, cfg, 'w_tuned'), a.rows, a.repeat, log)
            proj = project_writes(spark, cfg, a.repeat, log)
            spark.stop()
        sections.append(f"### {where}\n\n" + table('write', w, 'Spark default df.write.jdbc', 'floor: psql \\copy of a CSV file + primary key')
                        + '\n\n' + table('read', r, 'read_table, 1 partition, fetchsize 1000', 'floor: one psql \\copy ... to a file')
                        + '\n\n' + proj)
    cpu = os.cpu_count()
    text = (f"# Write and read benchmark\n\n{a.rows:,} rows x (int, bigint, double, text, timestamp); medians of {a.repeat} runs "
            f"interleaved in one run; {cpu} cores; `python bench/write.py` on {time.strftime('%Y-%m-%d')}. "
            "Ratios compare cases measured side by side on the same machine: read them, not the absolute numbers.\n\n"
            + '\n\n'.join(sections) + '\n')
    Path(a.out).write_text(text)
    print(text)

if __name__ == '__main__':
    main()
