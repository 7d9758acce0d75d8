"Run every notebook in nbs/ as one pytest test, with nbdev_test's rules, each in its own process."
import os, subprocess, sys
import pytest

# Each notebook runs in a fresh interpreter: its own Spark JVM, ports and servers, whatever the others left.
RUNNER = '''
import logging, sys
from pathlib import Path
from nbdev.config import get_config
from nbdev.test import test_nb
logging.basicConfig(level=logging.INFO, format="    %(name)s: %(message)s", stream=sys.stderr)
flags = sys.argv[2].split()
ok, secs = test_nb(Path(sys.argv[1]), skip_flags=[f for f in get_config().tst_flags.split() if f not in flags], force_flags=flags)
print(f"    {sys.argv[1]}: {'ok' if ok else 'FAILED'} in {secs:.0f}s", file=sys.stderr)
sys.exit(0 if ok else 1)
'''

def pytest_collect_file(file_path, parent):
    if file_path.suffix == '.ipynb' and not file_path.name.startswith('_') and '.ipynb_checkpoints' not in file_path.parts:
        return Notebook.from_parent(parent, path=file_path)

class Notebook(pytest.File):
    def collect(self): yield NotebookRun.from_parent(self, name=self.path.stem)

class NotebookRun(pytest.Item):
    def runtest(self):
        flags = os.environ.get('SPARKCLUSTER_TEST_FLAGS', '')  # e.g. "docker" to run the cells marked #| docker
        env = {**os.environ, 'PYSPARK_SUBMIT_ARGS': '--conf spark.ui.showConsoleProgress=false pyspark-shell'}  # no progress bars in logs
        r = subprocess.run([sys.executable, '-c', RUNNER, str(self.path), flags], env=env, timeout=1800)
        if r.returncode: raise NotebookFailed(f"{self.path.name} failed (see its error above)")

    def repr_failure(self, excinfo):
        return str(excinfo.value) if isinstance(excinfo.value, NotebookFailed) else super().repr_failure(excinfo)

    def reportinfo(self): return self.path, 0, f"notebook {self.path.name}"

class NotebookFailed(Exception): pass
