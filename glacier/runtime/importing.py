"""Importing user code without running its pipelines twice.

The design document calls ``pipeline.run(...)`` and ``pipeline.compile(...)`` at module top level,
unguarded. When Glacier itself imports such a module (``glacier run``, process workers, the cloud
entry point), those calls must not run: Glacier is about to do the work itself.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.local()


@contextmanager
def importing_user_code() -> Iterator[None]:
    """While active (in this thread), top-level ``run()``/``compile()`` calls are skipped."""
    depth: int = getattr(_state, "depth", 0)
    _state.depth = depth + 1
    try:
        yield
    finally:
        _state.depth = depth
        if depth == 0:
            _state.noticed = set()


def is_importing_user_code() -> bool:
    """Whether Glacier is importing user code in this thread right now."""
    return bool(getattr(_state, "depth", 0))


def skip_notice(action: str, pipeline_name: str | None) -> None:
    """Say once per import and action that a top-level call was skipped."""
    noticed: set[str] = getattr(_state, "noticed", set())
    _state.noticed = noticed
    if action in noticed:
        return
    noticed.add(action)
    label = f"pipeline `{pipeline_name}`" if pipeline_name else "the pipeline"
    print(
        f"glacier: skipped {label}.{action}() at module top level while glacier imports it",
        file=sys.stderr,
    )
