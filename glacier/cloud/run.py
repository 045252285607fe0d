"""``python -m glacier.cloud.run --task TASK_ID --run-id RUN_ID [--param NAME=VALUE ...]``.

The entry point of every container image ``glacier compile`` writes. The run id and the
execution input (``{"params": {...}}``) may also come from ``GLACIER_RUN_ID`` and
``GLACIER_EXECUTION_INPUT``, which the Step Functions state machine sets. Exit 0: the
task succeeded; 1: it failed (its traceback on standard error); 2: usage or setup error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from glacier.cloud.entry import EntryError, TaskCall, run_task
from glacier.cloud.secrets import load_secrets


def parse_params(values: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; values are JSON when they parse, else strings.

    Raises:
        EntryError: for a pair without ``=``.
    """
    params: dict[str, Any] = {}
    for item in values:
        name, equals, raw = item.partition("=")
        if not equals or not name:
            raise EntryError(f"--param {item!r}: write NAME=VALUE, e.g. --param threshold=0.5")
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    return params


def execution_params() -> dict[str, Any]:
    """``params`` of the state machine's execution input, if the environment carries it."""
    text = os.environ.get("GLACIER_EXECUTION_INPUT")
    if not text:
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        raise EntryError("GLACIER_EXECUTION_INPUT is not JSON") from None
    params = document.get("params", {}) if isinstance(document, dict) else {}
    if not isinstance(params, dict):
        raise EntryError('the execution input\'s "params" must be an object of name: value')
    return params


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m glacier.cloud.run", description="Run one Glacier task in the cloud."
    )
    parser.add_argument("--task", required=True, metavar="TASK_ID")
    parser.add_argument("--run-id", metavar="RUN_ID", default=os.environ.get("GLACIER_RUN_ID"))
    parser.add_argument("--module", default=os.environ.get("GLACIER_MODULE"))
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 0 if exit_.code == 0 else 2
    try:
        if not args.run_id:
            raise EntryError("no run id: pass --run-id or set GLACIER_RUN_ID")
        params = {**execution_params(), **parse_params(args.param)}
        secrets = json.loads(os.environ.get("GLACIER_SECRETS", "[]"))
        load_secrets(secrets)
        call = TaskCall(args.task, args.run_id, args.module, params)
        run_task(call)
    except EntryError as error:
        print(f"glacier: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - the task's own failure, reported as such
        traceback.print_exc()
        print(
            f"glacier: task `{args.task}` failed: {type(error).__name__}: {error}", file=sys.stderr
        )
        return 1
    print(f"glacier: task `{args.task}` succeeded (run {args.run_id})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
