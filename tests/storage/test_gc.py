"""`glacier gc`: the retention, on the local file system and on S3."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest

from glacier import Dataset
from glacier.cli import main
from glacier.storage import S3, LocalPath, read_dataset, write_dataset
from glacier.storage.api import VERSION_PREFIX
from glacier.storage.gc import collect_garbage
from tests.storage.conftest import S3Env

LATER = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)


def _versions(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{VERSION_PREFIX}*"))


def test_keeps_current_and_the_newest_older_ones(tmp_path: Path) -> None:
    dataset = Dataset("d", LocalPath(str(tmp_path)))
    manifests = [write_dataset(dataset, [i], run_id=f"r{i}") for i in range(5)]
    (tmp_path / f"{VERSION_PREFIX}20000101T000000000000Z-dead").mkdir()  # a crashed writer
    found = collect_garbage("d", dataset.storage.uri, keep=2, now=LATER)  # type: ignore[union-attr]
    assert found.current == manifests[-1].version
    assert sorted(found.kept) == sorted(m.version for m in manifests[2:])
    assert _versions(tmp_path) == sorted(m.version for m in manifests[2:])
    assert read_dataset(dataset) == [4]


def test_young_versions_are_never_removed(tmp_path: Path) -> None:
    dataset = Dataset("d", LocalPath(str(tmp_path)))
    for i in range(4):
        write_dataset(dataset, [i], run_id=f"r{i}")
    found = collect_garbage("d", dataset.storage.uri, keep=0)  # type: ignore[union-attr]
    assert found.removed == [] and len(_versions(tmp_path)) == 4


def test_cli_finds_datasets_from_source_without_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    (tmp_path / "shop.py").write_text(
        "from glacier import Dataset\n"
        "from glacier.storage import LocalPath\n"
        "raise SystemExit('never imported')\n"
        "orders = Dataset('orders', storage=LocalPath('data/orders'))\n"
    )
    dataset = Dataset("orders", LocalPath("data/orders", root=str(tmp_path)))
    for i in range(4):
        write_dataset(dataset, [i], run_id=f"r{i}")
    monkeypatch.chdir(tmp_path)
    assert (
        main(["gc", "--keep", "0", "--min-age", "0s", "--dry-run", "--output-format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    (entry,) = report["datasets"]
    assert entry["dataset"] == "orders" and len(entry["removed"]) == 3 and report["dry_run"]
    assert len(_versions(tmp_path / "data" / "orders")) == 4
    assert main(["gc", "--keep", "1", "--min-age", "0s"]) == 0
    assert "removed 2 version(s), kept 2" in capsys.readouterr().out
    assert read_dataset(dataset) == [3]
    assert main(["gc", "--min-age", "soon"]) == 2
    assert "--min-age" in capsys.readouterr().err


def test_gc_on_s3(s3: S3Env) -> None:
    s3.bucket("lake")
    dataset = Dataset("d", S3("lake", "d/"))
    for i in range(3):
        write_dataset(dataset, {"i": i}, run_id=f"r{i}")
    assert main(["gc", "--uri", "s3://lake/d/", "--keep", "0", "--min-age", "0s"]) == 0
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket="lake")["Contents"]]
    assert len({k.split("/")[1] for k in keys if k.split("/")[1].startswith(VERSION_PREFIX)}) == 1
    assert read_dataset(dataset) == {"i": 2}
    assert os.environ["AWS_ENDPOINT_URL"] == s3.endpoint
