"""`glacier lineage PATH`: the OpenLineage jobs and datasets of the pipelines, from source.

Exit codes as `glacier graph`: 0 written; 1 written, but the code has error diagnostics;
2 usage error (unknown pipeline, lineage not configured for --emit) or internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from glacier.cli.exit_codes import ExitCode
from glacier.model import display_path
from glacier.rules import Severity

HELP = "print the OpenLineage jobs and datasets of the pipelines, from source (runs nothing)"
FORMATS = ("openlineage", "json")

_EPILOG = """\
examples:
  glacier lineage src/shop                       # OpenLineage JobEvents, one JSON per line
  glacier lineage src/shop --format json         # jobs and datasets as one JSON document
  OPENLINEAGE_URL=http://marquez:5000 glacier lineage src/shop --emit

jobs: one per task, named <pipeline>.<task id> in the namespace --namespace, else
$OPENLINEAGE_NAMESPACE, else `glacier`. Datasets are named by their storage
(s3://lake/raw/ -> namespace s3://lake, name raw). See docs/lineage.md.

exit status: 0 written; 1 written, but the code has errors (see `glacier check`);
2 usage or internal error.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files, folders or packages to analyze (default: the current directory)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="openlineage",
        help="openlineage: JobEvents as JSON Lines (default); json: Glacier's summary",
    )
    parser.add_argument("--namespace", metavar="NS", help="the job namespace (default: glacier)")
    parser.add_argument("--pipeline", metavar="NAME", help="only this pipeline (name or variable)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    parser.add_argument(
        "--emit",
        action="store_true",
        help="also send the JobEvents through the OpenLineage client configured the standard "
        "way (openlineage.yml, OPENLINEAGE_URL, ...)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not use .glacier_cache")


def _error(message: str) -> ExitCode:
    print(f"glacier lineage: {message}", file=sys.stderr)
    return ExitCode.ERROR


def run(args: argparse.Namespace) -> ExitCode:
    from glacier.config import ConfigError
    from glacier.lineage.mapping import (
        LineageUnavailableError,
        job_event,
        namespace_from_environment,
        to_json,
    )
    from glacier.lineage.static import (
        UnknownPipelineError,
        design_time_lineage,
        lineage_to_dict,
        project_settings,
    )

    paths = [Path(p) for p in args.paths] or [Path(".")]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        return _error(f"no such file or directory: {', '.join(missing)}")
    namespace = namespace_from_environment(args.namespace)
    try:
        settings = project_settings(paths)
        lineage = design_time_lineage(
            paths,
            namespace=namespace,
            pipeline=args.pipeline,
            settings=settings,
            cache=not args.no_cache,
        )
    except (ConfigError, UnknownPipelineError) as error:
        return _error(str(error))
    except Exception as error:  # noqa: BLE001 - any analyzer failure is an internal error
        return _error(f"internal error while analyzing: {error!r}")
    for failure in lineage.failures:
        print(f"glacier lineage: error: {failure}", file=sys.stderr)
    errors = [d for d in lineage.diagnostics if d.severity is Severity.ERROR]
    for diagnostic in errors:
        span = diagnostic.span
        where = f"{display_path(span.filename, Path.cwd())}:{span.line}:{span.column}"
        print(f"{where}: {diagnostic.code} {diagnostic.message}", file=sys.stderr)

    try:
        events = [job_event(job, lineage.event_time) for job in lineage.jobs]
    except LineageUnavailableError as error:
        return _error(str(error))
    if args.format == "json":
        text = json.dumps(lineage_to_dict(lineage), indent=2, ensure_ascii=False) + "\n"
    else:
        text = "".join(to_json(event) + "\n" for event in events)
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)

    if args.emit:
        from glacier.lineage.client import configured_client

        client = configured_client()
        if client is None:
            return _error(
                "--emit needs OpenLineage configured: set OPENLINEAGE_URL or write an "
                "openlineage.yml (see docs/lineage.md)"
            )
        try:
            for event in events:
                client.emit(event)
            client.close()
        except Exception as error:  # noqa: BLE001 - a transport failure is reported, not raised
            return _error(f"could not send the events: {error}")
    return ExitCode.PROBLEMS if errors else ExitCode.OK
