#!/usr/bin/env bash
# Glacier VS Code extension: typecheck, unit tests, esbuild bundle, vsce package, end-to-end run in a
# real VS Code (code-server + headless Chromium). Run scripts/setup.sh first.
# Env: GLACIER_PYTHON (python with glacier_lsp for the e2e run; default python3),
#      GLACIER_VSCODE_SKIP_E2E=1 to skip the end-to-end run (local use only).
# Ends with one line: "vscode: N passed, M failed".
set -uo pipefail
EXT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT_DIR/.." && pwd)
ARTIFACTS=${GLACIER_E2E_ARTIFACTS:-$REPO/test-artifacts/vscode}
export GLACIER_E2E_ARTIFACTS="$ARTIFACTS"
cd "$EXT_DIR"
export npm_config_yes=true npm_config_update_notifier=false

passed=0
failed=0
t_start=$(date +%s)
step() { printf '\n== vscode: %s\n' "$*"; }
timed() { local t0=$(date +%s); "$@"; local rc=$?; printf -- '-- %ss\n' "$(( $(date +%s) - t0 ))"; return $rc; }
finish() {
  printf '\nvscode: total %ss\n' "$(( $(date +%s) - t_start ))"
  echo "vscode: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
# a build step that fails counts as one failed check and stops the run
must() { if ! timed "$@"; then failed=$((failed + 1)); echo "vscode: step failed: $*" >&2; finish; fi; }

[ -d node_modules ] || { echo "vscode: node_modules missing; run scripts/setup.sh" >&2; failed=1; finish; }

step "typecheck (tsc --noEmit, strict)"
must npx --no-install tsc -p . --noEmit

step "unit tests (node:test)"
rm -rf out
must npx --no-install tsc -p tsconfig.test.json
mkdir -p out
timed node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=out/unit.tap out/test/unit/*.test.js
unit_rc=$?
up=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' out/unit.tap | tail -1)
uf=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' out/unit.tap | tail -1)
up=${up:-0}; uf=${uf:-0}
if [ "$unit_rc" -ne 0 ] && [ "$uf" -eq 0 ]; then uf=1; fi
passed=$((passed + up)); failed=$((failed + uf))
echo "unit: $up passed, $uf failed"

step "bundle (esbuild)"
must node scripts/bundle.mjs --production

step "package (vsce)"
VERSION=$(node -p "require('./package.json').version")
VSIX="dist/glacier-$VERSION.vsix"
must npx --no-install vsce package --no-dependencies --allow-missing-repository --out "$VSIX" </dev/null
ls -l "$VSIX"

if [ "${GLACIER_VSCODE_SKIP_E2E:-0}" = "1" ]; then
  echo "vscode: e2e skipped (GLACIER_VSCODE_SKIP_E2E=1)"
  finish
fi

step "end-to-end (code-server $(cat "$REPO/.e2e/cs/lib/node_modules/code-server/package.json" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).version)}catch{console.log("?")}})'), headless chromium)"
rm -f "$ARTIFACTS/e2e-result.json"
timed bash scripts/e2e.sh "$VSIX"
e2e_rc=$?
if [ -f "$ARTIFACTS/e2e-result.json" ]; then
  ep=$(node -p "require('$ARTIFACTS/e2e-result.json').passed")
  ef=$(node -p "require('$ARTIFACTS/e2e-result.json').failed")
else
  ep=0; ef=1
  echo "vscode: the end-to-end run produced no result (exit $e2e_rc); see $ARTIFACTS" >&2
fi
if [ "$e2e_rc" -ne 0 ] && [ "$ef" -eq 0 ]; then ef=1; fi
passed=$((passed + ep)); failed=$((failed + ef))
echo "e2e: $ep passed, $ef failed (artifacts: $ARTIFACTS)"
finish
