#!/usr/bin/env bash
# Set up (idempotently) and run Glacier's main job on the bundled example:
# check it from source, draw its DAG, then run it with glacier run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --core
export PATH="$PWD/.venv/bin:$PATH"
EXAMPLE=examples/analytics
echo "$ glacier check $EXAMPLE"
glacier check "$EXAMPLE"
mkdir -p build
echo "$ glacier-graph $EXAMPLE -o build/analytics.svg"
glacier-graph "$EXAMPLE" -o build/analytics.svg
echo "$ glacier-graph $EXAMPLE --format ascii"
glacier-graph "$EXAMPLE" --format ascii
echo "$ glacier run $EXAMPLE/pipeline.py"
glacier run "$EXAMPLE/pipeline.py"
echo "$ glacier runs"
glacier runs --limit 3
echo "$ glacier compile $EXAMPLE --target aws --out build/infra"
glacier compile "$EXAMPLE" --target aws --out build/infra
ls build/infra
