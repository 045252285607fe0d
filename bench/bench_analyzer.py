"""Benchmark the static analyzer (prints figures; not a timed test).

Generates a synthetic project: about 3,000 tasks in 120 pipeline modules plus 300
plain modules that never mention Glacier, then reports

* cold ``glacier check`` / bare ``libcst.parse_module`` of the pipeline modules (target <= 1.5),
* the extra time of the 300 plain modules / their bare parse time (target <= 0.05),
* warm (cached) run / cold run (target <= 0.10),
* the language server's path: edit of a 1,000-line pipeline file in a 200-module
  workspace -> diagnostics (target p95 <= 100 ms).

Run: ``python bench/bench_analyzer.py``.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst as cst

from glacier.analysis import Workspace, analyze_paths
from glacier.config import Settings
from glacier_lsp.state import HeapPolicy

TASKS_PER_MODULE = 25
PIPELINE_MODULES = 120
PLAIN_MODULES = 300


def pipeline_module(index: int) -> str:
    lines = [
        '"""Generated pipeline module."""',
        "from glacier import Dataset, Pipeline, compute, task",
        "from glacier.storage import S3",
        "",
        f'source_{index} = Dataset("source_{index}", storage=S3(bucket="lake", prefix="{index}/"))',
    ]
    for t in range(TASKS_PER_MODULE):
        lines.append(f'd_{index}_{t} = Dataset("d_{index}_{t}")')
    for t in range(TASKS_PER_MODULE):
        source = f"source_{index}" if t == 0 else f"d_{index}_{t - 1}"
        lines += [
            "",
            "",
            "@task(compute=compute.serverless(memory=512, timeout=60))",
            f"def step_{index}_{t}(data: {source}, limit: int = 100) -> d_{index}_{t}:",
            f'    """Step {t} of module {index}."""',
            "    rows = [row for row in data if row is not None][:limit]",
            "    totals: dict[str, float] = {}",
            "    for row in rows:",
            "        totals[str(row)] = totals.get(str(row), 0.0) + 1.0",
            "    return {'rows': rows, 'totals': totals, 'count': len(rows)}",
        ]
    members = ", ".join(f"step_{index}_{t}" for t in range(TASKS_PER_MODULE))
    lines += ["", "", f'pipeline_{index} = Pipeline(tasks=[{members}], name="p{index}")', ""]
    return "\n".join(lines)


def plain_module(index: int) -> str:
    lines = ['"""A plain module: no Glacier here."""', "import json", "import os", ""]
    for f in range(25):
        lines += [
            "",
            f"def helper_{index}_{f}(values: list[int], scale: float = 1.5) -> dict[str, float]:",
            '    """Compute things."""',
            "    result = {}",
            "    for position, value in enumerate(values):",
            "        if value % 3 == 0 and position > 2:",
            '            result[f"k{position}"] = value * scale + len(os.sep)',
            "    return json.loads(json.dumps(result))",
        ]
    return "\n".join(lines) + "\n"


def generate(root: Path) -> tuple[list[Path], list[Path]]:
    package = root / "synthetic"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    pipelines = []
    for i in range(PIPELINE_MODULES):
        path = package / f"flow_{i}.py"
        path.write_text(pipeline_module(i))
        pipelines.append(path)
    plain_dir = root / "plain"
    plain_dir.mkdir()
    (plain_dir / "__init__.py").write_text("")
    plain = []
    for i in range(PLAIN_MODULES):
        path = plain_dir / f"util_{i}.py"
        path.write_text(plain_module(i))
        plain.append(path)
    (root / "pyproject.toml").write_text("[tool.glacier]\n")
    return pipelines, plain


def _clock() -> float:
    """Elapsed seconds, or CPU seconds of this process and its (pool) workers."""
    return time.perf_counter() if CLOCK == "wall" else time.process_time() + _children_cpu()


def bare_parse(paths: list[Path]) -> float:
    texts = [p.read_text() for p in paths]
    start = _clock()
    for text in texts:
        cst.parse_module(text)
    return _clock() - start


#: "cpu" (default): CPU seconds of the process and its workers, robust to a busy machine;
#: "wall": elapsed seconds.
CLOCK = os.environ.get("BENCH_CLOCK", "cpu")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def check(root: Path, *targets: Path, cache: bool = True) -> float:
    """``glacier check`` as a user runs it (a subprocess, including start-up)."""
    command = [sys.executable, "-m", "glacier", "check", "--output-format", "json"]
    if not cache:
        command.append("--no-cache")
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([*command, *map(str, targets)], cwd=root, capture_output=True, check=False)
    if CLOCK == "wall":
        return time.perf_counter() - start
    return _children_cpu() - cpu


def in_process(root: Path, *targets: Path, cache: bool = True) -> float:
    start = _clock()
    analyze_paths(list(targets), Settings(root=root), cache=cache)
    return _clock() - start


def lsp_edit(root: Path) -> list[float]:
    """Edit a 1,000-line pipeline module in a 200-module workspace; time edit -> diagnostics."""
    workspace_root = root / "lsp"
    package = workspace_root / "ws"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for i in range(120):
        (package / f"flow_{i}.py").write_text(pipeline_module(i))
    for i in range(79):
        (package / f"util_{i}.py").write_text(plain_module(i))
    big = package / "big.py"
    text = "\n".join(pipeline_module(1000 + i) for i in range(4))
    text = "\n".join(line for line in text.splitlines())
    big.write_text(text)
    workspace = Workspace(workspace_root, Settings(root=workspace_root))
    workspace.index()
    workspace.analyze()
    HeapPolicy(enabled=True).refreeze()  # as the language server does after indexing
    times = []
    lines = text.splitlines()
    for n in range(40):
        edited = list(lines)
        target = 40 + (n * 97) % (len(lines) - 50)
        edited[target] = edited[target] + f"  # edit {n}"
        if n % 5 == 0:
            edited.insert(target, "")  # Enter: shifts every later line
        start = _clock()
        workspace.set_overlay(big, "\n".join(edited))
        workspace.analyze()
        times.append(_clock() - start)
    print(f"  (big.py has {len(lines)} lines)")
    return times


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="glacier-bench-"))
    user_cache = root / "user-cache"  # the analyzer's per-user cache, kept out of ~/.cache
    os.environ["GLACIER_CACHE_DIR"] = str(user_cache)
    try:
        pipelines, plain = generate(root)
        pipeline_dir, plain_dir = root / "synthetic", root / "plain"
        parse_pipelines = min(bare_parse(pipelines) for _ in range(2))
        parse_plain = min(bare_parse(plain) for _ in range(2))
        print(
            f"project: {PIPELINE_MODULES * TASKS_PER_MODULE} tasks in {PIPELINE_MODULES} "
            f"modules + {PLAIN_MODULES} plain modules"
        )
        print(
            f"bare libcst.parse_module: pipeline modules {parse_pipelines:.2f} s, "
            f"plain modules {parse_plain:.2f} s"
        )

        cold_pipelines = min(check(root, pipeline_dir, cache=False) for _ in range(2))
        cold_all = min(check(root, pipeline_dir, plain_dir, cache=False) for _ in range(2))
        shutil.rmtree(user_cache, ignore_errors=True)
        cold = check(root, pipeline_dir, plain_dir)
        warm = min(check(root, pipeline_dir, plain_dir) for _ in range(3))
        print("\nglacier check (subprocess, includes interpreter start-up and pool workers):")
        print(
            f"  cold, pipeline modules only: {cold_pipelines:.2f} s "
            f"-> / bare parse = {cold_pipelines / parse_pipelines:.2f} (target <= 1.5)"
        )
        extra = max(cold_all - cold_pipelines, 0.0)
        print(
            f"  extra for {PLAIN_MODULES} plain modules: {extra:.3f} s "
            f"-> / their bare parse = {extra / parse_plain:.3f} (target <= 0.05)"
        )
        print(
            f"  cold (cache filled) {cold:.2f} s, warm {warm:.2f} s "
            f"-> warm / cold = {warm / cold:.3f} (target <= 0.10)"
        )

        shutil.rmtree(user_cache, ignore_errors=True)
        in_cold = in_process(root, pipeline_dir, plain_dir)
        in_warm = min(in_process(root, pipeline_dir, plain_dir) for _ in range(3))
        plain_only = min(in_process(root, plain_dir, cache=False) for _ in range(3))
        print(
            f"  the {PLAIN_MODULES} plain modules analysed alone (in process, no cache): "
            f"{plain_only:.3f} s -> / their bare parse = {plain_only / parse_plain:.4f}"
        )

        print("\nanalyze_paths in process (no start-up):")
        print(
            f"  cold {in_cold:.2f} s, warm {in_warm:.3f} s -> warm / cold = {in_warm / in_cold:.3f}"
        )

        print("\nlanguage server path (Workspace, edit -> diagnostics):")
        times = sorted(lsp_edit(root))
        p50 = statistics.median(times) * 1000
        p95 = times[int(len(times) * 0.95) - 1] * 1000
        print(
            f"  p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {times[-1] * 1000:.0f} ms "
            "(target p95 <= 100)"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
