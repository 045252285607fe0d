"""Pictures without a system Graphviz: SVG, PNG and PDF by graphviz-pure (the Rust port that
Glacier installs on every Python), or by the WebAssembly Graphviz; same node ids as ``dot``."""

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
from glacier.outputs.graph.port import port_available
from glacier.outputs.graph.style import FONT
from glacier.outputs.graph.svg import GraphvizError, Renderer, render_image
from glacier.outputs.graph.wasm import wasm_available

REPO = Path(__file__).resolve().parents[2]

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


#: A drawn text: its content, weight and colour.
Text = tuple[str | None, str | None, str | None]


def drawn_structure(svg: bytes) -> dict[str, tuple[str, list[Text], list[str]]]:
    """Each node, edge and cluster by id: its class, its texts (with weight and colour) and the
    colours of its shapes: what a picture shows, without the coordinates."""
    structure = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        kinds = set(group.get("class", "").split())  # "node task local", "edge", ...
        if kinds & {"node", "edge", "cluster"}:
            texts = [
                (text.text, text.get("font-weight"), text.get("fill"))
                for text in group.iter(f"{SVG}text")
            ]
            shapes = [
                f"{shape.tag[len(SVG) :]} {shape.get('fill')} {shape.get('stroke')}"
                for shape in group
                if shape.tag[len(SVG) :] in ("polygon", "path", "ellipse", "polyline")
            ]
            structure[group.get("id", "")] = (group.get("class", ""), texts, shapes)
    return structure


def test_glacier_graph_writes_an_svg_without_dot(tmp_path: Path) -> None:
    assert port_available(), "graphviz-pure is a dependency of Glacier"
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
    assert b"(graphviz-pure)" in svg  # drawn by the port, which every Python gets
    texts = {text.text for text in ET.fromstring(svg).iter(f"{SVG}text")}
    assert {"tidy", "split_left", "join", "publish", "raw", "joined"} <= texts
    assert not any(text and text.startswith("p0_") for text in texts)


@pytest.mark.parametrize("example", ["examples", "x.py"])
def test_the_port_draws_what_dot_draws(tmp_path: Path, example: str) -> None:
    """Same nodes, edges and clusters, same texts in the same weights and colours, same
    fills: the HTML-like labels (bold names, coloured second lines, the legend) included."""
    (tmp_path / "x.py").write_text(PIPELINE)
    where = REPO if example == "examples" else tmp_path
    source = subprocess.run(
        ["glacier-graph", example, "--format", "dot"],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "label=<" in source  # HTML-like labels
    by_dot = render_image(source, "svg", "dot")
    by_port = render_image(source, "svg", "port")
    assert b"(graphviz-pure)" in by_port and b"(graphviz-pure)" not in by_dot
    expected = drawn_structure(by_dot)
    assert len(expected) > 10 and any(
        text[1] == "bold" for _, texts, _ in expected.values() for text in texts
    )
    assert drawn_structure(by_port) == expected
    assert render_image(source, "svg", "port") == by_port  # deterministic


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


def test_the_ports_png_keeps_a_sans_serif_font() -> None:
    """Our font is not among the port's bundled ones; its PNG asks for sans-serif instead of
    falling back to serif, and the SVG keeps naming our font for the viewer to use."""
    label = 'digraph g {{ a [fontname="{}", label=<<b>step_1</b><br/>serverless>] }}'
    png = render_image(label.format(FONT), "png", "port")
    assert png == render_image(label.format("sans-serif"), "png", "port")
    assert png != render_image(label.format("serif"), "png", "port")
    assert f'font-family="{FONT}"'.encode() in render_image(label.format(FONT), "svg", "port")


@pytest.mark.parametrize("renderer", ["port", "wasm"])
def test_pdf_from_either_renderer(renderer: Renderer) -> None:
    assert wasm_available("pdf")
    source = (
        'digraph g { node [fontname="DejaVu Sans"]; "task:a" [id="task:a", '
        'label=<<b>a_task</b><br/><font color="#546e7a">local</font>>, shape=box, '
        'style="rounded,filled", fillcolor="#e8f5e9"]; "task:b" [id="task:b", label="b (x)"]; '
        '"task:a" -> "task:b" [style=dashed] }'
    )
    pdf = render_image(source, "pdf", renderer)
    assert pdf == render_image(source, "pdf", renderer)
    reader = pypdf.PdfReader(io.BytesIO(pdf), strict=True)
    content = pypdf.generic.ContentStream(reader.pages[0].get_contents(), reader)
    texts = [operands[0] for operands, operator in content.operations if operator == b"Tj"]
    # The port keeps the HTML label's two lines apart; the WebAssembly build's text label too.
    assert {"a_task", "local", "b (x)"} <= set(texts) or {"a_task", "b (x)"} <= set(texts)
    assert "b (x)" in texts  # parentheses are escaped in the PDF string


def test_pdf_without_dot_says_what_is_wrong_with_the_layout() -> None:
    for layout in (b"{}", b"[]", b'{"bb": "0,0,9,9", "_draw_": [{"op": "P"}]}', b"nope"):
        with pytest.raises(PdfError, match="not a Graphviz JSON layout"):
            pdf_from_graphviz_json(layout)
    with pytest.raises(GraphvizError, match="WebAssembly"):
        render_image("digraph {", "pdf", "wasm")
    with pytest.raises(GraphvizError, match="graphviz-pure failed"):
        render_image("digraph {", "pdf", "port")


def test_every_renderer_draws_the_same_nodes_and_dot_is_preferred() -> None:
    source = (
        'digraph glacier { "task:a" [id="task:a"]; "task:b" [id="task:b"]; "task:a" -> "task:b" }'
    )
    by_dot = render_image(source, "svg", "dot")
    by_port = render_image(source, "svg", "port")
    by_wasm = render_image(source, "svg", "wasm")
    assert render_image(source, "svg") == by_dot  # the system dot wins when present
    assert b"graphviz version 16" in by_wasm and b"(graphviz-pure)" not in by_wasm
    assert render_image(source, "svg", "wasm") == by_wasm  # deterministic
    ids = {e.get("id") for e in ET.fromstring(by_dot).iter() if e.get("id")}
    assert {e.get("id") for e in ET.fromstring(by_wasm).iter() if e.get("id")} == ids
    assert {e.get("id") for e in ET.fromstring(by_port).iter() if e.get("id")} == ids
    with pytest.raises(GraphvizError):
        render_image("digraph {", "svg", "wasm")
    assert render_image(source, "svg", "wasm") == by_wasm  # usable after a failure


def test_the_webassembly_build_flattens_html_labels_to_their_text() -> None:
    """It has no XML parser, so HTML-like labels become text labels: every line stays."""
    source = (
        'digraph g { "task:a" [id="task:a", label=<<b>a_task</b><br/>'
        '<font color="#546e7a">local &amp; cheap</font>>] }'
    )
    texts = [t.text for t in ET.fromstring(render_image(source, "svg", "wasm")).iter(f"{SVG}text")]
    assert texts == ["a_task", "local & cheap"]


#: Python 3.10, the oldest Glacier supports, with Glacier installed (scripts/setup.sh); there
#: the WebAssembly Graphviz does not install, so graphviz-pure draws.
PY310_VENV = Path(os.environ.get("GLACIER_PY310_VENV", REPO / ".venv-py310"))


def test_python_310_draws_svg_png_and_pdf_without_dot(tmp_path: Path) -> None:
    python = PY310_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no Glacier on Python 3.10 ({PY310_VENV}); run scripts/setup.sh")
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "(3, 10)"
    (tmp_path / "x.py").write_text(PIPELINE)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}  # no `dot`, no other Python's scripts
    for name in ("dag.svg", "dag.png", "dag.pdf"):
        done = subprocess.run(
            [PY310_VENV / "bin" / "glacier-graph", "x.py", "-o", name],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    svg = (tmp_path / "dag.svg").read_bytes()
    assert b"(graphviz-pure)" in svg
    assert task_ids(svg) == {
        f"x.{n}" for n in ("tidy", "split_left", "split_right", "join", "publish")
    }
    assert (tmp_path / "dag.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    reader = pypdf.PdfReader(tmp_path / "dag.pdf", strict=True)
    assert "split_right" in reader.pages[0].extract_text()
