"Run every notebook in nbs/ as one pytest test, with nbdev_test's rules, each in its own process."
import subprocess, sys
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
        if subprocess.run([sys.executable, NBRUN, self.path], timeout=1800).returncode:
            raise NotebookFailed(f"{self.path.name} failed (see its error above)")

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, NotebookFailed) else super().repr_failure(excinfo)

    def reportinfo(self): return self.path, 0, f"notebook {self.path.name}"

class NotebookFailed(Exception): pass
