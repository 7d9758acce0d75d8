"""One lock for every Python package the virtual environment and the image install: `make lock`.

    python tools/lock.py           # resolve settings.ini's requirements, its dev requirements and the image's
                                   # Jupyter ones in a fresh virtual environment; write requirements.lock
    python tools/lock.py --check   # exit 1, naming each difference, when this Python's packages differ from the lock

`pip install -c requirements.lock ...` then installs exactly the locked versions, whatever was published since:
the venv (make install) and the image (docker/Dockerfile) both do.
"""
import configparser, subprocess, sys, tempfile, venv
from importlib.metadata import distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT/'requirements.lock'
NOT_LOCKED = {'sparkcluster', 'pip', 'setuptools', 'wheel', 'distribute'}  # this project, and the installers (pip freeze leaves them out)

def requirements()->list:
    "What settings.ini and docker/requirements-jupyter.txt ask for: the project's, the developers' and the image's."
    s = configparser.ConfigParser(); s.read(ROOT/'settings.ini')
    jupyter = [l.strip() for l in (ROOT/'docker'/'requirements-jupyter.txt').read_text().splitlines() if l.strip() and not l.startswith('#')]
    return [*s['DEFAULT']['requirements'].split(), *s['DEFAULT']['dev_requirements'].split(), *jupyter]

def locked()->dict:
    "{name: version} of the lock file."
    lines = [l.split('==') for l in LOCK.read_text().splitlines() if l and not l.startswith('#')]
    return {name.lower(): version for name, version in lines}

def installed()->dict:
    "{name: version} of this Python's packages, this project left out."
    return {d.metadata['Name'].lower(): d.version for d in distributions() if d.metadata['Name'].lower() not in NOT_LOCKED}

def write_lock():
    "Resolve every requirement in a fresh virtual environment and write its exact versions to the lock file."
    with tempfile.TemporaryDirectory() as d:
        venv.create(d, with_pip=True)
        pip = [str(Path(d)/'bin'/'python'), '-m', 'pip', '--disable-pip-version-check', '-q']
        subprocess.run([*pip, 'install', '--find-links', str(ROOT/'docker'/'wheels'), *requirements()], check=True)
        frozen = subprocess.run([*pip, 'freeze'], capture_output=True, text=True, check=True).stdout
    header = (f"# Every package of the venv and the image, at the exact version they install: `make lock` writes this file from\n"
              f"# settings.ini and docker/requirements-jupyter.txt (Python {sys.version.split()[0]}, the image's own). Do not edit by hand.\n")
    LOCK.write_text(header + ''.join(sorted(frozen.splitlines(keepends=True), key=str.lower)))
    print(f"{LOCK.name}: {len(locked())} packages")

def check()->int:
    "Name every package of this Python that is missing from the lock or at another version; 1 if there is any."
    lock, here = locked(), installed()
    wrong = [f"{name} {version} (the lock says {lock.get(name, 'nothing')})" for name, version in sorted(here.items()) if lock.get(name) != version]
    print('\n'.join(wrong) or f"all {len(here)} packages as {LOCK.name} says")
    return 1 if wrong else 0

if __name__ == '__main__':
    if sys.argv[1:] == ['--check']: sys.exit(check())
    write_lock()
