"Run every notebook in nbs/ as one pytest test, with nbdev_test's rules, each in its own process."
import subprocess, sys
from pathlib import Path
import pytest
from sparkcluster.local_cluster import LocalCluster
from sparkcluster.local_postgres import LocalPostgres

# Each notebook runs in a fresh interpreter: its own Spark driver and servers, whatever the others left.
# tools/nbrun.py also keeps the run with its outputs, which `make docs` shows.
NBRUN = Path(__file__).parent/'tools'/'nbrun.py'
# The local services the steps start when no stack is named, and leave running for the next notebook.
SHARED = (LocalCluster, LocalPostgres)

RUNNING_BEFORE = []

def pytest_sessionstart(session):
    RUNNING_BEFORE.extend(s for s in SHARED if s().status()['state'] != 'NOT RUNNING')

def pytest_sessionfinish(session):
    "Leave the machine as the tests found it: stop the local services they started."
    for s in SHARED:
        if s not in RUNNING_BEFORE: s().stop()

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
