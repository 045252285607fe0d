"""The state machine's structure and semantics on generated DAGs, nested machines included.

Plans are built directly (no project on disk) and the definitions walked by the ASL
interpreter in `tests.targets.asl`, so hundreds of DAG shapes run in seconds; the compiled,
end-to-end side is in test_aws_terraform.py and test_cloud_e2e.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier.compile.plan import Plan, PlannedTask
from glacier.targets.aws import state_machine
from glacier.targets.aws.state_machine import Fork, Node, Step, TaskInvocation
from tests.targets.asl import Interpreter, TaskFailed

NESTED_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:part-{}"


def plan_of(dependencies: Mapping[int, list[int]], count: int) -> Plan:
    tasks = tuple(
        PlannedTask(
            id=f"flow:t{i}",
            name=f"t{i}",
            module="flow",
            source="flow.py",
            import_root=".",
            inputs=(),
            output=f"d{i}",
            compute={"kind": "serverless"},
            dependencies=tuple(f"flow:t{d}" for d in dependencies.get(i, [])),
        )
        for i in range(count)
    )
    return Plan("p", tasks, tuple(t.id for t in tasks), (), {}, None, True)


def invocation(task: PlannedTask) -> TaskInvocation:
    return TaskInvocation(
        "arn:aws:states:::lambda:invoke",
        {"FunctionName": task.name, "Payload.$": "$.shared.payload"},
        True,
    )


def nested(number: int) -> TaskInvocation:
    return TaskInvocation(
        "arn:aws:states:::states:startExecution.sync:2",
        {"StateMachineArn": NESTED_ARN.format(number)},
        False,
    )


def size(document: Mapping[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))


def build(plan: Plan, limits: tuple[int, int] | None = None) -> list[state_machine.Machine]:
    shared = {"payload": {"run_id.$": "$$.Execution.Name"}}
    if limits is None:
        return state_machine.machines(plan, invocation, shared, size, nested)
    return state_machine.machines(plan, invocation, shared, size, nested, limits)


def walk(
    machines: list[state_machine.Machine], failing: set[str]
) -> tuple[Any, list[str], dict[str, str]]:
    """Run the root machine; returns the execution, the tasks in the order they ran, and
    each task's status."""
    ran: list[str] = []

    def invoke(state: str, resource: str, parameters: dict[str, Any]) -> None:
        ran.append(parameters["FunctionName"])
        if parameters["FunctionName"] in failing:
            raise TaskFailed("States.TaskFailed", "boom")

    definitions = {NESTED_ARN.format(m.number): m.definition for m in machines if m.number}
    execution = Interpreter(machines[0].definition, invoke, "run-1", {}, definitions).run()
    found: dict[str, str] = {}
    for name in execution.visited:
        verb, _, task = name.partition(" ")
        if verb == "Run":
            found.setdefault(task, "succeeded")
        elif verb in ("Failed", "Skip"):
            found[task] = "failed" if verb == "Failed" else "skipped"
    return execution, ran, found


def expected(plan: Plan, failing: set[str]) -> dict[str, str]:
    """The local run's semantics: a failed task's dependents, transitively, are skipped."""
    status: dict[str, str] = {}
    for task in plan.tasks:
        if any(status[d.split(":")[1]] != "succeeded" for d in task.dependencies):
            status[task.name] = "skipped"
        else:
            status[task.name] = "failed" if task.name in failing else "succeeded"
    return status


@st.composite
def dags(draw: st.DrawFn) -> tuple[int, dict[int, list[int]], set[str]]:
    count = draw(st.integers(1, 30))
    dependencies = {
        i: sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) for i in range(1, count)
    }
    failing = {f"t{i}" for i in draw(st.sets(st.integers(0, count - 1), max_size=3))}
    return count, dependencies, failing


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags(), st.sampled_from([None, (8_000, 200), (5_000, 120)]))
def test_every_dag_keeps_the_local_runs_semantics(
    dag: tuple[int, dict[int, list[int]], set[str]], limits: tuple[int, int] | None
) -> None:
    count, dependencies, failing = dag
    plan = plan_of(dependencies, count)
    machines = build(plan, limits)
    execution, ran, found = walk(machines, failing)
    assert found == expected(plan, failing)
    # A task runs only after every task it depends on ran.
    for task in plan.tasks:
        if task.name in ran:
            position = ran.index(task.name)
            assert all(ran.index(d.split(":")[1]) < position for d in task.dependencies)
    assert len(ran) == len(set(ran))
    failed = sorted(name for name, status in found.items() if status == "failed")
    if failed:
        assert execution.status == "FAILED"
        assert execution.error == state_machine.FAILED_ERROR
        named = json.loads(execution.cause.split(": ", 1)[1])
        assert sorted(named) == failed
    else:
        assert execution.status == "SUCCEEDED"
    # Every machine stays within the (lowered) limits it was packed for.
    if limits is not None:
        assert all(size(m.definition) <= limits[0] for m in machines)


def waits(nodes: tuple[Node, ...]) -> dict[str, set[str]]:
    """Per task, every task that must have finished before the structure starts it."""
    found: dict[str, set[str]] = {}

    def visit(inner: tuple[Node, ...], before: set[str]) -> set[str]:
        done = set(before)
        for node in inner:
            if isinstance(node, Step):
                found[node.task.name] = set(done)
                done.add(node.task.name)
            elif isinstance(node, Fork):
                finished: set[str] = set()
                for branch in node.branches:
                    finished |= visit(branch, done)
                done |= finished
            else:
                done |= visit(node.body, done)
        return done

    visit(nodes, set())
    return found


def ancestors(plan: Plan) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for task in plan.tasks:
        found[task.name] = set()
        for dependency in task.dependencies:
            name = dependency.split(":")[1]
            found[task.name] |= {name, *found[name]}
    return found


def test_a_task_waits_only_for_its_inputs_in_series_parallel_dags() -> None:
    # Two chains that join, a fork after the join, and a chain on its own.
    dependencies = {1: [0], 3: [2], 4: [1, 3], 5: [4], 6: [4], 8: [7], 9: [8]}
    plan = plan_of(dependencies, 10)
    assert waits(state_machine.structure(plan)) == ancestors(plan)


def test_where_the_dag_is_not_series_parallel_the_extra_waits_are_few() -> None:
    # t2 needs t0 and t1, t3 needs t1 only: t3 may wait for t0 (the "N" shape).
    plan = plan_of({2: [0, 1], 3: [1]}, 4)
    extra = {
        name: waited - ancestors(plan)[name]
        for name, waited in waits(state_machine.structure(plan)).items()
    }
    assert sum(len(e) for e in extra.values()) <= 1


def test_levels_no_longer_hold_back_independent_chains() -> None:
    # A slow chain and a fast chain: the fast chain's second task waits only for its first.
    plan = plan_of({1: [0], 2: [1], 4: [3]}, 5)
    assert waits(state_machine.structure(plan))["t4"] == {"t3"}


def test_nesting_is_deterministic_and_each_machine_fits() -> None:
    dependencies = {i: sorted({i - 10, i // 3}) for i in range(10, 300)}
    plan = plan_of(dependencies, 300)
    first = build(plan, (60_000, 1_500))
    second = build(plan, (60_000, 1_500))
    assert [m.definition for m in first] == [m.definition for m in second]
    assert len(first) > 2
    assert all(size(m.definition) <= 60_000 and m.events <= 1_500 for m in first)
    # Each task runs in exactly one machine; the root starts the nested ones.
    tasks = [t.name for m in first for t in m.tasks]
    assert sorted(tasks) == sorted(t.name for t in plan.tasks)
    started = [n for m in first for n in m.nested]
    assert sorted(started) == [m.number for m in first if m.number]
