"""The Step Functions definition: the DAG in levels, with the local run's failure semantics.

Each level is a Parallel state with one branch per task. A branch first checks that every
task it depends on succeeded (else the task is *skipped*), runs the task with
``ResultPath: null`` (no task output enters the state machine: data goes through storage),
catches any error (the task is *failed*), and ends with the task's status. The statuses,
a few bytes per task, are the only state data. After the last level the execution fails
when any task failed, naming the failed tasks; every independent branch has finished by
then. A task starts when its level starts, so a slow task delays the next level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from glacier.compile.plan import Plan, PlannedTask
from glacier.targets.aws.names import STATE_NAME_LIMIT, shorten

#: Step Functions' hard limits we plan against.
DEFINITION_LIMIT = 1_048_576
HISTORY_LIMIT = 25_000
#: History events one task adds (Choice, Task with scheduled/started/submitted/succeeded,
#: Pass, its share of the Parallel state), and each retry attempt.
EVENTS_PER_TASK = 12
EVENTS_PER_RETRY = 4

#: Errors of the Lambda service itself, retried as AWS recommends.
LAMBDA_SERVICE_ERRORS = (
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ServiceException",
    "Lambda.TooManyRequestsException",
)

FAILED_ERROR = "Glacier.TasksFailed"


@dataclass(frozen=True)
class TaskInvocation:
    """How the state machine starts one task: a Task state's ``Resource`` and ``Parameters``."""

    resource: str
    parameters: Mapping[str, Any]
    #: Whether Lambda service errors should be retried.
    is_lambda: bool


def levels(plan: Plan) -> list[list[PlannedTask]]:
    """Tasks grouped by depth (0: no dependencies), each level in execution order."""
    depth: dict[str, int] = {}
    by_id = {task.id: task for task in plan.tasks}
    grouped: dict[int, list[PlannedTask]] = {}
    for task_id in plan.order:
        task = by_id[task_id]
        depth[task_id] = 1 + max((depth[d] for d in task.dependencies), default=-1)
        grouped.setdefault(depth[task_id], []).append(task)
    return [grouped[level] for level in sorted(grouped)]


def state_names(plan: Plan) -> dict[str, str]:
    """A unique, short-enough base name per task (its name, hashed where names repeat)."""
    counts: dict[str, int] = {}
    for task in plan.tasks:
        counts[task.name] = counts.get(task.name, 0) + 1
    names: dict[str, str] = {}
    for task in plan.tasks:
        # The longest prefix is "Failed " (7 characters).
        base = task.name if counts[task.name] == 1 else f"{task.name} {task.id}"
        names[task.id] = shorten(base, STATE_NAME_LIMIT - 7)
    return names


def estimated_history_events(plan: Plan) -> int:
    """An upper estimate of one execution's history events, retries included."""
    retries = sum(int(task.options.get("retries", 0) or 0) for task in plan.tasks)
    return 10 + EVENTS_PER_TASK * len(plan.tasks) + EVENTS_PER_RETRY * retries


def definition(
    plan: Plan,
    invocation: Callable[[PlannedTask], TaskInvocation],
    shared: Mapping[str, Any],
) -> dict[str, Any]:
    """The Amazon States Language definition of ``plan`` as a JSON-ready dict.

    ``shared`` is computed once by the first state and kept at ``$.shared``: parameters
    every task passes alike (the payload, the network), so a task state only names them.
    """
    names = state_names(plan)
    grouped = levels(plan)
    where: dict[str, tuple[int, int]] = {}
    states: dict[str, Any] = {
        "Start": {
            "Type": "Pass",
            "Comment": "The state holds only task statuses, by level; data goes through S3",
            "Parameters": {
                "run_id.$": "$$.Execution.Name",
                "shared": {**shared, "ok": {"status": "succeeded"}},
            },
            "Next": "Level 1",
        }
    }
    for number, tasks in enumerate(grouped):
        branches = []
        for position, task in enumerate(tasks):
            where[task.id] = (number, position)
            branches.append(_branch(task, names[task.id], where, invocation(task)))
        states[f"Level {number + 1}"] = {
            "Type": "Parallel",
            "Branches": branches,
            "ResultPath": f"$.L{number}",
            "Next": f"Level {number + 2}" if number + 1 < len(grouped) else "Collect failures",
        }
    states["Collect failures"] = {
        "Type": "Pass",
        # Only a failed task's status has `failed_task`: a deep scan lists exactly them.
        "Parameters": {"tasks.$": "$..failed_task"},
        "ResultPath": "$.report",
        "Next": "Any failed",
    }
    states["Any failed"] = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.report.tasks[0]", "IsPresent": True, "Next": "Name failures"}],
        "Default": "Succeeded",
    }
    states["Name failures"] = {
        "Type": "Pass",
        "Parameters": {
            "cause.$": "States.Format('These tasks failed (the tasks that depend on them were "
            "skipped): {}', States.JsonToString($.report.tasks))"
        },
        "ResultPath": "$.report",
        "Next": "Pipeline failed",
    }
    states["Pipeline failed"] = {
        "Type": "Fail",
        "Error": FAILED_ERROR,
        "CausePath": "$.report.cause",
    }
    states["Succeeded"] = {"Type": "Succeed"}
    return {
        "Comment": f"Glacier pipeline {plan.pipeline}: {len(plan.tasks)} tasks",
        "StartAt": "Start",
        "States": states,
    }


def _branch(
    task: PlannedTask,
    name: str,
    where: Mapping[str, tuple[int, int]],
    invocation: TaskInvocation,
) -> dict[str, Any]:
    run, failed, skipped = (f"{verb} {name}" for verb in ("Run", "Failed", "Skip"))
    retry: list[dict[str, Any]] = []
    if invocation.is_lambda:
        retry.append({"ErrorEquals": list(LAMBDA_SERVICE_ERRORS), "BackoffRate": 2.0})
    retries = int(task.options.get("retries", 0) or 0)
    if retries > 0:
        retry.append(
            {
                "ErrorEquals": ["States.ALL"],
                "IntervalSeconds": 5,
                "MaxAttempts": retries,
                "BackoffRate": 2.0,
            }
        )
    task_state: dict[str, Any] = {
        "Type": "Task",
        "Resource": invocation.resource,
        "Parameters": dict(invocation.parameters),
        "ResultPath": None,
        # The branch's output is the task's status, `{"status": "succeeded"}`.
        "OutputPath": "$.shared.ok",
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": failed}],
        "End": True,
    }
    if retry:
        task_state["Retry"] = retry
    states: dict[str, Any] = {}
    start = run
    if task.dependencies:
        start = f"Check {name}"
        conditions = [
            {
                "Variable": f"$.L{where[dep][0]}[{where[dep][1]}].status",
                "StringEquals": "succeeded",
            }
            for dep in task.dependencies
        ]
        rule = conditions[0] if len(conditions) == 1 else {"And": conditions}
        states[start] = {
            "Type": "Choice",
            "Choices": [{**rule, "Next": run}],
            "Default": skipped,
        }
        states[skipped] = {"Type": "Pass", "Result": {"status": "skipped"}, "End": True}
    states[run] = task_state
    states[failed] = {
        "Type": "Pass",
        "Parameters": {
            "status": "failed",
            "failed_task": task.name,
            "error.$": "$.Error",
        },
        "End": True,
    }
    return {"StartAt": start, "States": states}
