"""`glacier runs [show RUN_ID]`: the run records in ``.glacier/runs.db``."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

from glacier.cli.exit_codes import ExitCode

HELP = "list recorded runs, or show one run's tasks and logs: glacier runs show RUN_ID"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "show"), default="list")
    parser.add_argument("run_id", nargs="?", metavar="RUN_ID", help="a run id (or its prefix)")
    parser.add_argument("--limit", type=int, default=20, help="how many runs to list")
    parser.add_argument(
        "--project", metavar="DIR", help="the project folder (default: found from here)"
    )
    parser.add_argument("--output-format", choices=("text", "json"), default="text")


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def run(args: argparse.Namespace) -> int:
    from glacier.run.records import list_runs, show_run
    from glacier.storage.locations import project_root

    root = project_root(os.path.abspath(args.project or os.getcwd()))
    if args.action == "show":
        if not args.run_id:
            print("glacier runs show: give a RUN_ID (see `glacier runs`)", file=sys.stderr)
            return ExitCode.ERROR
        found = show_run(root, args.run_id)
        if found is None:
            print(
                f"glacier runs: no run `{args.run_id}` recorded in {root}/.glacier/runs.db "
                "(or the prefix matches several)",
                file=sys.stderr,
            )
            return ExitCode.PROBLEMS
        record, tasks = found
        if args.output_format == "json":
            print(
                json.dumps(
                    {
                        "run_id": record.run_id,
                        "pipeline": record.pipeline,
                        "status": record.status,
                        "started": record.started,
                        "duration": record.duration,
                        "executor": record.executor,
                        "counts": record.counts,
                        "params": record.params,
                        "tasks": [vars(task) for task in tasks],
                    },
                    indent=2,
                )
            )
            return ExitCode.OK
        print(f"run {record.run_id} of pipeline `{record.pipeline}`: {record.status}")
        print(f"  started {_when(record.started)}, took {_seconds(record.duration)}")
        print(f"  executor {record.executor}")
        if record.params:
            print(f"  params {json.dumps(record.params, sort_keys=True)}")
        for task in tasks:
            attempts = f", {task.attempts} attempts" if (task.attempts or 0) > 1 else ""
            print(f"  {task.status:<9} {task.name} ({_seconds(task.duration)}{attempts})")
            if task.output_uri:
                print(f"            output {task.output_uri}")
            if task.error:
                print(f"            {task.error}")
            for line in (task.log or "").splitlines():
                print(f"            | {line}")
        return ExitCode.OK
    runs = list_runs(root, args.limit)
    if args.output_format == "json":
        print(json.dumps([vars(r) for r in runs], indent=2))
        return ExitCode.OK
    if not runs:
        print(f"no runs recorded in {root}/.glacier/runs.db yet (glacier run TARGET)")
        return ExitCode.OK
    for record in runs:
        counts = ", ".join(f"{n} {s}" for s, n in record.counts.items() if n) or "-"
        print(
            f"{record.run_id}  {record.status:<11} {record.pipeline:<16} "
            f"{_when(record.started)}  {_seconds(record.duration):>9}  {counts}"
        )
    return ExitCode.OK
