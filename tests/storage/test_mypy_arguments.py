"""mypy with Glacier's plugin accepts `format=` on Dataset and `endpoint_url=` on S3."""

from __future__ import annotations

from pathlib import Path

from mypy import api

SOURCE = """
from glacier import Dataset, Pipeline, task
from glacier.storage import S3


class Row:
    id: int


raw = Dataset(
    "raw",
    storage=S3("lake", "raw/", endpoint_url="http://127.0.0.1:9000"),
    schema=Row,
    format="parquet",
)
out = Dataset("out", format="json")


@task
def copy(x: raw) -> out:
    return {"id": x.id}


pipeline = Pipeline([copy])
"""


def _mypy(tmp_path: Path, source: str) -> tuple[str, int]:
    (tmp_path / "mypy.ini").write_text("[mypy]\nplugins = glacier_mypy\nstrict = true\n")
    (tmp_path / "shop.py").write_text(source)
    out, err, status = api.run(
        ["--config-file", str(tmp_path / "mypy.ini"), "--no-incremental", str(tmp_path / "shop.py")]
    )
    return out + err, status


def test_format_and_endpoint_url_type_check(tmp_path: Path) -> None:
    output, status = _mypy(tmp_path, SOURCE)
    assert status == 0, output


def test_a_format_that_is_not_a_string_is_a_type_error(tmp_path: Path) -> None:
    output, status = _mypy(tmp_path, 'from glacier import Dataset\nd = Dataset("d", format=3)\n')
    assert status == 1 and "format" in output, output
