"""Prove every exercise's check both ways, in the notebook's own kernel, as the notebook runs.

    python tools/exercises.py nbs/00_image.ipynb     # runs the notebook (as tools/nbrun.py does) with the proofs

An exercise is a code cell that is exactly one comment line, `# Exercise N.M: ...`, and the cell after it is its
check, which records its verdict in `sparkcluster.image.CHECKED`. Right after the check has run on the untouched cell,
the prover runs the plausible wrong answer of tests/wrong_answers/ and the check again, then the solution of
solutions/ and the check again. Proven: the check rejected the untouched cell and the wrong answer and accepted the
solution. The notebook goes on with the solution in place; nothing after an exercise may depend on it.
"""
import re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = re.compile(r'#\s*Exercise (\d+\.\d+):[^\n]*')

def answers(folder:Path)->dict:
    "{exercise: code} of every `### Exercise N.M` section's first python block in the markdown files of `folder`."
    found = {}
    for f in sorted(folder.glob('*.md')):
        for number, code in re.findall(r'^### Exercise (\d+\.\d+)\b.*?^```python\n(.*?)^```', f.read_text(), re.M | re.S):
            found[number] = code
    return found

def exercise_of(cell)->str|None:
    "The number of the exercise whose untouched cell `cell` is, else None."
    m = EXERCISE.fullmatch(cell.source.strip()) if cell.cell_type == 'code' else None
    return m and m.group(1)

class Prover:
    "A postproc for execnb's run_all: after each exercise's check, the wrong answer and the solution, each checked."
    def __init__(self, shell):
        self.shell, self.pending, self.proofs = shell, None, {}
        self.solutions, self.wrong = answers(ROOT/'solutions'), answers(ROOT/'tests'/'wrong_answers')

    def verdict(self, number:str, code:str|None, check:str)->bool|None:
        "Run `code` (None: nothing), then the check; what the check recorded (None: it recorded nothing, or raised)."
        from sparkcluster.image import CHECKED
        CHECKED.pop(number, None)
        for src in ([code] if code else []) + [check]:
            if (r := self.shell.run_cell(src)).exception is not None:
                print(f"    exercise {number}: {type(r.exception).__name__}: {r.exception}", file=sys.stderr)
                return None
        return CHECKED.get(number)

    def __call__(self, cell):
        if self.pending is not None:
            number, self.pending = self.pending, None
            from sparkcluster.image import CHECKED
            untouched = CHECKED.get(number)
            if number not in self.solutions or number not in self.wrong:
                self.proofs[number] = 'no solution or no wrong answer'
            else:
                wrong = self.verdict(number, self.wrong[number], cell.source)
                right = self.verdict(number, self.solutions[number], cell.source)
                ok = (untouched, wrong, right) == (False, False, True)
                self.proofs[number] = 'proven' if ok else f"untouched {untouched}, wrong answer {wrong}, solution {right}"
            print(f"    exercise {number}: {self.proofs[number]}", file=sys.stderr)
        self.pending = exercise_of(cell)

    def failures(self, nb)->list:
        "The exercises of `nb` whose check was not proven both ways (or never ran)."
        numbers = [n for c in nb.cells if (n := exercise_of(c))]
        return [f"exercise {n}: {self.proofs.get(n, 'its check never ran')}" for n in numbers if self.proofs.get(n) != 'proven']

if __name__ == '__main__':
    sys.path.insert(0, str(ROOT/'tools'))
    import nbrun
    sys.exit(0 if nbrun.run(Path(sys.argv[1]).resolve()) else 1)
