"""The Step Functions definitions: the DAG as nested Parallel branches, with the local run's
failure semantics, split into nested state machines where one would be too large.

**Structure.** ASL has no DAG: a state waits for the state before it, and a Parallel state
for all its branches. The DAG becomes a *sequence* of steps; tasks that do not depend on
each other, directly or not, go into separate branches of a Parallel, recursively
(`structure`). A connected part is cut where its remainder falls apart into the most
independent parts: after its first tasks (those that depend on none of it) or before its
last ones. So a task waits for its inputs and, where the DAG is not series-parallel, for
some tasks that are not its inputs (a task that joins two chains waits for both whole
chains, and so do the tasks after it in its branch).

**Failure semantics.** A task first checks that every task it depends on succeeded (else
it is *skipped*), runs with ``ResultPath: null`` (no task output enters the state: data
goes through storage), catches any error (it is *failed*) and records its status, a few
bytes. Independent branches always finish; at the end the execution fails when any task
failed, naming the failed tasks.

**Limits.** A definition has at most 1 MB and an execution at most 25,000 history events.
Where the whole pipeline would pass either, parts of the sequence (or groups of a
Parallel's branches) become *nested state machines*, started with
``states:startExecution.sync:2``: each runs in an execution of its own, with its own
budget, gets the statuses so far as input and returns the statuses of its tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from glacier.compile.plan import Plan, PlannedTask
from glacier.targets.aws.names import STATE_NAME_LIMIT, shorten

#: Step Functions' hard limits we plan against.
DEFINITION_LIMIT = 1_048_576
HISTORY_LIMIT = 25_000
#: The share of each limit one machine is packed to: the sizes are measured before the
#: paths that cross into nested machines grow by a few characters.
BUDGET_SHARE = 0.85
#: History events, at most, of: a task (Choice, Task scheduled/started/submitted/ended,
#: its status Pass), each retry attempt, a Parallel's own events, a Pass or Choice, the
#: state that runs a nested machine, and an execution's start and end.
EVENTS_PER_TASK = 12
EVENTS_PER_RETRY = 4
EVENTS_PER_PARALLEL = 4
EVENTS_PER_STATE = 2
EVENTS_PER_NESTED = 8
EVENTS_PER_EXECUTION = 2

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


@dataclass(frozen=True)
class Step:
    """One task."""

    task: PlannedTask


@dataclass(frozen=True)
class Fork:
    """A Parallel state: branches that run side by side, each a sequence."""

    number: int
    branches: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Nested:
    """A sequence run as a nested state machine of its own."""

    number: int
    body: tuple[Node, ...]


Node: TypeAlias = Step | Fork | Nested


@dataclass(frozen=True)
class Machine:
    """One state machine of a deployment: number 0 is the one executions start."""

    number: int
    definition: dict[str, Any]
    #: The tasks its states run, and the machines they start.
    tasks: tuple[PlannedTask, ...]
    nested: tuple[int, ...]
    #: An upper estimate of one execution's history events.
    events: int


# -- structure ---------------------------------------------------------------------------


def structure(plan: Plan) -> tuple[Node, ...]:
    """The DAG as a sequence of tasks and Parallel states (see the module docstring)."""
    by_id = {task.id: task for task in plan.tasks}
    users: dict[str, set[str]] = {task.id: set() for task in plan.tasks}
    for task in plan.tasks:
        for dependency in task.dependencies:
            users[dependency].add(task.id)
    builder = _Structure(by_id, users)
    return tuple(builder.sequence(list(plan.order)))


class _Structure:
    def __init__(self, by_id: Mapping[str, PlannedTask], users: Mapping[str, set[str]]) -> None:
        self.by_id = by_id
        self.users = users
        self.forks = 0

    def neighbours(self, task_id: str) -> Iterable[str]:
        yield from self.by_id[task_id].dependencies
        yield from self.users[task_id]

    def parts(self, ids: Sequence[str]) -> list[list[str]]:
        """The weakly connected parts of ``ids``, each in the order of ``ids``."""
        members = set(ids)
        part_of: dict[str, int] = {}
        count = 0
        for start in ids:
            if start in part_of:
                continue
            part_of[start] = count
            stack = [start]
            while stack:
                for other in self.neighbours(stack.pop()):
                    if other in members and other not in part_of:
                        part_of[other] = count
                        stack.append(other)
            count += 1
        grouped: list[list[str]] = [[] for _ in range(count)]
        for task_id in ids:
            grouped[part_of[task_id]].append(task_id)
        return grouped

    def series_points(self, ids: Sequence[str]) -> list[str]:
        """Tasks of a connected ``ids`` (in DAG order) that every other one comes before or
        after: the sequence can pass through them."""
        at = {task_id: number for number, task_id in enumerate(ids)}
        before = [0] * len(ids)
        for number, task_id in enumerate(ids):
            for dependency in self.by_id[task_id].dependencies:
                if dependency in at:
                    before[number] |= before[at[dependency]] | 1 << at[dependency]
        after = [0] * len(ids)
        for number in range(len(ids) - 1, -1, -1):
            for user in self.users[ids[number]]:
                if user in at:
                    after[number] |= after[at[user]] | 1 << at[user]
        everything = (1 << len(ids)) - 1
        return [
            task_id
            for number, task_id in enumerate(ids)
            if before[number] | after[number] | 1 << number == everything
        ]

    def sequence(self, ids: list[str]) -> list[Node]:
        head: list[Node] = []
        tail: list[list[Node]] = []
        while ids:
            parts = self.parts(ids)
            if len(parts) > 1:
                self.forks += 1
                number = self.forks
                branches = tuple(tuple(self.sequence(part)) for part in parts)
                head.append(Fork(number, branches))
                break
            if len(ids) == 1:
                head.append(Step(self.by_id[ids[0]]))
                break
            points = self.series_points(ids)
            if points:
                # Each segment between two such tasks runs after the one and before the other.
                segment: list[str] = []
                for task_id in ids:
                    if task_id in points:
                        head.extend(self.sequence(segment) if segment else [])
                        head.append(Step(self.by_id[task_id]))
                        segment = []
                    else:
                        segment.append(task_id)
                head.extend(self.sequence(segment) if segment else [])
                break
            # No task to pass through: cut after the first tasks or before the last ones,
            # whichever leaves more independent parts.
            members = set(ids)
            first = {i for i in ids if not members.intersection(self.by_id[i].dependencies)}
            last = {i for i in ids if not members & self.users[i]}
            after_first = [i for i in ids if i not in first]
            before_last = [i for i in ids if i not in last]
            if len(self.parts(before_last)) > len(self.parts(after_first)):
                tail.append(self.sequence([i for i in ids if i in last]))
                ids = before_last
            else:
                head.extend(self.sequence([i for i in ids if i in first]))
                ids = after_first
        for nodes in reversed(tail):
            head.extend(nodes)
        return head


def tasks_of(nodes: Iterable[Node]) -> Iterable[PlannedTask]:
    for node in nodes:
        if isinstance(node, Step):
            yield node.task
        elif isinstance(node, Fork):
            for branch in node.branches:
                yield from tasks_of(branch)
        else:
            yield from tasks_of(node.body)


def _forks(nodes: Iterable[Node]) -> Iterable[Fork]:
    for node in nodes:
        if isinstance(node, Fork):
            yield node
            for branch in node.branches:
                yield from _forks(branch)
        elif isinstance(node, Nested):
            yield from _forks(node.body)


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


def key(node: Node, index: Mapping[str, int]) -> str:
    """Where a node's statuses are kept in the state: ``t<task>``, ``p<fork>``, ``n<nested>``."""
    if isinstance(node, Step):
        return f"t{index[node.task.id]}"
    if isinstance(node, Fork):
        return f"p{node.number}"
    return f"n{node.number}"


def _single(branch: Sequence[Node]) -> bool:
    """A branch of one task ends with that task's status as its whole output."""
    return len(branch) == 1 and isinstance(branch[0], Step)


# -- the definitions ---------------------------------------------------------------------


def machines(
    plan: Plan,
    invocation: Callable[[PlannedTask], TaskInvocation],
    shared: Mapping[str, Any],
    measure: Callable[[Mapping[str, Any]], int],
    nested: Callable[[int], TaskInvocation],
    limits: tuple[int, int] = (DEFINITION_LIMIT, HISTORY_LIMIT),
) -> list[Machine]:
    """The state machines of ``plan`` (the first one is started), within AWS's limits.

    ``shared`` is computed once by the first state and kept at ``$.shared``: parameters
    every task passes alike (the payload, the network), so a task state only names them.
    ``measure`` gives a definition's size once deployed (Terraform references filled in);
    ``nested`` how a state starts nested machine number N; ``limits`` (bytes, events) are
    AWS's unless a test wants nesting sooner.
    """
    return _Definitions(plan, invocation, shared, measure, nested, limits).build()


def estimated_history_events(plan: Plan) -> int:
    """An upper estimate of one execution's history events, retries included, as if the
    pipeline ran in one state machine (nested machines share it out)."""
    retries = sum(int(task.options.get("retries", 0) or 0) for task in plan.tasks)
    return 10 + EVENTS_PER_TASK * len(plan.tasks) + EVENTS_PER_RETRY * retries


@dataclass
class _Cost:
    size: int = 0
    events: int = 0

    def __add__(self, other: _Cost) -> _Cost:
        return _Cost(self.size + other.size, self.events + other.events)

    def fits(self, budget: _Cost) -> bool:
        return self.size <= budget.size and self.events <= budget.events


@dataclass
class _Definitions:
    plan: Plan
    invocation: Callable[[PlannedTask], TaskInvocation]
    shared: Mapping[str, Any]
    measure: Callable[[Mapping[str, Any]], int]
    nested_invocation: Callable[[int], TaskInvocation]
    limits: tuple[int, int]
    names: dict[str, str] = field(init=False)
    index: dict[str, int] = field(init=False)
    #: Per task, from its outermost sequence inwards: (sequence, path fragment there).
    located: dict[str, list[tuple[str, str]]] = field(init=False, default_factory=dict)
    costs: dict[int, tuple[Node, _Cost]] = field(init=False, default_factory=dict)
    nested_count: int = field(init=False, default=0)
    fork_count: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.names = state_names(self.plan)
        self.index = {task_id: number for number, task_id in enumerate(self.plan.order)}
        self.budget = _Cost()

    def build(self) -> list[Machine]:
        size_limit, events_limit = self.limits
        share = BUDGET_SHARE
        while True:
            machines = self.attempt(share)
            if all(
                self.measure(m.definition) <= size_limit and m.events <= events_limit
                for m in machines
            ):
                return machines
            # Paths into nested machines grew more than the margin allowed: pack tighter.
            share *= 0.8
            if share < 0.2:
                raise RuntimeError(
                    f"pipeline {self.plan.pipeline}: no split into state machines within "
                    f"{size_limit:,} bytes and {events_limit:,} history events each"
                )

    def attempt(self, share: float) -> list[Machine]:
        size, events = self.limits
        self.budget = _Cost(int(size * share), int(events * share))
        self.costs, self.located, self.nested_count = {}, {}, 0
        nodes = structure(self.plan)
        self.fork_count = sum(1 for _ in _forks(nodes))
        self.locate(nodes, "root", [])
        root = self.root_cost()
        nodes = self.fit(nodes, self.budget + _Cost(-root.size, -root.events))
        self.located = {}
        self.locate(nodes, "root", [])
        found: list[Machine] = []
        self.collect(0, nodes, found)
        return sorted(found, key=lambda machine: machine.number)

    # -- where statuses are ----------------------------------------------------------

    def locate(self, nodes: Sequence[Node], frame: str, outer: list[tuple[str, str]]) -> None:
        for node in nodes:
            here = f".{key(node, self.index)}"
            if isinstance(node, Step):
                self.located[node.task.id] = [*outer, (frame, here)]
            elif isinstance(node, Fork):
                for number, branch in enumerate(node.branches):
                    inner = f"{frame}/{node.number}.{number}"
                    if _single(branch):
                        step = branch[0]
                        assert isinstance(step, Step)
                        self.located[step.task.id] = [*outer, (frame, f"{here}[{number}]")]
                    else:
                        self.locate(branch, inner, [*outer, (frame, f"{here}[{number}]")])
            else:
                self.locate(node.body, f"n{node.number}", [*outer, (frame, here)])

    def path(self, dependency: str, user: str) -> str:
        """The JSONPath of ``dependency``'s status in the state ``user`` checks it in."""
        there, here = self.located[dependency], self.located[user]
        common = 0
        while (
            common < min(len(there), len(here)) - 1 and there[common + 1][0] == here[common + 1][0]
        ):
            common += 1
        return "$" + "".join(fragment for _, fragment in there[common:]) + ".status"

    # -- states ----------------------------------------------------------------------

    def sequence(self, nodes: Sequence[Node], states: dict[str, Any], then: str) -> str:
        """Add the states of ``nodes`` in order, the last going to ``then``; their start."""
        starts = [self.first(node) for node in nodes]
        for number, node in enumerate(nodes):
            exit_ = starts[number + 1] if number + 1 < len(nodes) else then
            self.node(node, states, exit_)
        return starts[0] if starts else then

    def first(self, node: Node) -> str:
        if isinstance(node, Step):
            name = self.names[node.task.id]
            return f"Check {name}" if node.task.dependencies else f"Run {name}"
        if isinstance(node, Fork):
            return f"Parallel {node.number}"
        return f"Part {node.number}"

    def node(self, node: Node, states: dict[str, Any], then: str | None) -> None:
        """Add one node's states; ``then`` None: a branch of one task, ending with its status."""
        if isinstance(node, Step):
            self.step(node.task, states, then)
        elif isinstance(node, Fork):
            assert then is not None
            states[f"Parallel {node.number}"] = {
                "Type": "Parallel",
                "Branches": [self.branch(node, n, b) for n, b in enumerate(node.branches)],
                "ResultPath": f"$.{key(node, self.index)}",
                "Next": then,
            }
        else:
            assert then is not None
            self.start_nested(node, states, then)

    def branch(self, fork: Fork, number: int, nodes: Sequence[Node]) -> dict[str, Any]:
        states: dict[str, Any] = {}
        if _single(nodes):
            self.node(nodes[0], states, None)
            return {"StartAt": self.first(nodes[0]), "States": states}
        collect = f"Statuses {fork.number}.{number}"
        start = self.sequence(nodes, states, collect)
        states[collect] = self.statuses(nodes)
        return {"StartAt": start, "States": states}

    def statuses(self, nodes: Sequence[Node]) -> dict[str, Any]:
        """A Pass that outputs only the statuses ``nodes`` added (not those inherited)."""
        keys = [key(node, self.index) for node in nodes]
        return {"Type": "Pass", "Parameters": {f"{k}.$": f"$.{k}" for k in keys}, "End": True}

    def step(self, task: PlannedTask, states: dict[str, Any], then: str | None) -> None:
        name = self.names[task.id]
        run, failed, skipped, done = (f"{v} {name}" for v in ("Run", "Failed", "Skip", "Done"))
        at = f"$.{key(Step(task), self.index)}"
        invocation = self.invocation(task)
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
        }
        if retry:
            task_state["Retry"] = retry
        failure: dict[str, Any] = {
            "Type": "Pass",
            "Parameters": {"status": "failed", "failed_task": task.name},
        }
        skip: dict[str, Any] = {"Type": "Pass", "Result": {"status": "skipped"}}
        if then is None:
            # Alone in its branch: the branch's output is the task's status.
            task_state["OutputPath"] = "$.shared.ok"
            task_state["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": failed}]
            task_state["End"] = True
            failure["Parameters"]["error.$"] = "$.Error"
            failure["End"] = skip["End"] = True
        else:
            task_state["Catch"] = [
                {"ErrorEquals": ["States.ALL"], "ResultPath": at, "Next": failed}
            ]
            task_state["Next"] = done
            failure["Parameters"]["error.$"] = f"{at}.Error"
            for state in (failure, skip):
                state["ResultPath"] = at
                state["Next"] = then
        if task.dependencies:
            conditions = [
                {"Variable": self.path(dependency, task.id), "StringEquals": "succeeded"}
                for dependency in task.dependencies
            ]
            rule = conditions[0] if len(conditions) == 1 else {"And": conditions}
            states[f"Check {name}"] = {
                "Type": "Choice",
                "Choices": [{**rule, "Next": run}],
                "Default": skipped,
            }
            states[skipped] = skip
        states[run] = task_state
        if then is not None:
            states[done] = {
                "Type": "Pass",
                "Result": {"status": "succeeded"},
                "ResultPath": at,
                "Next": then,
            }
        states[failed] = failure

    def start_nested(self, node: Nested, states: dict[str, Any], then: str) -> None:
        at = f"$.{key(node, self.index)}"
        keys = [key(inner, self.index) for inner in node.body]
        failed = f"Part {node.number} failed"
        invocation = self.nested_invocation(node.number)
        states[f"Part {node.number}"] = {
            "Type": "Task",
            "Comment": f"Runs {sum(1 for _ in tasks_of(node.body))} tasks in a machine of "
            "their own; it gets the statuses so far and returns those of its tasks",
            "Resource": invocation.resource,
            "Parameters": {**invocation.parameters, "Input.$": "$"},
            "ResultSelector": {f"{k}.$": f"$.Output.{k}" for k in keys},
            "ResultPath": at,
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": at, "Next": failed}],
            "Next": then,
        }
        # The nested execution itself failed (stopped, timed out): each of its tasks counts
        # as failed, so their dependents are skipped; the cause names the machine.
        statuses = self.skeleton(node.body)
        statuses["failure"] = {
            "failed_task": f"nested part {node.number} (its tasks did not all report)",
            "error.$": f"{at}.Error",
        }
        states[failed] = {"Type": "Pass", "Parameters": statuses, "ResultPath": at, "Next": then}

    def skeleton(self, nodes: Sequence[Node]) -> dict[str, Any]:
        """The statuses ``nodes`` would return, every task failed."""
        result: dict[str, Any] = {}
        for node in nodes:
            if isinstance(node, Step):
                result[key(node, self.index)] = {"status": "failed"}
            elif isinstance(node, Fork):
                result[key(node, self.index)] = [
                    {"status": "failed"} if _single(branch) else self.skeleton(branch)
                    for branch in node.branches
                ]
            else:
                result[key(node, self.index)] = self.skeleton(node.body)
        return result

    def root(self, nodes: Sequence[Node]) -> dict[str, Any]:
        states: dict[str, Any] = {
            "Start": {
                "Type": "Pass",
                "Comment": "The state holds only task statuses; data goes through S3",
                "Parameters": {
                    "run_id.$": "$$.Execution.Name",
                    "shared": {**self.shared, "ok": {"status": "succeeded"}},
                },
            }
        }
        states["Start"]["Next"] = self.sequence(nodes, states, "Collect failures")
        states["Collect failures"] = {
            "Type": "Pass",
            # Only a failed task's status has `failed_task`: a deep scan lists exactly them.
            "Parameters": {"tasks.$": "$..failed_task"},
            "ResultPath": "$.report",
            "Next": "Any failed",
        }
        states["Any failed"] = {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.report.tasks[0]", "IsPresent": True, "Next": "Name failures"}
            ],
            "Default": "Succeeded",
        }
        states["Name failures"] = {
            "Type": "Pass",
            "Parameters": {
                "cause.$": "States.Format('These tasks failed (the tasks that depend on them "
                "were skipped): {}', States.JsonToString($.report.tasks))"
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
            "Comment": f"Glacier pipeline {self.plan.pipeline}: {len(self.plan.tasks)} tasks",
            "StartAt": "Start",
            "States": states,
        }

    def nested(self, node: Nested) -> dict[str, Any]:
        states: dict[str, Any] = {}
        start = self.sequence(node.body, states, "Statuses")
        states["Statuses"] = self.statuses(node.body)
        count = sum(1 for _ in tasks_of(node.body))
        return {
            "Comment": f"Glacier pipeline {self.plan.pipeline}: part {node.number}, {count} "
            "tasks, started by the pipeline's state machine with the statuses so far",
            "StartAt": start,
            "States": states,
        }

    # -- costs and nesting -----------------------------------------------------------

    def root_cost(self) -> _Cost:
        document = self.root([])
        return _Cost(self.measure(document), 6 * EVENTS_PER_STATE + EVENTS_PER_EXECUTION)

    def cost(self, node: Node) -> _Cost:
        remembered = self.costs.get(id(node))
        if remembered is not None:
            return remembered[1]
        states: dict[str, Any] = {}
        self.node(node, states, "Next")
        # A definition's size is that of its states, plus a comma and quotes here and there.
        size = self.measure(states)
        cost = _Cost(size, self.events(node))
        # Keyed by identity; holding the node keeps its id from being reused.
        self.costs[id(node)] = (node, cost)
        return cost

    def events(self, node: Node) -> int:
        if isinstance(node, Step):
            retries = int(node.task.options.get("retries", 0) or 0)
            return EVENTS_PER_TASK + EVENTS_PER_RETRY * retries
        if isinstance(node, Fork):
            inner = sum(
                sum(self.events(n) for n in branch) + (0 if _single(branch) else EVENTS_PER_STATE)
                for branch in node.branches
            )
            return EVENTS_PER_PARALLEL + inner
        return EVENTS_PER_NESTED

    def total(self, nodes: Iterable[Node]) -> _Cost:
        cost = _Cost()
        for node in nodes:
            cost = cost + self.cost(node)
        return cost

    def fit(self, nodes: tuple[Node, ...], budget: _Cost) -> tuple[Node, ...]:
        """``nodes`` with parts moved into nested machines until they fit ``budget``."""
        if self.total(nodes).fits(budget):
            return nodes
        # What a nested machine holds besides its nodes: a comment and its final Pass.
        own = self.measure(self.nested(Nested(0, ())))
        inner = self.budget + _Cost(-own, -(EVENTS_PER_EXECUTION + EVENTS_PER_STATE))
        fitted = [
            self.fit_fork(n, inner) if isinstance(n, Fork) and not self.cost(n).fits(inner) else n
            for n in nodes
        ]
        if self.total(fitted).fits(budget):
            return tuple(fitted)
        return tuple(
            run[0] if len(run) == 1 and isinstance(run[0], Nested) else self.nest(tuple(run))
            for run in self.pack(fitted, inner)
        )

    def fit_fork(self, node: Fork, budget: _Cost) -> Fork:
        """A Parallel too large for one machine: its branches, in groups, nested."""
        branches = [
            branch if self.total(branch).fits(budget) else (self.nest(self.fit(branch, budget)),)
            for branch in node.branches
        ]
        groups = self.pack_branches(branches, budget)
        new: list[tuple[Node, ...]] = []
        for group in groups:
            if len(group) == 1 and len(group[0]) == 1 and isinstance(group[0][0], Nested):
                new.append(group[0])
            elif len(group) == 1:
                new.append((self.nest(group[0]),))
            else:
                self.fork_count += 1
                inner = Fork(self.fork_count, tuple(group))
                new.append((self.nest((inner,)),))
        fork = Fork(node.number, tuple(new))
        if not self.cost(fork).fits(budget) and len(self.pack_branches(new, budget)) < len(new):
            # So many nested parts that starting them passes the budget: group them again.
            return self.fit_fork(fork, budget)
        return fork

    def pack(self, nodes: Sequence[Node], budget: _Cost) -> list[list[Node]]:
        runs: list[list[Node]] = [[]]
        used = _Cost()
        for node in nodes:
            cost = self.cost(node)
            if runs[-1] and not (used + cost).fits(budget):
                runs.append([])
                used = _Cost()
            runs[-1].append(node)
            used = used + cost
        return runs

    def pack_branches(
        self, branches: Sequence[tuple[Node, ...]], budget: _Cost
    ) -> list[list[tuple[Node, ...]]]:
        groups: list[list[tuple[Node, ...]]] = [[]]
        # The Parallel state itself, and per branch its brackets and final Pass.
        parallel = _Cost(self.measure({"Type": "Parallel", "ResultPath": "$.p0"}), 0)
        parallel = parallel + _Cost(40, EVENTS_PER_PARALLEL)
        used = parallel
        for branch in branches:
            own = 40 if _single(branch) else self.measure(self.statuses(branch)) + 60
            cost = self.total(branch) + _Cost(own, EVENTS_PER_STATE)
            if groups[-1] and not (used + cost).fits(budget):
                groups.append([])
                used = parallel
            groups[-1].append(branch)
            used = used + cost
        return groups

    def nest(self, body: tuple[Node, ...]) -> Nested:
        self.nested_count += 1
        return Nested(self.nested_count, body)

    # -- the machines ----------------------------------------------------------------

    def collect(self, number: int, nodes: Sequence[Node], found: list[Machine]) -> None:
        if number == 0:
            definition = self.root(nodes)
        else:
            definition = self.nested(Nested(number, tuple(nodes)))
        direct: list[PlannedTask] = []
        starts: list[int] = []

        def walk(inner: Iterable[Node]) -> None:
            for node in inner:
                if isinstance(node, Step):
                    direct.append(node.task)
                elif isinstance(node, Fork):
                    for branch in node.branches:
                        walk(branch)
                else:
                    starts.append(node.number)
                    self.collect(node.number, node.body, found)

        walk(nodes)
        own = self.root_cost().events if number == 0 else EVENTS_PER_EXECUTION + EVENTS_PER_STATE
        events = own + self.total(nodes).events
        found.append(Machine(number, definition, tuple(direct), tuple(starts), events))
