"""Run one notebook the way `nbdev_test` does and keep the run, with its outputs, for the docs.

    python tools/nbrun.py nbs/02_project.ipynb

Exit status 0 when every cell ran and every exercise's check was proven both ways (tools/exercises.py). nbdev's `add_show_docs` first adds a `show_doc` cell after each exported
definition that has none, so the API docs are rendered by the same run that tests the code. The executed copy
goes to _build/executed/, tagged with the digest of its sources, so that `make docs` shows the outputs of a real
run of the current notebook and only runs the notebooks the tests have not. `keep_run` keeps a run made
elsewhere (a step run in the stack's Jupyter by tests/test_compose.py) the same way.
"""
import hashlib, json, logging, os, subprocess, sys, tempfile, time
from contextlib import contextmanager
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
import nbdev.processors
from nbdev.processors import add_show_docs
from exercises import Prover

ROOT = get_config().config_path
STEPS = ('00_image', '01_cluster', '02_project')  # the course, in order
EXECUTED = ROOT/'_build'/'executed'

def stack_env()->dict:
    "The compose stack's settings: docker/.env, which `make up` writes from docker/.env.example."
    return dict(l.split('=', 1) for l in (ROOT/'docker'/'.env').read_text().splitlines() if l and not l.startswith('#'))

def digest(src:Path)->str:
    "Digest of what a run's outputs depend on: the notebook, the library it imports, the reports it reads."
    h = hashlib.sha256(src.read_bytes())
    for f in sorted([*(ROOT/'sparkcluster').glob('*.py'), *(ROOT/'bench').glob('*.md')]): h.update(f.read_bytes())
    return h.hexdigest()

def executed_copy(src:Path)->Path: return EXECUTED/src.name

def is_current(src:Path)->bool:
    "Has `src`, with the library as it is now, been run to the end?"
    dst = executed_copy(src)
    if not dst.exists(): return False
    run = json.loads(dst.read_text()).get('metadata', {}).get('sparkcluster_run', {})
    return run.get('ok') is True and run.get('sources_sha256') == digest(src)

def keep(nb, src:Path, ok:bool, where:str, sources:str):
    "Write the executed copy of `src`, tagged with the digest of the sources it ran with and where it ran."
    for cell in nb.cells: cell.pop('has_sd', None)
    nb.metadata['sparkcluster_run'] = dict(sources_sha256=sources, ok=ok, where=where)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    write_nb(nb, executed_copy(src))

def _every_export(cell)->bool:
    "nbdev's rule for adding a show_doc cell, hidden exports included: the steps hide their helpers' code, not their docs."
    d = cell.directives_
    return bool(cell.source and cell.cell_type == 'code' and {'export', 'exports'} & set(d) and d.get('include:') != ['false'])

def with_show_docs(nb):
    "`nb` with a show_doc cell after each exported definition (nbdev's add_show_docs), also those whose code is hidden."
    nbdev.processors._want_doc = _every_export  # the rule add_show_docs asks; nbdev's own skips hidden cells
    return NBProcessor(nb=nb, procs=[add_show_docs], rm_directives=False, process=True).nb

def run(src:Path)->bool:
    "Run `src` as nbdev_test does (skipping `eval: false` cells) and keep the executed copy."
    os.environ['IN_TEST'] = '1'
    sources, nb = digest(src), with_show_docs(read_nb(src))  # the sources as this run saw them
    def no_eval(cell):
        if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
        return (getattr(cell, 'directives_', {}) or {}).get('eval:', [''])[0].lower() == 'false'
    shell, start, ok = CaptureShell(src), time.time(), False
    shell.run_cell('from nbdev.showdoc import show_doc')
    prover = Prover(shell)
    try:
        with working_directory(src.parent): shell.run_all(nb, exc_stop=True, preproc=no_eval, postproc=prover)
        ok = True
    except Exception: sys.stderr.write(shell.prettytb(fname=src) + '\n')
    if ok and (unproven := prover.failures(nb)):
        print(f"    {src.name}: checks not proven both ways: {'; '.join(unproven)}", file=sys.stderr)
        ok = False
    keep(nb, src, ok, 'local', sources)
    print(f"    {src}: {'ok' if ok else 'FAILED'} in {time.time()-start:.0f}s", file=sys.stderr)
    return ok

def keep_run(executed:Path, src:Path, where:str):
    "Keep a complete run of `src` made elsewhere (`executed`, with its outputs), its show_doc cells rendered here."
    sources, nb = digest(src), with_show_docs(read_nb(executed))
    module = next((c.directives_['default_exp'][0] for c in nb.cells if 'default_exp' in (getattr(c, 'directives_', None) or {})), None)
    shell = CaptureShell(src)
    shell.run_cell('from nbdev.showdoc import show_doc' + (f'\nfrom {get_config().lib_name}.{module} import *' if module else ''))
    for cell in nb.cells:
        if getattr(cell, 'has_sd', False): shell.cell(cell)
    if shell.exc: raise shell.exc
    keep(nb, src, True, where, sources)

@contextmanager
def leaving_services_as_found():
    "Stop, at the end, the local services (cluster, database) that started meanwhile: the notebooks leave them running."
    from sparkcluster.local_cluster import LocalCluster
    from sparkcluster.local_postgres import LocalPostgres
    services = (LocalCluster, LocalPostgres)
    running = [s for s in services if s().status()['state'] != 'NOT RUNNING']
    try: yield
    finally:
        for s in services:
            if s not in running: s().stop()

def run_in_stack(master:str, step:str, keep_as:str|None=None):
    "Run nbs/`step`.ipynb top to bottom in a Jupyter kernel of a stack's master container, as a student does; keep it `keep_as`."
    # As the user Jupyter runs as there, the owner of nbs/, with the home and the Spark configuration the entrypoint gave it
    owner = (ROOT/'nbs').stat().st_uid
    home = subprocess.run(['docker', 'exec', master, 'sh', '-c', f'getent passwd {owner} | cut -d: -f6'], capture_output=True, text=True, check=True).stdout.strip()
    r = subprocess.run(['docker', 'exec', '-u', str(owner), '-e', f'HOME={home}', '-e', f'SPARK_CONF_DIR={home}/conf', master, 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--output-dir', '/tmp/executed',
                        '--ExecutePreprocessor.timeout=900', f'nbs/{step}.ipynb'], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    if keep_as:
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(['docker', 'cp', f'{master}:/tmp/executed/{step}.ipynb', d], check=True, capture_output=True)
            keep_run(Path(d)/f'{step}.ipynb', ROOT/'nbs'/f'{step}.ipynb', where=keep_as)

if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO, format="    %(name)s: %(message)s", stream=sys.stderr)
    sys.exit(0 if run(Path(sys.argv[1]).resolve()) else 1)
