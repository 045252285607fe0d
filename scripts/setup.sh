#!/usr/bin/env bash
# Idempotent set-up: Debian's graphviz, a virtualenv with Glacier and its test tools,
# and (unless --core) the VS Code extension's npm packages and its end-to-end kit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CORE_ONLY=0
[ "${1:-}" = "--core" ] && CORE_ONLY=1

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: apt-get install ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

apt_install graphviz

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# Reinstall only when the dependency list changed since the last successful install.
STAMP=.venv/.glacier-installed
WANT=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ] || ! .venv/bin/python -c "import glacier" 2>/dev/null; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  # compat mode: a plain path entry, which mypy (and so the glacier_mypy plugin) can follow.
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" \
    --config-settings editable_mode=compat
  echo "$WANT" > "$STAMP"
fi

# The lowest mypy the plugin supports, beside the pinned one, for tests/mypy/test_modes.py.
LOWEST=.venv-mypy-lowest
if ! "$LOWEST/bin/python" -c "import mypy, networkx" 2>/dev/null; then
  echo "setup: installing the lowest supported mypy into $LOWEST"
  "$PYTHON" -m venv "$LOWEST"
  "$LOWEST/bin/python" -m pip install -q --disable-pip-version-check "mypy==1.19.0" "networkx>=3.2,<4"
  "$LOWEST/bin/python" -c 'import sysconfig, pathlib, sys; pathlib.Path(sysconfig.get_paths()["purelib"], "glacier-checkout.pth").write_text(sys.argv[1] + "\n")' "$ROOT"
fi

# Python 3.10, the oldest Glacier supports, in its own virtualenv with Glacier's runtime
# dependencies only, for tests/cli/test_graph_without_dot.py (pictures without `dot` there).
PY310_VENV=.venv-py310
PY310_STAMP=$PY310_VENV/.glacier-installed
if [ "$(cat "$PY310_STAMP" 2>/dev/null)" != "$WANT" ]; then
  PY310=""
  # pyenv's shim may exist without 3.10 being selected, so each candidate must run.
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10 python3.10; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      PY310=$candidate
      break
    fi
  done
  if [ -n "$PY310" ]; then
    echo "setup: installing Glacier into $PY310_VENV ($PY310)"
    [ -x "$PY310_VENV/bin/python" ] || "$PY310" -m venv "$PY310_VENV"
    "$PY310_VENV/bin/python" -m pip install -q --disable-pip-version-check -e . \
      --config-settings editable_mode=compat
    echo "$WANT" > "$PY310_STAMP"
  else
    echo "setup: no Python 3.10 found (python3.10 or pyenv); the Python 3.10 tests will say so"
  fi
fi

# Components the tests start themselves (emulators, tools with their own virtualenvs):
# one idempotent script each, so they stay independent of one another.
if [ "$CORE_ONLY" -eq 0 ]; then
  for part in scripts/setup.d/*.sh; do
    [ -e "$part" ] || continue
    ROOT="$ROOT" PYTHON="$PYTHON" bash "$part" || { echo "setup: $part failed"; exit 1; }
  done
fi

if [ "$CORE_ONLY" -eq 0 ] && [ -f vscode-extension/scripts/setup.sh ]; then
  GLACIER_PYTHON="$ROOT/.venv/bin/python" bash vscode-extension/scripts/setup.sh
fi
echo "setup: ready"
