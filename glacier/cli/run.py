"""`glacier run TARGET`: import the user's pipeline and run it (the one command that runs code)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from typing import Any

from glacier.cli.exit_codes import ExitCode

HELP = "run a pipeline on this machine (or a Dask cluster): glacier run path/to/file.py[:pipeline]"
INTERRUPTED = 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="path/to/file.py, path/to/file.py:variable or package.module:variable",
    )
    parser.add_argument("--workers", type=int, metavar="N", help="task slots (default: CPUs)")
    parser.add_argument(
        "--processes", action="store_true", help="run tasks in worker processes, not threads"
    )
    parser.add_argument("--executor", choices=("local", "dask"), default="local")
    parser.add_argument("--address", metavar="ADDR", help="a Dask scheduler (tcp://host:8786)")
    parser.add_argument(
        "--cache",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="reuse results of tasks whose code, parameters and inputs did not change "
        "(.glacier/cache); resumes a failed run",
    )
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=URI",
        help="read dataset NAME from URI (a folder or file, local or s3://...) for this run",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set the task parameter NAME (VALUE is JSON, else a string)",
    )
    parser.add_argument(
        "--keep", action="append", default=[], metavar="DATASET", help="also report DATASET"
    )
    parser.add_argument("--output-format", choices=("text", "json"), default="text")
    parser.add_argument("--no-progress", action="store_true", help="no progress display")
    parser.add_argument(
        "--traceback", action="store_true", help="show Glacier's own traceback on errors"
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("glacier run: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the last resort: one line, exit 2
        if args.traceback:
            traceback.print_exc()
        print(
            f"glacier run: internal error: {type(error).__name__}: {error} "
            "(rerun with --traceback for details)",
            file=sys.stderr,
        )
        return ExitCode.ERROR


def _usage(message: str) -> int:
    print(f"glacier run: {message}", file=sys.stderr)
    return ExitCode.ERROR


def _pairs(values: list[str], option: str) -> dict[str, str] | str:
    pairs: dict[str, str] = {}
    for item in values:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            return f"{option} takes NAME=VALUE, got {item!r}"
        pairs[name.strip()] = value
    return pairs


def _parse_params(raw: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, text in raw.items():
        try:
            params[name] = json.loads(text)
        except ValueError:
            params[name] = text
    return params


def _executor(args: argparse.Namespace) -> Any:
    if args.workers is not None and args.workers < 1:
        raise _UsageError(f"--workers must be 1 or more, got {args.workers}")
    if args.executor == "dask":
        from glacier.executors import DaskExecutor

        if args.processes:
            raise _UsageError("--processes is for --executor local; Dask workers are processes")
        options: dict[str, Any] = {}
        if args.address:
            if args.workers:
                raise _UsageError("--workers sizes the local Dask cluster; not with --address")
            options["address"] = args.address
        elif args.workers:
            options["n_workers"] = args.workers
        try:
            return DaskExecutor(**options)
        except ImportError as error:  # the `dask` extra is missing: the message names it
            raise _UsageError(str(error)) from None
    if args.address:
        raise _UsageError("--address needs --executor dask")
    from glacier.executors.local import LocalExecutor

    return LocalExecutor(workers=args.workers, processes=args.processes)


class _UsageError(Exception):
    pass


def _run(args: argparse.Namespace) -> int:
    from glacier.run.loading import TargetError, load_pipeline
    from glacier.runtime.errors import PipelineValidationError

    inputs_raw = _pairs(args.input, "--input")
    params_raw = _pairs(args.param, "--param")
    if isinstance(inputs_raw, str):
        return _usage(inputs_raw)
    if isinstance(params_raw, str):
        return _usage(params_raw)
    try:
        executor = _executor(args)
    except _UsageError as error:
        return _usage(str(error))
    try:
        pipeline = load_pipeline(args.target)
    except TargetError as error:
        if error.user_traceback:
            print(error.user_traceback, file=sys.stderr, end="")
        if args.traceback:
            traceback.print_exc()
        return _usage(str(error))
    except PipelineValidationError as error:
        return _problems(str(error), args)
    from glacier.run.result import PipelineRunError, RunInterrupted
    from glacier.run.runner import run_pipeline
    from glacier.run.session import RunSetupError

    try:
        inputs = _read_inputs(pipeline, inputs_raw)
    except RunSetupError as error:
        return _problems(str(error), args)
    # With JSON on standard output, what tasks print goes to standard error.
    quiet = contextlib.redirect_stdout(sys.stderr) if args.output_format == "json" else None
    try:
        with quiet or contextlib.nullcontext():
            result = run_pipeline(
                pipeline,
                executor,
                inputs=inputs,
                params=_parse_params(params_raw),
                cache=True if args.cache else None,
                keep=args.keep or None,
                raise_on_error=False,
                progress=False if args.no_progress else None,
            )
    except PipelineValidationError as error:
        return _problems(f"pipeline {pipeline.label} is invalid: {error}", args)
    except RunSetupError as error:
        return _problems(str(error), args)
    except RunInterrupted as interrupted:
        _print_result(interrupted.result, args)
        print("glacier run: interrupted; the run is recorded", file=sys.stderr)
        return INTERRUPTED
    _print_result(result, args)
    if not result.succeeded:
        failure = PipelineRunError(result)
        for failed in result.failed:
            tb = getattr(failed.error, "__glacier_traceback__", None) or _user_tb(failed.error)
            if tb:
                print(f"\n{failed.name} ({failed.id}):\n{tb}", file=sys.stderr, end="")
        print(f"glacier run: {failure}", file=sys.stderr)
        return ExitCode.PROBLEMS
    return ExitCode.OK


def _user_tb(error: BaseException | None) -> str:
    if error is None:
        return ""
    from glacier.run.session import user_traceback

    return user_traceback(error)


def _problems(message: str, args: argparse.Namespace) -> int:
    if args.traceback:
        traceback.print_exc()
    print(f"glacier run: {message}", file=sys.stderr)
    return ExitCode.PROBLEMS


def _read_inputs(pipeline: Any, raw: dict[str, str]) -> dict[str, Any]:
    """Each ``--input NAME=URI`` read as dataset NAME (its schema and format apply)."""
    from glacier.run.session import RunSetupError
    from glacier.storage import StorageError, read_dataset

    datasets = {d.name: d for d in pipeline.datasets}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, uri in raw.items():
        dataset = datasets.get(name)
        if dataset is None:
            problems.append(
                f"--input {name}=...: pipeline {pipeline.label} has no dataset `{name}`; its "
                f"datasets: {', '.join(sorted(datasets))}"
            )
            continue
        location = uri if "://" in uri else "file://" + os.path.abspath(os.path.expanduser(uri))
        if not location.endswith("/"):
            location += "/"
        try:
            values[name] = read_dataset(dataset, location=location)
        except StorageError as error:
            problems.append(f"--input {name}={uri}: {error}")
    if problems:
        raise RunSetupError(problems)
    return values


def _print_result(result: Any, args: argparse.Namespace) -> None:
    if args.output_format == "json":
        print(json.dumps(result.to_dict(), indent=2, sort_keys=False, default=str))
        return
    print(f"{result.run_id}: {result.summary()}")
