#!/usr/bin/env bash
# Azurite, Microsoft's Azure Storage emulator (npm), for the AzureBlob storage tests.
# Installs into $ROOT/.tools/azurite; returns at once when the pinned version is there.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
VERSION="3.37.0"
TARGET="$ROOT/.tools/azurite"
if [ -x "$TARGET/node_modules/.bin/azurite-blob" ] \
    && grep -q "\"version\": \"$VERSION\"" "$TARGET/node_modules/azurite/package.json" 2>/dev/null; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "azurite.sh: npm is needed (apt-get install nodejs npm)" >&2
    exit 1
fi
mkdir -p "$TARGET"
npm install --silent --no-audit --no-fund --prefix "$TARGET" "azurite@$VERSION"
"$TARGET/node_modules/.bin/azurite-blob" --version >/dev/null
