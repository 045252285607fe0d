"""A writer killed in the middle of a large write leaves the previous version current."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from glacier import Dataset
from glacier.storage import LocalPath, read_dataset, read_manifest, write_dataset
from glacier.storage.api import VERSION_PREFIX

REPO = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys
    from glacier import Dataset
    from glacier.storage import LocalPath, write_dataset

    big = b"x" * (600 * 1024 * 1024)
    write_dataset(Dataset("big", LocalPath(sys.argv[1])), big, run_id="doomed")
    print("committed")
    """
)


@pytest.mark.slow
def test_sigkill_during_a_large_write_keeps_the_previous_version(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    dataset = Dataset("big", LocalPath(str(folder)))
    previous = write_dataset(dataset, b"previous", run_id="before")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    started = False
    while time.monotonic() < deadline and writer.poll() is None:
        partial = [
            path
            for path in folder.glob(f"{VERSION_PREFIX}*/*")
            if path.parent.name != previous.version
        ]
        if partial:
            started = True
            break
        time.sleep(0.002)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert started, "the writer never began writing its version"
    assert writer.returncode == -signal.SIGKILL
    assert read_manifest(dataset) == previous
    assert read_dataset(dataset) == b"previous"
    # The half-written version is left for `glacier gc`, never visible to readers.
    assert len(list(folder.glob(f"{VERSION_PREFIX}*"))) == 2
