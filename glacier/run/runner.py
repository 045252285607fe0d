"""``pipeline.run()``: a session, its listeners and an executor, put together."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from glacier.run import capture
from glacier.run.events import Listener
from glacier.run.result import PipelineRunError, RunInterrupted, RunResult
from glacier.run.session import RunSetupError, Session

if TYPE_CHECKING:
    from glacier.executors.base import Executor
    from glacier.runtime.pipeline import Pipeline


def run_pipeline(
    pipeline: Pipeline,
    executor: Executor | None = None,
    *,
    inputs: Mapping[Any, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    cache: bool | str | None = None,
    keep: Iterable[Any] | str | None = None,
    raise_on_error: bool = True,
    progress: bool | None = None,
    records: bool = True,
    listeners: Sequence[Listener] = (),
    project_root: str | None = None,
    handoff_root: str | None = None,
) -> RunResult:
    """Run ``pipeline`` (see `Pipeline.run`).

    ``handoff_root`` (glacier.testing): a folder URI where each output without storage is
    written and read back before it is handed on.
    """
    from glacier.executors.base import Executor
    from glacier.executors.local import LocalExecutor

    if executor is None:
        executor = LocalExecutor()
    if not isinstance(executor, Executor):
        raise TypeError(
            f"executor= takes an executor such as LocalExecutor(), got {type(executor).__name__}"
        )
    session = Session(
        pipeline,
        executor=executor.describe(),
        slots=executor.slots,
        inputs=inputs,
        params=params,
        cache=cache,
        keep=keep,
        listeners=listeners,
        project_root=project_root,
        handoff_root=handoff_root,
    )
    problems = executor.check(session)
    if problems:
        raise RunSetupError(problems)
    session.check_inputs()
    if session.image_notice:
        print(
            "glacier: container images are not used on a local run; tasks run in this "
            "Python environment",
            file=capture.original_stderr(),
        )
    recorder = None
    display = None
    result_records: str | None = None
    if records:
        from glacier.run.records import RunRecorder

        recorder = RunRecorder(session.project_root)
        session.listeners.append(recorder)
    from glacier.run.progress import make_progress

    display = make_progress(progress, capture.original_stderr())
    if display is not None:
        session.listeners.append(display)
    # Objects alive now (the pipeline, its tasks, the user's data) are not scanned by the
    # cyclic garbage collector during the run: its full collections would otherwise cost
    # time proportional to the whole heap, again and again, in a run of many tiny tasks.
    gc.freeze()
    try:
        with capture.capturing():
            session.start()
            try:
                executor.execute(session)
            except KeyboardInterrupt:
                session.interrupted = True
            result = session.finish()
    finally:
        gc.unfreeze()
        if display is not None:
            display.close()
        if recorder is not None:
            recorder.close()
            result_records = recorder.path
    result.records = result_records
    if result.interrupted:
        raise RunInterrupted(result)
    if raise_on_error and not result.succeeded:
        error = PipelineRunError(result)
        first = result.failed[0].error if result.failed else None
        raise error from first
    return result
