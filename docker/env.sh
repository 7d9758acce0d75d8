#!/usr/bin/env bash
# Create docker/.env from docker/.env.example on first use, each __random__ replaced by a fresh secret.
# An existing docker/.env keeps its values; settings added to the example since are appended.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
umask 077
python3 - "$here/.env.example" "$here/.env" <<'PY'
import os, re, secrets, sys
example, target = sys.argv[1:]
have = set(re.findall(r'^(\w+)=', open(target).read(), re.M)) if os.path.exists(target) else set()
new = [l for l in open(example).read().splitlines() if (m := re.match(r'(\w+)=', l)) and m.group(1) not in have]
if new:
    lines = [l.replace('__random__', secrets.token_urlsafe(24)) for l in new]
    with open(target, 'a') as f: f.write('\n'.join(lines) + '\n')
    print(f"docker/.env: added {', '.join(l.split('=')[0] for l in lines)} (secrets are random; the file is git-ignored)")
PY
