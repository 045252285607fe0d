#!/usr/bin/env bash
# checkov scans the generated Terraform (tests/targets); its pins clash with ours, so it gets
# a virtualenv of its own under .tools/ (ignored by git).
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
PYTHON="${PYTHON:-python3}"
VERSION="3.3.30"
VENV="$ROOT/.tools/checkov-venv"
if [ -x "$VENV/bin/checkov" ] && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('checkov') != '$VERSION')" 2>/dev/null; then
    exit 0
fi
mkdir -p "$ROOT/.tools"
printf '*\n' > "$ROOT/.tools/.gitignore"
"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "checkov==$VERSION"
"$VENV/bin/checkov" --version
