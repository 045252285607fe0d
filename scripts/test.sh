#!/usr/bin/env bash
# Set up (idempotently) and run every check: ruff, mypy --strict, pytest, the VS Code extension.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 2; }
export PATH="$PWD/.venv/bin:$PATH"
failed=()

step() {
  local name=$1; shift
  echo "::: $name"
  local start=$SECONDS
  if "$@"; then echo "::: $name ok ($((SECONDS - start)) s)"; else echo "::: $name FAILED"; failed+=("$name"); fi
}

step "ruff" ruff check glacier glacier_mypy glacier_lsp tests bench
step "mypy --strict" mypy
pytest_run() {
  pytest "$@"
  local rc=$?
  # pytest exits 5 when it collected nothing: that is a failure here, never a pass.
  [ $rc -eq 5 ] && echo "pytest collected no tests"
  return $rc
}
# Tests write only below temporary folders: anything new and untracked in the checkout is a leak.
untracked_before=$(git status --porcelain --untracked-files=normal 2>/dev/null | grep '^??' || true)
no_litter() {
  local after
  after=$(git status --porcelain --untracked-files=normal 2>/dev/null | grep '^??' || true)
  if [ "$after" != "$untracked_before" ]; then
    echo "tests left files in the checkout:"; diff <(echo "$untracked_before") <(echo "$after") | grep '^>'
    return 1
  fi
}
step "pytest" pytest_run --doctest-modules glacier/graph glacier/compute.py glacier/runtime tests
step "no files left behind" no_litter
if [ -f vscode-extension/scripts/test.sh ]; then
  step "vscode extension" env GLACIER_PYTHON="$PWD/.venv/bin/python" bash vscode-extension/scripts/test.sh
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all checks passed"
