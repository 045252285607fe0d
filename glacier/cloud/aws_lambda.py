"""The Lambda handler: ``glacier.cloud.aws_lambda.handler``, over the same code as the container.

The state machine invokes it with ``{"run_id": ..., "input": <execution input>}``; the task
comes from ``GLACIER_TASK``. A failing task raises, so Lambda reports a function error and
the state machine's catch records the task as failed.
"""

from __future__ import annotations

import json
import os
from typing import Any

from glacier.cloud.entry import EntryError, TaskCall, run_task
from glacier.cloud.secrets import load_secrets


def handler(event: dict[str, Any], context: object = None) -> dict[str, str]:
    """Run the function's task for one execution.

    Raises:
        EntryError: when the event or environment is incomplete; the task's own error when
            it fails.
    """
    task_id = os.environ.get("GLACIER_TASK")
    if not task_id:
        raise EntryError("GLACIER_TASK is not set; the deployment sets it on the function")
    run_id = event.get("run_id") if isinstance(event, dict) else None
    if not isinstance(run_id, str) or not run_id:
        raise EntryError('the event has no "run_id"; the state machine passes it')
    execution_input = event.get("input") or {}
    params = execution_input.get("params", {}) if isinstance(execution_input, dict) else {}
    load_secrets(json.loads(os.environ.get("GLACIER_SECRETS", "[]")))
    run_task(TaskCall(task_id, run_id, os.environ.get("GLACIER_MODULE"), params))
    return {"task": task_id, "status": "succeeded"}
