"""A worker process of ``LocalExecutor(processes=True)``: runs task calls sent over stdin.

Not an entry point for users. Replies go to the original standard output; file
descriptor 1 is pointed at standard error so nothing else can corrupt the replies.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import traceback
from typing import Any


def main() -> int:
    # Ctrl-C reaches the whole process group; the parent decides and cancels workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), line_buffering=True)
    requests = sys.stdin.buffer

    import cloudpickle  # type: ignore[import-untyped]

    from glacier.executors.processes import read_message, write_message
    from glacier.runtime.importing import importing_user_code

    while True:
        message = read_message(requests)
        if message is None:
            return 0
        with importing_user_code():
            request = cloudpickle.loads(message)
        if request[0] == "path":
            sys.path[:] = [p for p in request[1] if p] + [
                p for p in sys.path if p not in request[1]
            ]
            continue
        _, fn, kwargs = request
        write_message(replies, _call(cloudpickle, fn, kwargs))


def _call(pickler: Any, fn: Any, kwargs: dict[str, Any]) -> bytes:
    captured = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = captured
    try:
        value = fn(**kwargs)
        reply: tuple[Any, ...] = ("ok", value, "", "")
    except Exception as error:  # noqa: BLE001 - user code and libraries raise anything
        reply = ("error", error, "", traceback.format_exc())
    finally:
        sys.stdout, sys.stderr = saved
    reply = (reply[0], reply[1], captured.getvalue(), reply[3])
    try:
        return bytes(pickler.dumps(reply))
    except Exception as error:  # noqa: BLE001 - user code and libraries raise anything
        what = "value" if reply[0] == "ok" else "exception"
        message = (
            f"the {what} of this task cannot be sent back from its worker process "
            f"({type(error).__name__}: {error}); return picklable values or run it with threads"
        )
        return bytes(pickler.dumps(("error", TypeError(message), reply[2], reply[3])))


if __name__ == "__main__":
    sys.exit(main())
