#!/usr/bin/env bash
# Create docker/.env (settings) from docker/.env.example, and docker/secrets/ (one file per secret, random),
# on first use. Existing values are kept; settings added to the example since are appended. Secrets that an
# older docker/.env held move into their files (the database was created with that password).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
umask 077
python3 - "$here" <<'PY'
import os, re, secrets, sys
from pathlib import Path
here = Path(sys.argv[1])
env, example, folder = here/'.env', here/'.env.example', here/'secrets'
lines = env.read_text().splitlines() if env.exists() else []
values = dict(re.match(r'(\w+)=(.*)', l).groups() for l in lines if re.match(r'\w+=', l))
folder.mkdir(mode=0o700, exist_ok=True)
made = []
for name in ('POSTGRES_PASSWORD', 'JUPYTER_TOKEN', 'SPARK_RPC_SECRET', 'SPARK_CONNECT_TOKEN'):
    f = folder/name.lower()
    if not f.exists():
        f.write_text(values.get(name) or secrets.token_urlsafe(24))
        made.append(f.name)
    f.chmod(0o644)  # readable by the containers' own users; the folder (mode 700) keeps it from other users here
kept = [l for l in lines if not re.match(r'(POSTGRES_PASSWORD|JUPYTER_TOKEN|SPARK_RPC_SECRET|SPARK_CONNECT_TOKEN)=', l)]
have = set(re.findall(r'^(\w+)=', '\n'.join(kept), re.M))
new = [l for l in example.read_text().splitlines() if (m := re.match(r'(\w+)=', l)) and m.group(1) not in have]
if new or len(kept) != len(lines): env.write_text('\n'.join(kept + new) + '\n')
if new: print(f"docker/.env: added {', '.join(l.split('=')[0] for l in new)} (the file is git-ignored)")
if made: print(f"docker/secrets/: made {', '.join(made)} (random; git-ignored, readable by you only)")
PY
