#!/usr/bin/env bash
# Create docker/.env from docker/.env.example on first use, each __random__ replaced by a fresh secret.
# An existing docker/.env is kept as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/.env" ] && exit 0
umask 077
python3 - "$here/.env.example" "$here/.env" <<'PY'
import secrets, sys
text = open(sys.argv[1]).read()
while '__random__' in text: text = text.replace('__random__', secrets.token_urlsafe(24), 1)
open(sys.argv[2], 'w').write(text)
PY
echo "created docker/.env with new random secrets (git-ignored)"
