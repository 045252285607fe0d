"""`glacier diff BASE [HEAD] [PATH ...]`: what a change does to the pipelines, from source.

Exit codes: 0 compared; 1 compared, and the head has error diagnostics the base had not;
2 usage error (not a git repository, unknown revision, missing Graphviz for svg) or internal error.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path, PurePosixPath

from glacier.cli.exit_codes import ExitCode

HELP = "show what a change does to the pipelines between two git revisions (from source)"
FORMATS = ("text", "markdown", "json", "svg")

_EPILOG = """\
BASE and HEAD are git revisions (commits, branches, tags, `HEAD~1`, `origin/main`).
Without HEAD, BASE is compared with the working tree, as `git diff BASE` does. The second
argument is HEAD when it names a commit, else the first PATH (write `./NAME` for a path that
is also a branch name). PATHs limit the analysis (default: the current directory).
Revisions are read from git objects: nothing is checked out and no user code is imported.

examples:
  glacier diff main                          # main vs. the working tree
  glacier diff origin/main HEAD --format markdown > comment.md
  glacier diff v1.2 v1.3 src/shop --format svg -o changes.svg

exit status: 0 compared; 1 the head adds error diagnostics; 2 usage or internal error.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("base", metavar="BASE", help="the revision to compare from")
    parser.add_argument(
        "rest",
        nargs="*",
        metavar="[HEAD] [PATH]",
        help="the revision to compare to (default: the working tree), then paths",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE")


def _error(message: str) -> ExitCode:
    print(f"glacier diff: {message}", file=sys.stderr)
    return ExitCode.ERROR


def repository_paths(top: Path, paths: list[str]) -> list[PurePosixPath] | str:
    """``paths`` (relative to the current directory) as repository-relative paths.

    Returns a message instead when one lies outside the repository.
    """
    relative: list[PurePosixPath] = []
    for path in paths or ["."]:
        try:
            inside = Path(path).resolve().relative_to(top)
        except ValueError:
            return f"{path} is outside the repository {top}"
        if inside.parts:
            relative.append(PurePosixPath(*inside.parts))
        else:
            return []  # the whole repository
    return relative


def run(args: argparse.Namespace) -> ExitCode:
    from glacier.diff import WORKING_TREE, RevisionError, diff_snapshots, revision_snapshot
    from glacier.diff.revision import repository_top, resolve_commit

    try:
        top = repository_top(Path.cwd())
    except RevisionError as error:
        return _error(str(error))
    rest: list[str] = list(args.rest)
    head = WORKING_TREE
    if rest and resolve_commit(top, rest[0]) is not None:
        head = rest.pop(0)
    paths = repository_paths(top, rest)
    if isinstance(paths, str):
        return _error(paths)

    try:
        with ExitStack() as stack:
            base_side = stack.enter_context(revision_snapshot(top, args.base, paths))
            head_side = stack.enter_context(revision_snapshot(top, head, paths))
            diff = diff_snapshots(base_side, head_side)
            if args.format == "svg":
                from glacier.diff.picture import render_diff_svg
                from glacier.outputs.graph.svg import GraphvizError

                try:
                    text = render_diff_svg(base_side, head_side, diff)
                except GraphvizError as error:
                    return _error(str(error).removeprefix("glacier-graph: "))
            else:
                from glacier.diff.render import render_json, render_markdown, render_text

                render = {"text": render_text, "markdown": render_markdown, "json": render_json}
                text = render[args.format](diff)
    except RevisionError as error:
        return _error(str(error))
    except Exception as error:  # noqa: BLE001 - any failure here is Glacier's, not the user's
        return _error(f"internal error: {error!r}")

    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return ExitCode.PROBLEMS if diff.new_errors else ExitCode.OK
