"""The analyzer cache holds signed data only, outside the project; the parsing pool works
whatever start method the platform has, or without processes at all."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from glacier.analysis import analyze_paths
from glacier.analysis import engine as engine_module
from glacier.analysis.cache import FactsCache, dumps, loads, project_cache_dir, user_cache_dir
from glacier.analysis.engine import POOL_THRESHOLD
from glacier.config import Settings

REPO = Path(__file__).resolve().parents[2]

FLOW = """\
from glacier import Dataset, Pipeline, task
from glacier.compute import local

raw = Dataset("raw")
clean = Dataset("clean")  # glacier: ignore[GLC008]


@task(compute=local(cpu=2))
def tidy(x: raw) -> clean: ...


@task
def loop_a(x: "loop_b") -> "loop_a": ...


@task
def loop_b(x: loop_a) -> "loop_b": ...


pipeline = Pipeline([tidy, loop_a, loop_b], name="shop")
"""


class _Sentinel:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch '{self.target}'",))


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("GLACIER_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "flow.py").write_text(FLOW)
    return root


def test_results_and_facts_round_trip_as_data(project: Path, user: Path) -> None:
    settings = Settings(root=project)
    cold = analyze_paths([project], settings, cache=False)
    assert cold.diagnostics and cold.project.pipelines
    assert loads(dumps(cold)) == cold
    first = analyze_paths([project], settings)
    second = analyze_paths([project], settings)  # the whole result, from the cache
    assert first == second == cold
    assert second.project.pipelines[0].graph.edges == cold.project.pipelines[0].graph.edges
    assert second.diagnostics[0].rule is cold.diagnostics[0].rule
    written = sorted(p.name for p in user.rglob("*") if p.is_file())
    assert "result.json" in written and "secret" in written
    assert not any((project / name).exists() for name in (".glacier_cache", ".glacier"))
    for path in user.rglob("*.json"):
        assert b"pickle" not in path.read_bytes() and path.read_bytes().startswith(b"glacier-cache")


def test_the_signing_key_is_private(user: Path, project: Path) -> None:
    analyze_paths([project], Settings(root=project))
    assert stat.S_IMODE((user / "secret").stat().st_mode) == 0o600
    assert len((user / "secret").read_bytes()) == 32


@pytest.mark.parametrize(
    "damage",
    ["pickle", "truncate", "flip", "swap", "foreign-key", "empty", "directory", "garbage"],
)
def test_any_damaged_or_planted_entry_is_a_miss(
    damage: str, project: Path, user: Path, tmp_path: Path
) -> None:
    settings = Settings(root=project)
    expected = analyze_paths([project], settings, cache=False)
    analyze_paths([project], settings)
    sentinel = tmp_path / "PWNED"
    entries = sorted(p for p in user.rglob("*.json"))
    assert len(entries) >= 2
    if damage == "foreign-key":  # a whole cache signed by another user's key
        (user / "secret").write_bytes(os.urandom(32))
    for entry in entries:
        data = entry.read_bytes()
        if damage == "pickle":
            entry.write_bytes(pickle.dumps(("k", _Sentinel(sentinel))))
        elif damage == "truncate":
            entry.write_bytes(data[: len(data) // 2])
        elif damage == "flip":
            entry.write_bytes(data[:-3] + bytes([data[-3] ^ 1]) + data[-2:])
        elif damage == "swap":  # a valid entry for another key
            other = next(e for e in entries if e != entry)
            entry.write_bytes(other.read_bytes())
        elif damage == "empty":
            entry.write_bytes(b"")
        elif damage == "directory":
            entry.unlink()
            entry.mkdir()
        elif damage == "garbage":
            entry.write_bytes(b'glacier-cache 1\n00\n{"@": "os.system", "v": ["touch x"]}')
    assert analyze_paths([project], settings) == expected
    assert analyze_paths([project], settings) == expected
    assert not sentinel.exists()


def test_a_planted_secret_only_costs_speed(project: Path, user: Path, tmp_path: Path) -> None:
    user.mkdir()
    sentinel = tmp_path / "PWNED"
    (user / "secret").write_bytes(pickle.dumps(_Sentinel(sentinel)))
    expected = analyze_paths([project], Settings(root=project), cache=False)
    assert analyze_paths([project], Settings(root=project)) == expected
    assert analyze_paths([project], Settings(root=project)) == expected
    assert not sentinel.exists()


def test_facts_for_another_key_are_refused(project: Path, user: Path) -> None:
    cache = FactsCache(project)
    facts = loads(dumps(analyze_paths([project], cache=False)))
    assert facts is not None
    from glacier.analysis.facts import FileFacts

    cache.put("aa" * 16, "full", FileFacts(mentions_glacier=True))
    assert cache.get("aa" * 16, "full") == FileFacts(mentions_glacier=True)
    source = cache._path("aa" * 16, "full")
    target = cache._path("bb" * 16, "full")
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes())
    assert cache.get("bb" * 16, "full") is None
    assert cache.get("aa" * 16, "light") is None


def test_an_unwritable_cache_only_costs_speed(project: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    cache = FactsCache(project, base=blocked / "cache")
    from glacier.analysis.facts import FileFacts

    cache.put("cc" * 16, "full", FileFacts())
    assert cache.get("cc" * 16, "full") is None


def test_the_cache_folder_is_per_user_and_per_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GLACIER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "glacier"
    one, two = (
        project_cache_dir(tmp_path / "a" / "shop"),
        project_cache_dir(tmp_path / "b" / "shop"),
    )
    assert one != two and one.parent == two.parent == tmp_path / "xdg" / "glacier" / "analyzer"
    assert one.name.startswith("shop-")


def test_nothing_under_the_run_engines_folder_is_read(project: Path, user: Path) -> None:
    run_folder = project / ".glacier" / "cache"
    run_folder.mkdir(parents=True)
    (run_folder / "task.py").write_text("import glacier\ndef broken(:\n")
    result = analyze_paths([project], Settings(root=project))
    assert all(".glacier" not in path.parts for path in result.files)


def _many_files(root: Path) -> None:
    for index in range(POOL_THRESHOLD + 4):
        (root / f"flow_{index}.py").write_text(
            FLOW.replace('"raw"', f'"raw_{index}"').replace('"shop"', f'"shop_{index}"')
        )


def test_the_pool_works_under_spawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _many_files(tmp_path)
    settings = Settings(root=tmp_path)
    expected = analyze_paths([tmp_path], settings, cache=False)
    started: list[str] = []

    def spawn() -> str:
        started.append("spawn")
        return "spawn"

    monkeypatch.setenv("GLACIER_STRICT", "1")  # a pool that cannot start raises here
    monkeypatch.setattr(engine_module, "start_method", spawn)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert analyze_paths([tmp_path], settings, cache=False) == expected
    assert started == ["spawn"]


def test_no_pool_means_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _many_files(tmp_path)
    settings = Settings(root=tmp_path)
    expected = analyze_paths([tmp_path], settings, cache=False)

    class NoProcesses:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError(38, "Function not implemented")

    monkeypatch.delenv("GLACIER_STRICT", raising=False)
    monkeypatch.setattr(engine_module, "ProcessPoolExecutor", NoProcesses)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert analyze_paths([tmp_path], settings, cache=False) == expected
