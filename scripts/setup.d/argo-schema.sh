#!/usr/bin/env bash
# Argo Workflows' published schema, compiled to validators by the npm package
# @kubernetes-models/argo-workflows (generated from Argo's Go API types, with the Kubernetes core
# schemas it references). tests/targets/kubernetes validate every generated WorkflowTemplate with it.
# Installs into .tools/argo-schema (gitignored); returns at once when the pinned version is there.
set -euo pipefail
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
VERSION=2.0.0
DIR="$ROOT/.tools/argo-schema"
INSTALLED="$DIR/node_modules/@kubernetes-models/argo-workflows/package.json"

if [ -f "$INSTALLED" ] && grep -q "\"version\": \"$VERSION\"" "$INSTALLED"; then
  exit 0
fi
command -v npm >/dev/null || { echo "argo-schema: npm is needed (apt-get install npm)"; exit 1; }
echo "setup: installing @kubernetes-models/argo-workflows@$VERSION into $DIR"
mkdir -p "$DIR"
cat > "$DIR/package.json" <<JSON
{
  "name": "glacier-argo-schema",
  "private": true,
  "type": "module",
  "dependencies": { "@kubernetes-models/argo-workflows": "$VERSION" }
}
JSON
# The package declares node >= 22 but runs on Debian's node 20; engine-strict stays off.
(cd "$DIR" && npm install --silent --no-audit --no-fund --save-exact >/dev/null)
