"""Benchmark: draw a generated 1,000-task pipeline as SVG, and where the time goes.

Run: ``.venv/bin/python bench/bench_graph.py [--tasks 1000] [--repeat 3] [--nodes]``

It writes a pipeline of N tasks (a wide, layered DAG with fan-in and fan-out, three
compute kinds and an external input) once as a single file and once as a package of
modules, then times separately, taking the best of ``--repeat`` runs:

* analysis: ``analyze_paths`` (cache off) -> ``Project``;
* DOT generation: ``render_dot`` (pure Python);
* Graphviz: the ``dot`` program turning that DOT into SVG;
* what draws when ``dot`` is missing, on the same DOT: ``graphviz-pure`` (the Rust port) and
  the WebAssembly Graphviz, each as SVG and PDF, with their ratios to ``dot`` measured in the
  same run (the three renderers take turns, so a noisy machine slows them alike; medians and
  the min-max spread are printed);

and prints the figures. ``--nodes`` also times the picture with every dataset as its own
node (by default, above 60 tasks, datasets become edge labels; above 300 the picture is
compact and the labels move into tooltips).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from glacier.analysis import analyze_paths
from glacier.config import load_settings
from glacier.outputs.graph.dot import render_dot
from glacier.outputs.graph.style import DatasetMode
from glacier.outputs.graph.svg import ImageFormat, Renderer, render_image

T = TypeVar("T")
KINDS = (
    "compute.local()",
    "compute.serverless(memory=512)",
    "compute.container(image='spark:latest', cpu=4, memory=8192)",
)


def task_source(index: int, width: int) -> str:
    """Task ``index`` reads the task ``width`` before it (a layer up) and, every third
    task, one more from two layers up: fan-out and fan-in."""
    inputs = []
    if index < width:
        inputs.append("events")
    else:
        inputs.append(f"d{index - width}")
        if index % 3 == 0 and index >= 2 * width:
            inputs.append(f"d{index - 2 * width + 1}")
    params = ", ".join(f"x{n}: {name}" for n, name in enumerate(inputs))
    return (
        f"@task(compute={KINDS[index % 3]})\n"
        f"def step_{index}({params}) -> d{index}:\n"
        f"    return x0\n"
    )


def write_file(folder: Path, tasks: int, width: int) -> Path:
    lines = [
        "from glacier import Dataset, Pipeline, compute, task",
        "from glacier.storage import S3",
        "",
        'events = Dataset("events", storage=S3(bucket="acme", prefix="events/"))',
    ]
    lines += [f'd{i} = Dataset("d{i}")' for i in range(tasks)]
    lines += [task_source(i, width) for i in range(tasks)]
    names = ", ".join(f"step_{i}" for i in range(tasks))
    lines.append(f'pipeline = Pipeline([{names}], name="big")')
    path = folder / "big_pipeline.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_package(folder: Path, tasks: int, width: int, modules: int = 10) -> Path:
    package = folder / "bigpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    datasets = [
        "from glacier import Dataset",
        "from glacier.storage import S3",
        'events = Dataset("events", storage=S3(bucket="acme", prefix="events/"))',
    ] + [f'd{i} = Dataset("d{i}")' for i in range(tasks)]
    (package / "datasets.py").write_text("\n".join(datasets) + "\n")
    per_module = -(-tasks // modules)
    for module in range(modules):
        chunk = range(module * per_module, min(tasks, (module + 1) * per_module))
        body = ["from glacier import compute, task", "from bigpkg.datasets import *", ""]
        body += [task_source(i, width) for i in chunk]
        (package / f"tasks_{module}.py").write_text("\n".join(body) + "\n")
    imports = [f"from bigpkg.tasks_{m} import *" for m in range(modules)]
    names = ", ".join(f"step_{i}" for i in range(tasks))
    (package / "pipeline.py").write_text(
        "from glacier import Pipeline\n"
        + "\n".join(imports)
        + f'\n\npipeline = Pipeline([{names}], name="big")\n'
    )
    return package


def best(repeat: int, action: Callable[[], T]) -> tuple[float, T]:
    times = []
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


#: The renderers compared, in turn: (label, renderer, format).
DRAWERS: tuple[tuple[str, Renderer, ImageFormat], ...] = (
    ("Graphviz dot -> SVG", "dot", "svg"),
    ("graphviz-pure -> SVG", "port", "svg"),
    ("WebAssembly Graphviz -> SVG", "wasm", "svg"),
    ("Graphviz dot -> PDF (cairo)", "dot", "pdf"),
    ("graphviz-pure -> PDF", "port", "pdf"),
    ("WebAssembly Graphviz -> PDF", "wasm", "pdf"),
)


def interleaved(repeat: int, source: str) -> dict[int, list[float]]:
    """Seconds per run of each of `DRAWERS`, taking turns ``repeat`` times."""
    times: dict[int, list[float]] = {index: [] for index in range(len(DRAWERS))}
    for _ in range(repeat):
        for index, (_, renderer, format) in enumerate(DRAWERS):
            start = time.perf_counter()
            render_image(source, format, renderer)
            times[index].append(time.perf_counter() - start)
    return times


def measure(label: str, path: Path, repeat: int, modes: list[DatasetMode]) -> None:
    settings = load_settings(path.parent)
    analysis, result = best(repeat, lambda: analyze_paths([path], settings, cache=False))
    project = result.project
    tasks = sum(len(p.graph.tasks) for p in project.pipelines)
    edges = sum(len(p.graph.edges) for p in project.pipelines)
    print(
        f"\n{label}: {path.name}  ({tasks} tasks, {edges} edges, {len(project.datasets)} datasets)"
    )
    print(f"  analysis (analyze_paths, no cache) {analysis * 1000:9.1f} ms")
    for mode in modes:
        generation, source = best(repeat, partial(render_dot, project, datasets=mode))
        times = interleaved(repeat, source)
        medians = {index: statistics.median(runs) for index, runs in times.items()}
        drawing = medians[0]
        total = analysis + generation + drawing
        print(f"  --datasets {mode}:")
        print(
            f"    DOT generation (render_dot)      {generation * 1000:9.1f} ms"
            f"  ({len(source):,} bytes)"
        )
        for index, (name, _, format) in enumerate(DRAWERS):
            baseline = medians[0 if format == "svg" else 3]
            runs = times[index]
            print(
                f"    {name:<32} {medians[index] * 1000:9.1f} ms  "
                f"(median of {len(runs)}, {min(runs) * 1000:.0f}-{max(runs) * 1000:.0f} ms; "
                f"{medians[index] / baseline:.2f}x dot)"
            )
        print(
            f"    total {total:6.2f} s: analysis {analysis / total:5.1%}, "
            f"DOT {generation / total:5.1%}, dot {drawing / total:5.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--width", type=int, default=25, help="tasks per layer (default 25)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nodes", action="store_true", help="also time --datasets nodes")
    args = parser.parse_args()
    modes: list[DatasetMode] = ["auto", "nodes"] if args.nodes else ["auto"]
    start = time.perf_counter()
    render_image("digraph { a -> b }", "svg", "wasm")  # load (or compile) the module once
    print(f"WebAssembly Graphviz: first render {time.perf_counter() - start:.2f} s (loading)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text("[tool.glacier]\n")
        single = write_file(folder, args.tasks, args.width)
        package = write_package(folder, args.tasks, args.width)
        measure("single file", single, args.repeat, modes)
        measure("package (12 modules)", package, args.repeat, modes)
    version = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False)
    print(
        f"\nanalysis and DOT: best of {args.repeat} runs; drawing: medians; "
        f"{version.stderr.strip()}"
    )


if __name__ == "__main__":
    main()
