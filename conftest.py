"Run every notebook in nbs/ as one pytest test, with nbdev_test's rules, each in its own process."
import subprocess, sys, threading
from collections import deque
from pathlib import Path
import pytest

# Each notebook runs in a fresh interpreter: its own Spark driver and servers, whatever the others left.
# tools/nbrun.py also keeps the run with its outputs, which `make docs` shows.
NBRUN = Path(__file__).parent/'tools'/'nbrun.py'
sys.path.insert(0, str(NBRUN.parent))
import nbrun
# The local services the steps start when no stack is named, and leave running for the next notebook: stopped at the end
# unless they ran before, so that the tests leave the machine as they found it.
LEAVING = nbrun.leaving_services_as_found()

def pytest_sessionstart(session): LEAVING.__enter__()

def pytest_sessionfinish(session): LEAVING.__exit__(None, None, None)

def pytest_collect_file(file_path, parent):
    if file_path.suffix == '.ipynb' and not file_path.name.startswith('_') and '.ipynb_checkpoints' not in file_path.parts:
        return Notebook.from_parent(parent, path=file_path)

class Notebook(pytest.File):
    def collect(self): yield NotebookRun.from_parent(self, name=self.path.stem)

class NotebookRun(pytest.Item):
    def runtest(self):
        # Its output is shown as it comes, and its end repeated in the summary: a long run's log may be cut before the error
        run = subprocess.Popen([sys.executable, NBRUN, self.path], stderr=subprocess.PIPE, text=True, errors='replace')
        timer, tail = threading.Timer(1800, run.kill), deque(maxlen=40)
        timer.start()
        for line in run.stderr: sys.stderr.write(line); tail.append(line)
        failed = run.wait()
        timer.cancel()
        if failed: raise NotebookFailed(f"{self.path.name} failed; its output ends with:\n{''.join(tail)}")

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, NotebookFailed) else super().repr_failure(excinfo)

    def reportinfo(self): return self.path, 0, f"notebook {self.path.name}"

class NotebookFailed(Exception): pass
