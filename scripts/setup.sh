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
