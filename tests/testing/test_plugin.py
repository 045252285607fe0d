"""The pytest plugin in real pytest sessions (pytester): its fixtures, snapshots, and
that loading it imports nothing heavy."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "glacier.testing.pytest_plugin"


def _plugin_args() -> list[str]:
    """Load the plugin by name unless the installed distribution already registers it."""
    installed = any(e.value == PLUGIN for e in entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*_plugin_args(), "-p", "no:cacheprovider", *args)


def test_pyproject_declares_the_entry_point() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["pytest11"] == {"glacier": PLUGIN}


def test_loading_the_plugin_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        HEAVY = ("moto", "boto3", "fsspec", "s3fs", "pandas", "polars", "pyarrow",
                 "distributed", "dask", "pydantic", "pandera", "glacier.run.session")

        def test_nothing_heavy():
            assert "glacier.testing.pytest_plugin" in sys.modules
            assert [name for name in HEAVY if name in sys.modules] == []
        """
    )
    _run(pytester).assert_outcomes(passed=1)


def test_glacier_s3_and_run_pipeline_against_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from glacier import Dataset, Pipeline, task
        from glacier.storage import S3, read_dataset
        from glacier.testing import assert_succeeded, run_pipeline

        numbers = Dataset("numbers", storage=S3("lake", "numbers/"))
        doubled = Dataset("doubled", storage=S3("lake", "doubled/"))

        @task
        def double(values: numbers) -> doubled:
            return [2 * v for v in values]

        PIPELINE = Pipeline([double])

        def test_reads_and_writes_moto(glacier_s3):
            glacier_s3.bucket("lake")
            result = run_pipeline(PIPELINE, inputs={numbers: [1, 2]}, storage=None)
            assert_succeeded(result)
            assert read_dataset(doubled) == [2, 4]
            listing = glacier_s3.client().list_objects_v2(Bucket="lake")
            keys = [item["Key"] for item in listing["Contents"]]
            assert any(k.startswith("doubled/") for k in keys)

        def test_each_test_starts_empty(glacier_s3):
            assert glacier_s3.client().list_buckets()["Buckets"] == []

        def test_storage_helper(glacier_s3):
            location = glacier_s3.storage("other", "x/")
            assert location.uri == "s3://other/x/"
            assert location.endpoint_url == glacier_s3.endpoint_url

        def test_storage_root(glacier_storage_root):
            result = run_pipeline(PIPELINE, inputs={numbers: [3]}, storage=glacier_storage_root)
            assert_succeeded(result)
            assert (glacier_storage_root / "doubled").is_dir()
        """
    )
    monkey = pytest.MonkeyPatch()
    with monkey.context() as patch:
        patch.setenv("GLACIER_SIGNING_KEY_FILE", str(pytester.path / "key"))
        _run(pytester, "-q").assert_outcomes(passed=4)


def test_snapshots_fail_until_written_then_show_differences(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_compile="""
        import os
        from pathlib import Path

        def test_text(glacier_snapshot):
            glacier_snapshot(os.environ.get("OUTPUT", "one\\n"), "plan.txt")

        def test_folder(glacier_snapshot, tmp_path):
            (tmp_path / "infra").mkdir()
            (tmp_path / "infra" / "main.tf").write_text(os.environ.get("OUTPUT", "one\\n"))
            glacier_snapshot(tmp_path / "infra", "infra")
        """
    )
    first = _run(pytester)
    first.assert_outcomes(failed=2)
    first.stdout.fnmatch_lines(
        ["*no snapshot*plan.txt yet: run pytest --glacier-update-snapshots*"]
    )
    _run(pytester, "--glacier-update-snapshots").assert_outcomes(passed=2)
    snapshots = pytester.path / "__snapshots__" / "test_compile"
    assert (snapshots / "plan.txt").read_text() == "one\n"
    assert (snapshots / "infra" / "main.tf").read_text() == "one\n"
    _run(pytester).assert_outcomes(passed=2)
    monkey = pytest.MonkeyPatch()
    with monkey.context() as patch:
        patch.setenv("OUTPUT", "two\n")
        changed = _run(pytester)
    changed.assert_outcomes(failed=2)
    changed.stdout.fnmatch_lines(["*-one*", "*+two*", "*main.tf differs*"])


@pytest.mark.slow
def test_glacier_dask_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_cluster(glacier_dask_client):
            assert glacier_dask_client.submit(sum, [1, 2, 3]).result() == 6
            assert len(glacier_dask_client.scheduler_info()["workers"]) == 1
        """
    )
    _run(pytester).assert_outcomes(passed=1)
