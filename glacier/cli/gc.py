"""`glacier gc`: remove old versions of stored datasets.

Datasets are found from source, without importing it (every ``Dataset`` with
``storage=``), or given as folder URIs with ``--uri``. See docs/storage.md for the
retention.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path
from typing import Any

from glacier.cli.exit_codes import ExitCode

HELP = "remove old versions of stored datasets (keeps the current one and recent ones)"

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders whose datasets to clean (default: the current directory)",
    )
    parser.add_argument(
        "--uri",
        action="append",
        default=[],
        metavar="URI",
        help="a dataset folder to clean instead (repeatable), e.g. s3://lake/raw/",
    )
    parser.add_argument(
        "--keep",
        type=int,
        default=2,
        metavar="N",
        help="older versions to keep besides the current one (default: 2)",
    )
    parser.add_argument(
        "--min-age",
        default="24h",
        metavar="AGE",
        help="never remove versions younger than this: 30m, 24h, 7d (default: 24h)",
    )
    parser.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    parser.add_argument(
        "--dataset",
        action="append",
        default=[],
        metavar="NAME",
        help="only this dataset (repeatable)",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="a pyproject.toml to use")
    parser.add_argument("--output-format", choices=("text", "json"), default="text")


def parse_age(text: str) -> datetime.timedelta:
    """``30m`` -> 30 minutes.

    Raises:
        ValueError: for anything else.
    """
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"`{text}` is not a duration such as 30m, 24h or 7d")
    return datetime.timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def _error(message: str) -> ExitCode:
    print(f"glacier: error: {message}", file=sys.stderr)
    return ExitCode.ERROR


def _targets(args: argparse.Namespace) -> list[tuple[str, str, Any]] | str:
    """``(dataset, uri, storage)`` to clean, or an error message."""
    from glacier.storage.locations import STORAGE_CLASSES

    if args.uri:
        bad = [uri for uri in args.uri if not uri.endswith("/")]
        if bad:
            return f"`{bad[0]}` is not a folder URI (it must end with `/`)"
        return [(uri, uri, None) for uri in args.uri]
    from glacier.analysis import analyze_paths
    from glacier.config import ConfigError, load_settings

    paths = args.paths or ["."]
    try:
        settings = load_settings(Path(paths[0]), args.config)
    except ConfigError as error:
        return str(error)
    result = analyze_paths(paths, settings)
    by_kind = {cls.kind: cls for cls in STORAGE_CLASSES.values()}
    targets: dict[str, tuple[str, str, Any]] = {}
    for dataset in result.project.datasets:
        storage = dataset.storage
        if not storage or "uri" not in storage:
            continue
        if args.dataset and dataset.name not in args.dataset:
            continue
        fields = {k: v for k, v in storage.items() if k not in ("kind", "uri")}
        cls = by_kind.get(str(storage.get("kind")))
        location = cls(**fields) if cls is not None else None
        targets.setdefault(storage["uri"], (dataset.name, str(storage["uri"]), location))
    return sorted(targets.values(), key=lambda target: target[1])


def run(args: argparse.Namespace) -> ExitCode:
    from glacier.storage import StorageError
    from glacier.storage.gc import collect_garbage

    if args.keep < 0:
        return _error("--keep must be 0 or more")
    try:
        min_age = parse_age(args.min_age)
    except ValueError as error:
        return _error(f"--min-age: {error}")
    targets = _targets(args)
    if isinstance(targets, str):
        return _error(targets)
    results = []
    failed = False
    for dataset, uri, storage in targets:
        try:
            found = collect_garbage(
                dataset, uri, storage=storage, keep=args.keep, min_age=min_age, dry_run=args.dry_run
            )
        except StorageError as error:
            print(f"glacier: {error}", file=sys.stderr)
            failed = True
            continue
        results.append(found)
    if args.output_format == "json":
        payload = {"dry_run": args.dry_run, "datasets": [r.to_dict() for r in results]}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        verb = "would remove" if args.dry_run else "removed"
        for found in results:
            print(
                f"{found.dataset} ({found.uri}): {verb} {len(found.removed)} version(s), "
                f"kept {len(found.kept)} (current: {found.current or 'none'})"
            )
        if not targets:
            print("no datasets with storage found")
    return ExitCode.PROBLEMS if failed else ExitCode.OK
