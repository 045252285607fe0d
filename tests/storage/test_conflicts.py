"""Two writers race to commit one dataset: the pointer swap is conditional on every store.

The loser's pointer swap finds the winner's pointer (S3 and Azure: an ETag precondition;
locally: a check before the atomic rename), so it raises `CommitConflict` and the
winner's version stays current and readable. Each store is real: the local file system,
moto's S3 server, Azurite.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from glacier import Dataset
from glacier.storage import (
    S3,
    AzureBlob,
    CommitConflict,
    Encoded,
    LocalPath,
    Storage,
    read_dataset,
    read_manifest,
    register_codec,
    write_dataset,
)
from glacier.storage.codecs import Blob
from tests.storage.conftest import S3Env

GATED = "test-gated-json"


class _GatedFiles(Mapping[str, Blob]):
    """Files whose writing waits for a gate: the writer has read the pointer by then."""

    def __init__(self, files: dict[str, Blob], reached: threading.Event, gate: threading.Event):
        self._files = files
        self._reached = reached
        self._gate = gate

    def __getitem__(self, name: str) -> Blob:
        return self._files[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def items(self) -> Any:
        # write_dataset reads the pointer, then walks the files to write them.
        self._reached.set()
        assert self._gate.wait(60), "the test never opened the gate"
        return self._files.items()


class GatedJson:
    """JSON whose commit pauses after reading the pointer, until the test lets it go on."""

    name = GATED
    automatic = False

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.gate = threading.Event()

    def refusal(self, value: Any) -> str | None:
        return None

    def encode(self, value: Any) -> Encoded:
        files: dict[str, Blob] = {"data.json": json.dumps(value).encode()}
        return Encoded(_GatedFiles(files, self.reached, self.gate), "builtins.list")

    def decode(self, files: Mapping[str, bytes], python_type: str, schema: Any) -> Any:
        return json.loads(next(iter(files.values())))


@pytest.fixture
def gated() -> Iterator[GatedJson]:
    codec = GatedJson()
    register_codec(codec, replace=True)
    yield codec
    codec.gate.set()


def _race(dataset: Dataset[Any], gated: GatedJson) -> CommitConflict:
    """Writer B reads the pointer and pauses; writer A commits; B's swap must then fail."""
    outcome: list[BaseException | None] = []

    def writer_b() -> None:
        try:
            write_dataset(dataset, ["b"], format=GATED, run_id="b")
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 (handed to the test thread)
            outcome.append(error)

    thread = threading.Thread(target=writer_b)
    thread.start()
    try:
        assert gated.reached.wait(60), "writer B never reached its file writes"
        winner = write_dataset(dataset, ["a"], format="json", run_id="a")
    finally:
        gated.gate.set()
        thread.join(60)
    assert outcome and isinstance(outcome[0], CommitConflict), outcome
    conflict = outcome[0]
    assert read_dataset(dataset) == ["a"]
    assert read_manifest(dataset) == winner
    assert conflict.dataset == dataset.name and conflict.uri == dataset.storage.uri  # type: ignore[union-attr]
    assert f"another writer committed version {winner.version}" in str(conflict)
    assert "current version is intact" in str(conflict)
    return conflict


Locate = Callable[[str], Storage]


@pytest.fixture(params=["local", "s3", "azure"])
def locate(request: pytest.FixtureRequest, tmp_path: Path) -> Locate:
    """A function giving a fresh folder of one store for a dataset name."""
    if request.param == "local":
        return lambda name: LocalPath(str(tmp_path / name))
    if request.param == "s3":
        s3: S3Env = request.getfixturevalue("s3")
        bucket = s3.bucket("lake")
        return lambda name: S3(bucket, f"{name}/")
    azure = request.getfixturevalue("azure")
    azure.create_container("lake")
    return lambda name: AzureBlob("lake", f"{name}/")


def test_lost_race_on_the_first_commit(locate: Locate, gated: GatedJson) -> None:
    # No pointer yet: the swap must be "create only" (If-None-Match: *).
    _race(Dataset("fresh", locate("fresh")), gated)


def test_lost_race_on_a_later_commit(locate: Locate, gated: GatedJson) -> None:
    # A pointer exists: the swap must be "only if unchanged" (If-Match: <ETag>).
    dataset = Dataset("orders", locate("orders"))
    first = write_dataset(dataset, ["first"], run_id="r0")
    _race(dataset, gated)
    assert read_manifest(dataset) != first
    # The winner keeps being written on top of: the next commit succeeds.
    write_dataset(dataset, ["c"], run_id="c")
    assert read_dataset(dataset) == ["c"]
