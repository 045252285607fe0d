"""What the mypy plugin costs (issue 5): mypy with the plugin vs plain mypy.

Generates one project twice:

* **plugin**: tasks annotated with dataset variables (``def t3(x0: d0) -> d3``), checked
  with ``plugins = glacier_mypy``;
* **baseline**: the same project with every dataset annotation replaced by its schema type
  (``def t3(x0: Row0) -> Row3``), checked without the plugin.

Both declare the same datasets and build the same pipelines. Each variant is checked cold
(``--no-incremental``) ``--repeat`` times, in rounds that alternate which variant goes
first. The headline is the median over rounds of plugin CPU / baseline CPU within a round
(target <= 1.10): on a shared virtual machine one mypy process runs up to 30 % faster or
slower than the next, which makes a best-of-3 ratio swing from 0.95 to 1.35, while the
median of nine paired rounds stays within a few percent. The
best wall and CPU times are printed too, with a warm run (incremental cache, pipeline
module edited), the same cold checks in one process with every import done (the plugin's
own per-check cost), and the one-off cost of importing the plugin. Not a timed test: run
it by hand; on a busy machine use more ``--repeat``.

    python bench/bench_mypy.py [--tasks 600] [--repeat 9]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = 20
MODULES = 10


def generate(root: Path, tasks: int, *, plugin: bool, seed: int = 1) -> None:
    """Write ``proj/`` (schemas, datasets, task modules, pipelines) and ``mypy.ini``."""
    rng = random.Random(seed)
    pkg = root / "proj"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    schema_lines = ["from dataclasses import dataclass\n"]
    for s in range(SCHEMAS):
        schema_lines.append(f"@dataclass\nclass Row{s}:\n    id: int\n    value{s}: str\n")
    (pkg / "schemas.py").write_text("\n".join(schema_lines))

    schema_of = {i: f"Row{i % SCHEMAS}" for i in range(tasks)}
    dataset_lines = ["from glacier import Dataset", "from proj.schemas import *", ""]
    dataset_lines += [f'd{i} = Dataset("d{i}", schema={schema_of[i]})' for i in range(tasks)]
    (pkg / "datasets.py").write_text("\n".join(dataset_lines) + "\n")

    per_module = -(-tasks // MODULES)
    for m in range(MODULES):
        lines = ["from glacier import task", "from proj.datasets import *", ""]
        if not plugin:
            lines.insert(1, "from proj.schemas import *")
        for i in range(m * per_module, min(tasks, (m + 1) * per_module)):
            reads = sorted(rng.sample(range(i), min(i, 2))) if i else []

            def ann(j: int) -> str:
                return f"d{j}" if plugin else schema_of[j]

            params = ", ".join(f"x{j}: {ann(j)}" for j in reads)
            body = f"{schema_of[i]}(x{reads[0]}.id, 'v')" if reads else f"{schema_of[i]}(0, 'v')"
            lines.append(f"@task\ndef t{i}({params}) -> {ann(i)}:\n    return {body}\n")
        (pkg / f"tasks{m}.py").write_text("\n".join(lines) + "\n")

    imports = [f"from proj.tasks{m} import *" for m in range(MODULES)]
    chunks = [range(k, min(tasks, k + 50)) for k in range(0, tasks, 50)]
    pipelines = [
        f"p{n} = Pipeline([{', '.join(f't{i}' for i in range(chunk.stop))}], name='p{n}')"
        for n, chunk in enumerate(chunks)
    ]
    (pkg / "pipelines.py").write_text(
        "\n".join(["from glacier import Pipeline", *imports, "", *pipelines]) + "\n"
    )
    config = "[mypy]\n" + ("plugins = glacier_mypy\n" if plugin else "")
    (root / "mypy.ini").write_text(config)


def run_mypy(root: Path, *args: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, stdout) of one mypy run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", *args, "-p", "proj"],
        cwd=root,
        capture_output=True,
        text=True,
        # MYPYPATH: find `glacier` however it is installed (same for both variants).
        env={**os.environ, "GLACIER_STRICT": "1", "MYPYPATH": str(REPO)},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode not in (0, 1) or "INTERNAL ERROR" in completed.stderr:
        raise SystemExit(f"mypy failed in {root}:\n{completed.stdout}\n{completed.stderr}")
    return wall, cpu, completed.stdout


IN_PROCESS = """
import json, os, resource, sys
import mypy.api
import glacier_mypy  # imported once, before timing: these runs measure the checks only

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

roots, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
best = {}
for _ in range(repeat):
    for name, root in roots.items():
        os.chdir(root)
        start = cpu()
        mypy.api.run(["--config-file", "mypy.ini", "--no-incremental", "-p", "proj"])
        best[name] = min(best.get(name, 1e9), cpu() - start)
print(json.dumps(best))
"""

IMPORT_COST = """
import resource, sys
import mypy.build, mypy.nodes, mypy.plugin, mypy.types  # what mypy has loaded already

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

start = cpu()
import glacier_mypy
print(cpu() - start, int("networkx" in sys.modules))
"""


def in_process(roots: dict[str, Path], repeat: int) -> dict[str, float]:
    """Best CPU seconds per variant, mypy and the plugin already imported."""
    completed = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, json.dumps({k: str(v) for k, v in roots.items()}),
         str(repeat)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "GLACIER_STRICT": "1", "MYPYPATH": str(REPO)},
    )  # fmt: skip
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def import_cost() -> tuple[float, bool]:
    """(CPU seconds to import the plugin, whether that imported networkx), fresh process."""
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_COST], capture_output=True, text=True, check=True
    )
    seconds, networkx = completed.stdout.split()
    return float(seconds), networkx == "1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=9)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="glacier-bench-mypy-") as tmp:
        roots = {name: Path(tmp) / name for name in ("plugin", "baseline")}
        for name, root in roots.items():
            generate(root, options.tasks, plugin=name == "plugin")

        cold: dict[str, list[tuple[float, float]]] = {name: [] for name in roots}
        outputs: dict[str, str] = {}
        for round_ in range(options.repeat):
            for name in list(roots)[:: 1 if round_ % 2 == 0 else -1]:
                wall, cpu, out = run_mypy(roots[name], "--no-incremental")
                cold[name].append((wall, cpu))
                outputs[name] = out
        for name, out in outputs.items():
            if "error" in out:
                raise SystemExit(f"unexpected errors in the {name} project:\n{out}")

        warm: dict[str, tuple[float, float]] = {}
        for name, root in roots.items():
            run_mypy(root)  # fill the cache
            with (root / "proj" / "pipelines.py").open("a") as handle:
                handle.write("again = Pipeline([t0, t1])\n")
            wall, cpu, _ = run_mypy(root)
            warm[name] = (wall, cpu)

        checks = in_process(roots, options.repeat)
        imports = min(import_cost() for _ in range(3))

    print(f"mypy plugin benchmark: {options.tasks} tasks and datasets, {MODULES} task modules,")
    print(f"{len(range(0, options.tasks, 50))} pipelines; {options.repeat} rounds of cold runs")
    # Each plugin run next to its baseline run, seconds apart: the machine's drift cancels.
    pairs = sorted(p[1] / b[1] for p, b in zip(cold["plugin"], cold["baseline"], strict=True))
    print(
        f"cold CPU ratio plugin/baseline, median of {len(pairs)} rounds: "
        f"{statistics.median(pairs):.3f}  (target <= 1.10; rounds: "
        f"{', '.join(f'{r:.2f}' for r in pairs)})"
    )
    medians = {name: statistics.median(c for _, c in runs) for name, runs in cold.items()}
    print(
        f"median cold CPU: plugin {medians['plugin']:.2f} s, baseline {medians['baseline']:.2f} s"
        f" -> ratio {medians['plugin'] / medians['baseline']:.3f}"
    )
    header = f"{'best cold wall (s)':>19} {'best cold CPU (s)':>18} {'warm wall (s)':>14}"
    print(f"{'variant':<10} {header}")
    best = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in cold.items()}
    for name in roots:
        print(f"{name:<10} {best[name][0]:>19.2f} {best[name][1]:>18.2f} {warm[name][0]:>14.2f}")
    wall_ratio = best["plugin"][0] / best["baseline"][0]
    cpu_ratio = best["plugin"][1] / best["baseline"][1]
    warm_ratio = warm["plugin"][0] / warm["baseline"][0]
    print(f"ratio of the bests: cold wall {wall_ratio:.3f}, cold CPU {cpu_ratio:.3f}; "
          f"warm wall {warm_ratio:.3f} (one run each)")  # fmt: skip
    check_ratio = checks["plugin"] / checks["baseline"]
    print(
        f"checking only (one process, imports done): plugin {checks['plugin']:.2f} s, "
        f"baseline {checks['baseline']:.2f} s CPU, ratio {check_ratio:.3f}"
    )
    seconds, networkx = imports
    print(
        f"one-off plugin import per mypy process: {seconds:.3f} s CPU"
        + (" (including networkx)" if networkx else " (networkx not imported)")
    )


if __name__ == "__main__":
    main()
