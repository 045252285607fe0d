"""Glacier's pytest plugin (entry point ``pytest11``): fixtures for testing pipelines.

- ``glacier_s3``: a real S3 API (moto's server on 127.0.0.1), empty for each test, with
  ``AWS_ENDPOINT_URL`` and test credentials set so ``S3("bucket", ...)`` datasets use it;
- ``glacier_storage_root``: a temporary folder to point ``LocalPath`` datasets or
  ``run_pipeline(storage=...)`` at;
- ``glacier_dask_client``: a ``distributed.Client`` on a small local cluster (one per
  session);
- ``glacier_snapshot``: compares text or a folder of files (compile output) with a
  stored snapshot; ``pytest --glacier-update-snapshots`` rewrites them.

The plugin loads in every pytest session of every project that installs Glacier, so it
imports nothing beyond pytest until a fixture is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from glacier.distribution import install_hint

if TYPE_CHECKING:
    from glacier.storage.locations import S3


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("glacier")
    group.addoption(
        "--glacier-update-snapshots",
        action="store_true",
        default=False,
        help="glacier_snapshot: write the current output as the expected snapshots",
    )


class GlacierS3:
    """A clean moto S3 server: its endpoint, a boto3 client, buckets and locations."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def client(self) -> Any:
        """A boto3 S3 client for this server."""
        import boto3  # type: ignore[import-untyped, unused-ignore]

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1")

    def bucket(self, name: str) -> str:
        """Create bucket ``name`` (if needed) and return its name."""
        client = self.client()
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)
        return name

    def storage(self, bucket: str, prefix: str = "") -> S3:
        """``S3(bucket, prefix)`` on this server (the bucket is created)."""
        from glacier.storage.locations import S3

        return S3(self.bucket(bucket), prefix, endpoint_url=self.endpoint_url)


@pytest.fixture(scope="session")
def glacier_s3_server() -> Iterator[str]:
    """One moto S3 server for the whole session; yields its endpoint URL."""
    from glacier.testing.servers import moto_s3_server

    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def glacier_s3(glacier_s3_server: str, monkeypatch: pytest.MonkeyPatch) -> GlacierS3:
    """An empty S3 (moto's server) that ``S3(...)`` datasets reach through
    ``AWS_ENDPOINT_URL``, with test credentials; never your AWS account."""
    from glacier.testing.servers import reset_moto

    reset_moto(glacier_s3_server)
    for name, value in {
        "AWS_ENDPOINT_URL": glacier_s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    return GlacierS3(glacier_s3_server)


@pytest.fixture
def glacier_storage_root(tmp_path: Path) -> Path:
    """A temporary folder for datasets (``LocalPath(str(root / "raw"))``)."""
    root = tmp_path / "glacier-storage"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def glacier_dask_client() -> Iterator[Any]:
    """A ``distributed.Client`` on a local cluster of one worker process (two threads)."""
    try:
        import distributed
    except ImportError:
        raise pytest.UsageError(
            f"glacier_dask_client needs dask's distributed: {install_hint('dask')}"
        ) from None
    library: Any = distributed  # untyped calls
    cluster = library.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = library.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


class Snapshot:
    """Compares output with files under ``__snapshots__/<test module>/`` beside the test."""

    def __init__(self, folder: Path, update: bool) -> None:
        self.folder = folder
        self.update = update

    def __call__(self, actual: str | bytes | os.PathLike[str], name: str) -> None:
        """Assert that ``actual`` (text, bytes, or a folder of files) matches snapshot ``name``."""
        __tracebackhide__ = True
        expected = self.folder / name
        if isinstance(actual, os.PathLike) and Path(actual).is_dir():
            got = _folder_files(Path(actual))
            if self.update:
                _write_folder(expected, got)
                return
            if not expected.is_dir():
                self._missing(expected)
            want = _folder_files(expected)
            differences = _compare_files(want, got)
            if differences:
                raise AssertionError(
                    f"output differs from snapshot {expected}:\n"
                    + "\n".join(differences)
                    + "\n(pytest --glacier-update-snapshots accepts the new output)"
                )
            return
        data = (
            Path(actual).read_bytes()
            if isinstance(actual, os.PathLike)
            else actual.encode()
            if isinstance(actual, str)
            else actual
        )
        if self.update:
            expected.parent.mkdir(parents=True, exist_ok=True)
            expected.write_bytes(data)
            return
        if not expected.is_file():
            self._missing(expected)
        stored = expected.read_bytes()
        if stored != data:
            raise AssertionError(
                f"output differs from snapshot {expected}:\n"
                + _diff(stored, data, name)
                + "\n(pytest --glacier-update-snapshots accepts the new output)"
            )

    def _missing(self, expected: Path) -> None:
        __tracebackhide__ = True
        raise AssertionError(
            f"no snapshot {expected} yet: run pytest --glacier-update-snapshots to write it"
        )


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _write_folder(folder: Path, files: dict[str, bytes]) -> None:
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _compare_files(want: dict[str, bytes], got: dict[str, bytes]) -> list[str]:
    lines: list[str] = []
    for name in sorted(set(want) | set(got)):
        if name not in got:
            lines.append(f"  missing file {name}")
        elif name not in want:
            lines.append(f"  new file {name}")
        elif want[name] != got[name]:
            lines.append(f"  {name} differs:\n" + _diff(want[name], got[name], name))
    return lines


def _diff(want: bytes, got: bytes, name: str) -> str:
    import difflib

    try:
        old = want.decode().splitlines(keepends=True)
        new = got.decode().splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"    (binary: {len(want)} bytes expected, {len(got)} bytes now)"
    diff = difflib.unified_diff(old, new, f"snapshot/{name}", f"output/{name}", n=2)
    return "".join("    " + line if line.endswith("\n") else "    " + line + "\n" for line in diff)


@pytest.fixture
def glacier_snapshot(request: pytest.FixtureRequest) -> Snapshot:
    """``glacier_snapshot(output, "name")``: text, bytes or a folder (e.g. ``./infra``)
    compared with ``__snapshots__/<test module>/name`` beside the test file."""
    test_file = Path(str(request.node.path))
    folder = test_file.parent / "__snapshots__" / test_file.stem
    return Snapshot(folder, bool(request.config.getoption("--glacier-update-snapshots")))
