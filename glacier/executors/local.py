"""`LocalExecutor`: this machine, threads by default, processes on request.

Scheduling is a ready queue over the graph core: a task is ready as soon as its inputs
exist. A run starts on the calling thread alone, with no lock per task; only when a task
has run for a millisecond while others are ready do helper threads start (a watcher
that keeps seeing tiny tasks finish looks less often, so a long task after many tiny
ones may wait up to 20 ms for help). So a run of tiny tasks pays no hand-off between
threads that share the GIL, and long tasks run side by side. Ready tasks start in the
pipeline's execution order (lowest list position first), so ``workers=1`` runs exactly
``get_execution_order()``: it runs on the calling thread alone, in that order, with no
ready queue or lock at all.
"""

from __future__ import annotations

import heapq
import os
import threading

from glacier.executors.base import Executor
from glacier.run.events import TaskStarted
from glacier.run.session import Outcome, Session, TaskCall, TaskPlan, direct_call, execute_task


class LocalExecutor(Executor):
    """Run the pipeline on this machine.

    Args:
        workers: task slots (default: the machine's CPUs). A task takes
            ``compute.local(workers=N)`` slots (N), ``compute.container(cpu=C)`` ceil(C)
            slots (at most all of them), anything else one.
        processes: run tasks in worker processes instead of threads (for tasks that hold
            the GIL). Tasks and values are sent with cloudpickle.

    >>> LocalExecutor(workers=2).slots
    2
    """

    name = "local"

    def __init__(self, workers: int | None = None, processes: bool = False) -> None:
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise ValueError(f"LocalExecutor(workers=) must be a positive int, got {workers!r}")
        if not isinstance(processes, bool):
            raise TypeError(f"LocalExecutor(processes=) must be True or False, got {processes!r}")
        self.workers = workers
        self.processes = processes

    @property
    def slots(self) -> int:
        return self.workers or os.cpu_count() or 1

    def __repr__(self) -> str:
        args = [f"workers={self.workers}"] if self.workers else []
        if self.processes:
            args.append("processes=True")
        return f"LocalExecutor({', '.join(args)})"

    def describe(self) -> str:
        kind = "processes" if self.processes else "threads"
        return f"local, {self.slots} {kind}"

    def check(self, session: Session) -> list[str]:
        if not self.processes:
            return []
        from glacier.executors.processes import unsendable_tasks

        return unsendable_tasks(session.plans)

    def execute(self, session: Session) -> None:
        if self.processes:
            from glacier.executors.processes import ProcessCalls

            calls = ProcessCalls()
            try:
                if self.slots == 1:
                    run_in_order(session, calls.call)
                else:
                    _Scheduler(session, self.slots, calls.call).run()
            except BaseException:
                calls.cancel()
                raise
            finally:
                calls.close()
        elif self.slots == 1:
            run_in_order(session, direct_call)
        else:
            _Scheduler(session, self.slots, direct_call).run()


def run_in_order(session: Session, call: TaskCall) -> None:
    """One slot: every task on the calling thread, in execution order.

    The execution order is topological, so when a task's turn comes everything it
    depends on has ended; a task skipped because of a failure is marked finished by
    `Session.complete` before its turn. A ``KeyboardInterrupt`` simply propagates.
    """
    plans = session.plans
    finished = session.finished
    started = session.task_started if session.wants(TaskStarted) else None
    complete = session.complete
    for position in session.order:
        if finished[position]:
            continue
        plan = plans[position]
        if started is not None:
            started(plan)
        complete(plan, _attempt(session, plan, call))


def _attempt(session: Session, plan: TaskPlan, call: TaskCall) -> Outcome:
    """Read the task's inputs and run it (with its retries); reading an input or the cache
    failing fails the task. A ``KeyboardInterrupt`` propagates."""
    try:
        kwargs, keys = session.inputs_for(plan)
        return execute_task(
            plan,
            kwargs,
            keys,
            session.context,
            call=call,
            on_retry=_Retries(session, plan) if plan.retries else None,
        )
    except KeyboardInterrupt:
        raise
    except Exception as error:  # noqa: BLE001 - reading an input or the cache failed: the task fails
        return Outcome("failed", attempts=1, error=error)


#: How long a task must run before another thread helps, and how long nothing may finish
#: before an idle helper takes a ready task (seconds); a thread that keeps seeing tasks
#: finish looks less and less often, up to `_MAX_PATIENCE`.
_STALL = 0.001
_MAX_PATIENCE = 0.02


class _Scheduler:
    """The ready queue, free slots and threads of one run.

    A run starts *inline*: the calling thread runs ready tasks one after another with no
    lock taken on its behalf but `boundary`, which it holds except while a task runs. A
    watcher thread sleeps beside it; when the same task has been running for `_STALL` and
    other tasks are ready, the watcher takes `boundary` (so the calling thread cannot
    touch the queue), turns the run *threaded* and starts helpers. From then on every
    thread shares the queue under `condition`. Tiny tasks therefore never pay for a lock
    or a hand-off between threads that share the GIL, and long ones run side by side.
    """

    def __init__(self, session: Session, slots: int, call: TaskCall) -> None:
        self.session = session
        self.call = call
        self.slots = slots
        self.condition = threading.Condition(threading.Lock())
        self.boundary = threading.Lock()
        self.ready: list[int] = []
        self.free = slots
        self.running = 0
        self.idle = 0
        self.completed = 0
        self.helpers: list[threading.Thread] = []
        self.max_helpers = slots - 1
        self.done = False
        self.stopping = False
        # Inline phase: the task on the calling thread, and how many it started so far.
        self.threaded = False
        self.inline_over = False
        self.current: TaskPlan | None = None
        self.inline_started = 0
        self.watcher_stop = threading.Event()

    def run(self) -> None:
        session = self.session
        for position in session.ready_at_start():
            heapq.heappush(self.ready, position)
        watcher = threading.Thread(target=self.watch, name="glacier-watcher", daemon=True)
        try:
            self.boundary.acquire()
            watcher.start()
            handover = self.run_inline()
            if handover is not None:
                plan, outcome = handover
                self.work(eager=True, plan=plan, outcome=outcome)
        except KeyboardInterrupt:
            with self.condition:
                self.stopping = True
                self.condition.notify_all()
            self.wait_for_helpers()
            raise
        finally:
            self.watcher_stop.set()
            with self.condition:
                self.done = True
                self.condition.notify_all()

    def run_inline(self) -> tuple[TaskPlan, Outcome] | None:
        """Run ready tasks on the calling thread until the run ends (``None``) or the
        watcher made it threaded: then the task that just ended, for `work` to complete.

        Called holding `boundary`; returns without it.
        """
        session = self.session
        plans = session.plans
        ready = self.ready
        boundary = self.boundary
        call = self.call
        complete = session.complete
        started = session.task_started if session.wants(TaskStarted) else None
        heappop, heappush = heapq.heappop, heapq.heappush
        while ready:
            plan = plans[heappop(ready)]
            if started is not None:
                started(plan)
            self.current = plan
            self.inline_started += 1
            boundary.release()
            try:
                outcome = _attempt(session, plan, call)
            finally:
                boundary.acquire()
            if self.threaded:
                boundary.release()
                return plan, outcome
            for position in complete(plan, outcome):
                heappush(ready, position)
        self.inline_over = True
        boundary.release()
        return None

    def watch(self) -> None:
        """Make the run threaded when a task on the calling thread proves long."""
        patience = _STALL
        stop = self.watcher_stop
        while True:
            seen = self.inline_started
            if stop.wait(patience):
                return
            if self.inline_started != seen or not self.ready:
                # Tasks keep finishing (they are tiny), or nothing could run beside this
                # one: look less often, up to `_MAX_PATIENCE`.
                patience = min(patience * 2, _MAX_PATIENCE)
                continue
            patience = _STALL
            if not self.boundary.acquire(blocking=False):
                continue  # between two tasks: the next look decides
            try:
                if self.inline_over:
                    return
                current = self.current
                if self.inline_started == seen and self.ready and current is not None:
                    self.go_threaded(current)
                    return
            finally:
                self.boundary.release()

    def go_threaded(self, current: TaskPlan) -> None:
        """Hand the queue to shared scheduling; ``current`` still runs on the calling thread."""
        with self.condition:
            self.threaded = True
            self.running = 1
            self.free = self.slots - current.slots
            for _ in range(min(self.max_helpers, len(self.ready))):
                self.start_helper()

    def wait_for_helpers(self) -> None:
        """Let running tasks finish (a second Ctrl-C stops waiting)."""
        for thread in self.helpers:
            while thread.is_alive():
                thread.join(0.1)

    def work(
        self,
        eager: bool = True,
        plan: TaskPlan | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        """Run ready tasks until the run ends (threaded: every thread shares the queue).

        The calling thread (``eager``) takes the next ready task as soon as it finished
        one, and so does a helper whose task was long. A waiting helper takes one only
        when nothing finished for a while (`_STALL`): the running tasks are long, so
        another thread helps; tiny tasks stay on one thread, which is faster than handing
        them between threads that share the GIL. ``plan`` and ``outcome``: a task that
        ended before this thread joined.
        """
        session = self.session
        plans = session.plans
        condition = self.condition
        ready = self.ready
        call = self.call
        started = session.task_started if session.wants(TaskStarted) else None
        # A helper starts because the running tasks are long: it takes a task at once.
        may_take = True
        patience = _STALL
        while True:
            with condition:
                if plan is not None:
                    assert outcome is not None
                    self.free += plan.slots
                    self.running -= 1
                    self.completed += 1
                    for position in session.complete(plan, outcome):
                        heapq.heappush(ready, position)
                    # A helper that got a tiny task (the calling thread was only held up)
                    # goes back to waiting, so tiny tasks never churn on two threads.
                    may_take = eager or outcome.duration >= _STALL
                plan = None
                while True:
                    if self.done or self.stopping:
                        return
                    if ready and (may_take or not self.running):
                        plan = self.pick(plans)
                        if plan is not None:
                            break
                    if not self.running and not ready:
                        self.done = True
                        condition.notify_all()
                        return
                    seen = self.completed
                    self.idle += 1
                    condition.wait(patience)
                    self.idle -= 1
                    may_take = self.completed == seen
                    # Tasks keep finishing (they are tiny): look less often, up to 20 ms.
                    patience = _STALL if may_take else min(patience * 2, _MAX_PATIENCE)
                self.running += 1
                self.free -= plan.slots
                if (
                    ready
                    and self.free > 0
                    and not self.idle
                    and len(self.helpers) < self.max_helpers
                ):
                    self.start_helper()
            if started is not None:
                started(plan)
            outcome = _attempt(session, plan, call)

    def pick(self, plans: list[TaskPlan]) -> TaskPlan | None:
        """The first ready task (in execution order) that fits in the free slots."""
        ready = self.ready
        first = plans[ready[0]]
        if first.slots <= self.free:
            heapq.heappop(ready)
            return first
        for position in sorted(ready):
            if plans[position].slots <= self.free:
                ready.remove(position)
                heapq.heapify(ready)
                return plans[position]
        return None

    def start_helper(self) -> None:
        thread = threading.Thread(target=self.helper, name="glacier-worker", daemon=True)
        self.helpers.append(thread)
        thread.start()

    def helper(self) -> None:
        try:
            self.work(eager=False)
        except BaseException as error:  # pragma: no cover - a bug in Glacier itself
            with self.condition:
                self.stopping = True
                self.condition.notify_all()
            raise error


class _Retries:
    """Reports a task's failed attempts as retry events."""

    __slots__ = ("plan", "session")

    def __init__(self, session: Session, plan: TaskPlan) -> None:
        self.session = session
        self.plan = plan

    def __call__(self, attempt: int, error: BaseException) -> None:
        self.session.task_retried(self.plan, attempt, error)


__all__ = ["LocalExecutor"]
