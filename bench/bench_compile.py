"""Compile a 1,000-task pipeline to AWS Terraform from source (issue 17: within 2 s).

Each task reads one task of the level before and one further back (20 levels of 50, the
shape the Step Functions limits are tested with). Timed in fresh processes, several rounds,
reported as median (min-max) of wall time and of the process's CPU time (user + sys: what
a shared, noisy machine distorts least):

* ``glacier compile PATH --target aws --out DIR`` end to end, cold (``--no-cache``: the
  analyzer parses everything; the goal is <= 2 s) and warm (the analyzer's cache filled by
  an earlier run, as after any ``glacier check``);
* baselines measured in the same run: ``glacier check PATH --no-cache`` on the same project
  (what compiling costs beyond analysing) and a bare ``python`` that parses the file with
  ``ast`` (the floor any from-source tool pays);
* in one process, the compile step alone (plan, Terraform, files written) from the
  analyzed model.

Python's bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``) as for an installed
package, even where ``PYTHONDONTWRITEBYTECODE`` is set; ``--no-bytecode`` measures
Glacier's modules compiled from source in every process too.

    python bench/bench_compile.py [--tasks 1000] [--rounds 5] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_project(root: Path, count: int) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    lines = ["from glacier import Dataset, Pipeline, compute, task", ""]
    lines += [f'd{i} = Dataset("d{i}")' for i in range(count)]
    for i in range(count):
        reads = sorted({i - 50, i // 3}) if i >= 50 else []
        parameters = ", ".join(f"x{d}: d{d}" for d in reads)
        kind = "compute.serverless(memory=512)" if i % 2 else "compute.container('etl:1', cpu=1)"
        lines += ["", f"@task(compute={kind})", f"def t{i}({parameters}) -> d{i}:", "    return 1"]
    names = ", ".join(f"t{i}" for i in range(count))
    lines += ["", f'pipeline = Pipeline([{names}], name="bench")', ""]
    path = root / "flow.py"
    path.write_text("\n".join(lines))
    return path


def timed(command: list[str], rounds: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``rounds`` runs of ``command``."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, check=False, env=env, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()}")
    return walls, cpus


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-bytecode", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "bytecode")
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        path = write_project(root, args.tasks)
        glacier = [sys.executable, "-m", "glacier"]
        out = root / "infra"
        compile_ = [*glacier, "compile", str(path), "--target", "aws", "--out", str(out)]
        cold = [*compile_, "--no-cache"]
        check = [*glacier, "check", str(path), "--no-cache"]
        bare = [sys.executable, "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"]
        timed(cold, 1, env)  # compiles Python's bytecode (when cached), as an install does
        results = {}
        # Interleaved, so a burst of load on the machine hits every command alike.
        for _ in range(args.rounds):
            for name, command in (
                ("cold", cold),
                ("check", check),
                ("bare", [*bare, str(path)]),
            ):
                walls, cpus = timed(command, 1, env)
                results.setdefault(name, ([], []))
                results[name][0].extend(walls)
                results[name][1].extend(cpus)
        timed(compile_, 1, env)  # fills the analyzer's cache
        results["warm"] = timed(compile_, args.rounds, env)
        step_time = compile_step(path, root / "step", args.rounds)
        files = sum(1 for p in out.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"tasks: {args.tasks}; files written: {files} ({size / 1e6:.1f} MB); rounds: {args.rounds}"
    )
    print("median (min-max)                          wall               cpu")
    for name, label in (
        ("cold", "glacier compile, cold (--no-cache)"),
        ("warm", "glacier compile, warm (cache)"),
        ("check", "glacier check, cold (baseline)"),
        ("bare", "python + ast.parse (bare baseline)"),
    ):
        walls, cpus = results[name]
        print(f"{label:38s} {summary(walls):18s} {summary(cpus)}")
    print(f"compile step alone (plan + Terraform + write), in process: {step_time:.2f} s")
    for base in ("check", "bare"):
        wall = [c / b for c, b in zip(results["cold"][0], results[base][0], strict=True)]
        cpu = [c / b for c, b in zip(results["cold"][1], results[base][1], strict=True)]
        print(
            f"cold compile / {base}, same round: wall {statistics.median(wall):.2f} "
            f"({min(wall):.2f}-{max(wall):.2f}), cpu {statistics.median(cpu):.2f} "
            f"({min(cpu):.2f}-{max(cpu):.2f})"
        )
    return 0 if statistics.median(results["cold"][0]) <= 2.0 else 1


def compile_step(path: Path, out: Path, rounds: int) -> float:
    sys.path.insert(0, str(ROOT))
    from glacier.cli.compile import _defined_in, analyze_project
    from glacier.compile import compile_project, select_pipeline
    from glacier.targets import AWSTarget

    settings, project, _ = analyze_project(path, cache=False)
    best = float("inf")
    for number in range(rounds):
        start = time.perf_counter()
        deployment = compile_project(
            project,
            select_pipeline(_defined_in(project, path), None, str(path)),
            settings.root,
            AWSTarget(),
            {},
            "",
        )
        deployment.to_terraform(out / str(number))
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    sys.exit(main())
