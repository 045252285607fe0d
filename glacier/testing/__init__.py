"""Helpers for testing Glacier tasks and pipelines (docs/testing.md).

- `run_task` runs one task through the run engine: its inputs by parameter name or
  dataset, its output checked against its schema and passed through its codec;
- `run_pipeline` runs a whole pipeline with every storage replaced by an in-memory one
  and every value handed between tasks written and read back through its codec, as it
  would be in the cloud;
- `assert_succeeded`, `assert_failed`, `assert_statuses`, `assert_outputs` check a
  `RunResult` with messages that show what went wrong.

The pytest plugin (`glacier.testing.pytest_plugin`, loaded automatically) adds the
fixtures ``glacier_s3``, ``glacier_storage_root``, ``glacier_dask_client`` and
``glacier_snapshot``. Nothing here is imported before it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glacier.testing.assertions import (
        assert_failed,
        assert_outputs,
        assert_statuses,
        assert_succeeded,
    )
    from glacier.testing.running import MemoryStorage, run_pipeline, run_task
    from glacier.testing.servers import moto_s3_server

_WHERE = {
    "assert_failed": "glacier.testing.assertions",
    "assert_outputs": "glacier.testing.assertions",
    "assert_statuses": "glacier.testing.assertions",
    "assert_succeeded": "glacier.testing.assertions",
    "MemoryStorage": "glacier.testing.running",
    "run_pipeline": "glacier.testing.running",
    "run_task": "glacier.testing.running",
    "moto_s3_server": "glacier.testing.servers",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'glacier.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "MemoryStorage",
    "assert_failed",
    "assert_outputs",
    "assert_statuses",
    "assert_succeeded",
    "moto_s3_server",
    "run_pipeline",
    "run_task",
]
