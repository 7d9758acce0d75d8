"""Saving in the stack's Jupyter, as a student does: a new notebook, and a step saved again, through Jupyter's contents
API (what Save and New call), land on the host owned by the owner of the clone, whoever that is; the master and the
Connect server still run as spark (uid 185), and `docker stop` stops every process of the master node cleanly.

The first test uses the stack `make test-docker` started (a clone owned by whoever ran it: root in CI); the second
starts a stack of its own, on 127.0.0.14, from a copy of the clone owned by uid 1000, as on a laptop.
"""
import json, os, shutil, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = (ROOT/'docker'/'secrets'/'jupyter_token').read_text()
EMPTY = {'cells': [], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}

def contents(jupyter, path, model=None):
    "GET (model None) or PUT a model through Jupyter's contents API, with the token; the model it returns."
    req = urllib.request.Request(f'{jupyter}/api/contents/{path}', method='PUT' if model else 'GET',
                                 data=json.dumps(model).encode() if model else None,
                                 headers={'Authorization': f'token {TOKEN}', 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=60) as r: return json.load(r)

def save_as_a_student(jupyter, clone):
    "A new notebook and step 1 saved again, through `jupyter`; the owners (uid, gid) of both files in `clone`."
    contents(jupyter, 'nbs/my-notes.ipynb', {'type': 'notebook', 'format': 'json', 'content': EMPTY})
    step = contents(jupyter, 'nbs/00_image.ipynb')
    contents(jupyter, 'nbs/00_image.ipynb', {'type': 'notebook', 'format': 'json', 'content': step['content']})
    return {name: (st.st_uid, st.st_gid) for name in ('my-notes.ipynb', '00_image.ipynb') if (st := (clone/'nbs'/name).stat())}

def uids(container):
    "{process name: uid} of the Java processes and Jupyter in `container`, read from /proc."
    script = ('for p in /proc/[0-9]*; do c=$(tr "\\0" " " < $p/cmdline 2>/dev/null); '
              'case "$c" in *deploy.master.Master*|*SparkConnectServer*|*jupyter-lab*) '
              'echo "$(awk \'/^Uid:/{print $2}\' $p/status) $c";; esac; done')
    out = subprocess.run(['docker', 'exec', container, 'sh', '-c', script], capture_output=True, text=True, check=True).stdout
    names = {'deploy.master.Master': 'master', 'SparkConnectServer': 'connect server', 'jupyter-lab': 'jupyter'}
    return {name: int(line.split()[0]) for line in out.splitlines() if '/proc/' not in line  # not this script's own shell
            for key, name in names.items() if key in line}

def test_saving_in_the_stack_writes_files_of_the_clones_owner():
    step = ROOT/'nbs'/'00_image.ipynb'
    original, owner = step.read_bytes(), (ROOT/'nbs').stat()
    try: assert save_as_a_student('http://127.0.0.1:8888', ROOT) == dict.fromkeys(('my-notes.ipynb', '00_image.ipynb'), (owner.st_uid, owner.st_gid))
    finally:
        step.write_bytes(original)
        (ROOT/'nbs'/'my-notes.ipynb').unlink(missing_ok=True)
        shutil.rmtree(ROOT/'nbs'/'.ipynb_checkpoints', ignore_errors=True)
    assert uids('sparkcluster-spark-master-1') == {'master': 185, 'connect server': 185, 'jupyter': owner.st_uid}

def test_saving_from_a_clone_owned_by_uid_1000():
    uid = 1000 if (ROOT/'nbs').stat().st_uid != 1000 else 1234
    with tempfile.TemporaryDirectory() as d:
        clone = Path(d)/'sparkcluster'
        shutil.copytree(ROOT/'docker', clone/'docker', ignore=shutil.ignore_patterns('wheels', 'certs'))
        (clone/'nbs').mkdir()
        shutil.copy(ROOT/'nbs'/'00_image.ipynb', clone/'nbs')
        subprocess.run(['chown', '-R', f'{uid}:{uid}', str(clone)], check=True)
        compose = [str(Path(sys.executable).parent/'docker-compose'), '-p', 'sparkcluster-saving', '--env-file', str(clone/'docker/.env'),
                   '-f', str(clone/'docker/compose.yaml')]
        env = {**os.environ, 'BIND_ADDRESS': '127.0.0.14', 'SPARK_WORKERS': '0'}
        try:
            r = subprocess.run([*compose, 'up', '-d', '--wait', 'spark-master'], env=env, capture_output=True, text=True, timeout=600)
            assert r.returncode == 0, r.stderr[-3000:]
            assert save_as_a_student('http://127.0.0.14:8888', clone) == dict.fromkeys(('my-notes.ipynb', '00_image.ipynb'), (uid, uid))
            assert uids('sparkcluster-saving-spark-master-1') == {'master': 185, 'connect server': 185, 'jupyter': uid}
            # docker stop: every process of the master node gets the signal and stops within the grace period (10 s)
            t0 = time.time()
            subprocess.run(['docker', 'stop', 'sparkcluster-saving-spark-master-1'], check=True, capture_output=True)
            took, log = time.time() - t0, subprocess.run(['docker', 'logs', 'sparkcluster-saving-spark-master-1'], capture_output=True, text=True).stderr
            code = subprocess.run(['docker', 'inspect', '-f', '{{.State.ExitCode}}', 'sparkcluster-saving-spark-master-1'], capture_output=True, text=True).stdout.strip()
            assert (code, took < 10) == ('0', True), (code, took)
            assert 'Master: RECEIVED SIGNAL TERM' in log and 'ServerApp] received signal 15' in log and 'Successfully stopped SparkContext' in log, log[-3000:]
        finally: subprocess.run([*compose, 'down', '--volumes'], env=env, capture_output=True)
