"""`glacier compile` from source and `pipeline.compile()` at run time write the same bytes.

Hypothesis generates projects (DAG shapes, compute of every kind, storage, options in
pyproject.toml); each is compiled both ways and the files compared byte for byte.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glacier.cli import main
from glacier.runtime.importing import importing_user_code
from glacier.targets import AWSTarget
from tests.compile.helpers import import_module

COMPUTES = st.sampled_from(
    [
        "",
        "compute.local()",
        "compute.local(workers=3)",
        "compute.serverless()",
        "compute.serverless(memory=2048, timeout=60)",
        "compute.container('spark:latest', cpu=4, memory=8192)",
        "compute.container('python:3.12', cpu=0.5)",
        "compute.container(image='etl:1', memory=3000)",
    ]
)


@st.composite
def projects(draw: st.DrawFn) -> tuple[list[tuple[str, list[int], str, bool]], str]:
    count = draw(st.integers(min_value=1, max_value=8))
    tasks = []
    for i in range(count):
        dependencies = sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else []
        stored = draw(st.booleans())
        tasks.append((f"step_{i}", dependencies, draw(COMPUTES), stored))
    options = draw(
        st.sampled_from(
            [
                "",
                '[tool.glacier.aws]\nregion = "eu-west-1"\n',
                '[tool.glacier.aws]\nlocal = "lambda"\ntags = { team = "data" }\n',
            ]
        )
    )
    return tasks, options


def write(root: Path, tasks: list[tuple[str, list[int], str, bool]], options: str) -> Path:
    (root / "pyproject.toml").write_text(f"[project]\nname = 'gen'\n{options}")
    lines = [
        "from glacier import AWSTarget, Dataset, Pipeline, compute, task",
        "from glacier.storage import S3",
        "",
    ]
    for i, (_, _, _, stored) in enumerate(tasks):
        storage = f", storage=S3(bucket='lake', prefix='d{i}/')" if stored else ""
        lines.append(f'd{i} = Dataset("d{i}"{storage})')
    for i, (name, dependencies, compute, _) in enumerate(tasks):
        parameters = ", ".join(f"x{d}: d{d}" for d in dependencies)
        lines += ["", f"@task(compute={compute})" if compute else "@task"]
        lines += [f"def {name}({parameters}) -> d{i}:", "    return 1"]
    names = ", ".join(t[0] for t in tasks)
    lines += ["", f'pipeline = Pipeline([{names}], name="gen")', ""]
    path = root / "gen_flow.py"
    path.write_text("\n".join(lines))
    return path


def files_of(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_source_and_runtime_compile_to_the_same_bytes(
    project: tuple[list[tuple[str, list[int], str, bool]], str],
) -> None:
    tasks, options = project
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        path = write(root, tasks, options)
        code = main(
            ["compile", str(path), "--target", "aws", "--out", str(root / "static"), "--no-cache"]
        )
        assert code == 0
        module = import_module(path, "gen_flow")
        module.pipeline.compile(target=AWSTarget()).to_terraform(root / "runtime")
        assert files_of(root / "static") == files_of(root / "runtime")


def test_compile_is_skipped_while_glacier_imports_the_module(tmp_path: Path) -> None:
    path = write(tmp_path, [("only", [], "", False)], "")
    with path.open("a") as handle:
        handle.write(
            f'pipeline.compile(target=AWSTarget()).to_terraform(r"{tmp_path / "infra"}")\n'
        )
    with importing_user_code():
        import_module(path, "gen_flow", as_glacier=False)
    assert not (tmp_path / "infra").exists()
    import_module(path, "gen_flow", as_glacier=False)
    assert (tmp_path / "infra" / "main.tf.json").is_file()


def test_code_arguments_override_pyproject_options(tmp_path: Path) -> None:
    path = write(tmp_path, [("only", [], "", False)], '[tool.glacier.aws]\nregion = "eu-west-1"\n')
    module = import_module(path, "gen_flow")
    files = module.pipeline.compile(target=AWSTarget(region="us-east-2")).files()
    assert b'"default": "us-east-2"' in files["variables.tf.json"]
