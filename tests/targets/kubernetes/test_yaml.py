"""The YAML writer reads back (with PyYAML) as exactly what it was given."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from glacier.targets.kubernetes.yaml import dump, dump_documents

TEXT = st.characters(exclude_categories=["Cs"])
KEYS = st.text(TEXT, min_size=1, max_size=12)
SCALARS = st.none() | st.booleans() | st.integers() | st.text(TEXT, max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_round_trip(value: dict[str, Any]) -> None:
    assert yaml.safe_load(dump(value)) == (value or None)


def test_strings_that_look_like_other_values_are_quoted() -> None:
    text = dump({"a": "true", "b": "4", "c": "500m", "d": "{{workflow.uid}}", "e": "no", "f": ""})
    assert yaml.safe_load(text) == {
        "a": "true",
        "b": "4",
        "c": "500m",
        "d": "{{workflow.uid}}",
        "e": "no",
        "f": "",
    }
    assert 'b: "4"' in text and "name: clean-users" in dump({"name": "clean-users"})


def test_block_layout() -> None:
    value = {"spec": {"tasks": [{"name": "a", "depends": []}, ["x", {"k": 1}]], "empty": {}}}
    assert dump(value) == (
        "spec:\n  tasks:\n  - name: a\n    depends: []\n  - - x\n    - k: 1\n  empty: {}\n"
    )


def test_documents() -> None:
    assert list(yaml.safe_load_all(dump_documents([{"a": 1}, {"b": 2}]))) == [{"a": 1}, {"b": 2}]
