"""Run one notebook the way `nbdev_test` does and keep the run, with its outputs, for the docs.

    python tools/nbrun.py nbs/02_project.ipynb [docker]

The second argument lists the `tst_flags` to run (space-separated). Exit status 0 when every cell ran.
nbdev's `add_show_docs` first adds a `show_doc` cell after each exported definition that has none, so the
API docs are rendered by the same run that tests the code. The executed copy goes to _build/executed/,
tagged with the digest of its sources, so that `make docs` shows the outputs of a real run of the
current notebook and only runs the notebooks the tests have not.
"""
import hashlib, json, logging, os, sys, time
from pathlib import Path
from execnb.nbio import write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.processors import add_show_docs

ROOT = get_config().config_path
EXECUTED = ROOT/'_build'/'executed'

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

def run(src:Path, flags:set)->bool:
    "Run `src` with the cells of `flags` (skipping other `tst_flags` and `eval: false`); keep the executed copy."
    os.environ['IN_TEST'] = '1'
    os.environ.setdefault('PYSPARK_SUBMIT_ARGS', '--conf spark.ui.showConsoleProgress=false pyspark-shell')  # no progress bars in logs
    skipped, sources = set(get_config().tst_flags.split()) - flags, digest(src)  # the sources as this run saw them
    nb = NBProcessor(src, procs=[add_show_docs], rm_directives=False, process=True).nb
    def no_eval(cell):
        if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
        directives = getattr(cell, 'directives_', {}) or {}
        return directives.get('eval:', [''])[0].lower() == 'false' or bool(skipped & directives.keys())
    shell, start, ok = CaptureShell(src), time.time(), False
    shell.run_cell('from nbdev.showdoc import show_doc')
    try:
        with working_directory(src.parent): shell.run_all(nb, exc_stop=True, preproc=no_eval)
        ok = True
    except Exception: sys.stderr.write(shell.prettytb(fname=src) + '\n')
    for cell in nb.cells: cell.pop('has_sd', None)
    nb.metadata['sparkcluster_run'] = dict(sources_sha256=sources, ok=ok, flags=sorted(flags))
    EXECUTED.mkdir(parents=True, exist_ok=True)
    write_nb(nb, executed_copy(src))
    print(f"    {src}: {'ok' if ok else 'FAILED'} in {time.time()-start:.0f}s", file=sys.stderr)
    return ok

if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO, format="    %(name)s: %(message)s", stream=sys.stderr)
    sys.exit(0 if run(Path(sys.argv[1]).resolve(), set(sys.argv[2].split() if len(sys.argv) > 2 else ())) else 1)
