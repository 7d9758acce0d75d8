"""The steps' outputs in nbs/, from a real run on the compose stack, so that a reader on GitHub sees them.

    python tools/outputs.py commit   # copy the outputs of the steps' stack runs (kept by tests/test_compose.py) into nbs/
    python tools/outputs.py check    # CI: every committed output comes from a run of its cell's current source

`make outputs` starts the stack, runs the three steps in its Jupyter, and calls `commit`. Each code cell that gets
outputs also gets `ran`, the digest of the source that produced them; `check` fails for a cell whose source has
changed since, and for any output that holds one of the stack's secrets or a path of this machine.
"""
import hashlib, json, sys
from pathlib import Path
from nbrun import STEPS

ROOT = Path(__file__).resolve().parents[1]
NBS, EXECUTED = ROOT/'nbs', ROOT/'_build'/'executed'
STACK = 'the compose stack'  # where tests/test_compose.py says its runs were made

def source(cell)->str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
def digest(cell)->str: return hashlib.sha256(source(cell).encode()).hexdigest()[:16]

def host_paths()->list:
    "Strings that would tie an output to this machine: the repository's folder and the home folder."
    return [p for p in {str(ROOT), str(Path.home())} if p not in ('/', '')]

def leaks(text:str)->list:
    "What `text` must not hold: the stack's secrets (by name) and this machine's paths."
    folder = ROOT/'docker'/'secrets'
    secrets = {f.name: f.read_text().strip() for f in folder.iterdir()} if folder.is_dir() else {}
    return [name for name, value in secrets.items() if value and value in text] + [p for p in host_paths() if p in text]

def commit(step:str):
    "Copy the outputs of `step`'s kept stack run into nbs/, each cell stamped with the digest of its source."
    src, run = NBS/f'{step}.ipynb', EXECUTED/f'{step}.ipynb'
    if not run.exists(): sys.exit(f"error: no run of {step} in {run}: run make outputs (the steps in the stack)")
    executed = json.loads(run.read_text())
    where = executed['metadata'].get('sparkcluster_run', {}).get('where', '')
    if not where.startswith(STACK): sys.exit(f"error: the kept run of {step} was made on {where or 'an unknown machine'}, not the stack")
    ran = {}  # source -> outputs of the cells that ran it, in order
    for c in executed['cells']:
        if c['cell_type'] == 'code': ran.setdefault(source(c), []).append(c.get('outputs', []))
    nb = json.loads(src.read_text())
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        outputs = ran.get(source(c)) and ran[source(c)].pop(0)
        c['outputs'] = outputs or []
        if outputs: c['metadata']['ran'] = digest(c)
        else: c['metadata'].pop('ran', None)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + '\n'
    if found := leaks(text): sys.exit(f"error: {step}'s outputs hold {', '.join(found)}: nothing written")
    src.write_text(text)
    print(f"outputs: {step}: {sum('ran' in c['metadata'] for c in nb['cells'])} cells with outputs from {where}")

def problems(nb_path:Path)->list:
    "Each code cell of `nb_path` whose outputs do not come from its current source, or hold what they must not."
    nb, out = json.loads(nb_path.read_text()), []
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code' or not c.get('outputs'): continue
        if c['metadata'].get('ran') != digest(c):
            first = source(c).strip().splitlines()[0][:60] if source(c).strip() else ''
            out.append(f"{nb_path.name}, cell {i} ({first!r}): its outputs come from another version of its source")
        if found := leaks(json.dumps(c['outputs'])): out.append(f"{nb_path.name}, cell {i}: its outputs hold {', '.join(found)}")
    return out

if __name__ == '__main__':
    what = sys.argv[1] if len(sys.argv) > 1 else ''
    if what == 'commit':
        for step in STEPS: commit(step)
    elif what == 'check':
        found = [p for nb in sorted(NBS.glob('*.ipynb')) for p in problems(nb)]
        print('\n'.join(found) or "outputs: every committed output comes from its cell's current source")
        if found: sys.exit("error: stale outputs (above): run make outputs, or clear them (nbdev_clean --clear_all)")
    else: sys.exit("usage: python tools/outputs.py commit|check")
