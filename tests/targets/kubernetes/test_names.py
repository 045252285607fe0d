"""Kubernetes naming and quantity rules, checked against the same rules in the published schemas."""

from __future__ import annotations

import doctest
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glacier.targets.kubernetes import names
from glacier.targets.kubernetes.names import (
    LABEL_MAX,
    cpu_quantity,
    is_quantity,
    label_problem,
    memory_quantity,
    subdomain_problem,
    to_label,
)

IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,90}", fullmatch=True)


def test_doctests() -> None:
    assert doctest.testmod(names).failed == 0


@pytest.mark.parametrize("name", ["a", "clean-users", "x1", "1x", "a" * 63])
def test_valid_labels(name: str) -> None:
    assert label_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "must not be empty"),
        ("a" * 64, "must be at most 63 characters, not 64"),
        ("Clean", "lowercase"),
        ("clean_users", "lowercase"),
        ("-a", "starting and ending"),
        ("a-", "starting and ending"),
        ("a.b", "lowercase"),
    ],
)
def test_invalid_labels(name: str, problem: str) -> None:
    found = label_problem(name)
    assert found is not None and problem in found


def test_subdomains() -> None:
    assert subdomain_problem("argo.glacier-1") is None
    assert subdomain_problem("a" * 254) == "must be at most 253 characters, not 254"
    assert subdomain_problem("a..b") is not None
    assert subdomain_problem("A.b") is not None


def test_identifiers_keep_their_reading() -> None:
    assert to_label("clean_users") == "clean-users"
    assert to_label("merge_data2") == "merge-data2"


def test_changed_or_long_names_get_a_hash() -> None:
    assert re.fullmatch(r"cleanusers-[0-9a-f]{8}", to_label("CleanUsers"))
    assert re.fullmatch(r"x-[0-9a-f]{8}", to_label("___"))
    long = to_label("t" * 100)
    assert len(long) == LABEL_MAX and label_problem(long) is None
    assert to_label("t" * 100) != to_label("t" * 101)
    assert len(to_label("t" * 100, max_length=20)) == 20


@given(IDENTIFIERS)
def test_every_identifier_becomes_a_valid_label(text: str) -> None:
    assert label_problem(to_label(text)) is None


@given(IDENTIFIERS, IDENTIFIERS)
def test_distinct_identifiers_stay_distinct(first: str, second: str) -> None:
    if first != second:
        assert to_label(first) != to_label(second)


@pytest.mark.parametrize(
    ("cpus", "quantity"),
    [
        (4, "4"),
        (8.0, "8"),
        (0.5, "500m"),
        (0.25, "250m"),
        (1.5, "1500m"),
        (0.0001, "1m"),
        (0.1 + 0.2, "300m"),
        (0.0015, "2m"),
    ],
)
def test_cpu_quantities(cpus: float, quantity: str) -> None:
    assert cpu_quantity(cpus) == quantity
    assert is_quantity(quantity)


def test_cpu_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        cpu_quantity(0)


def test_memory_quantities() -> None:
    assert memory_quantity(8192) == "8192Mi"
    assert memory_quantity(512) == "512Mi"
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive whole number of MB"):
            memory_quantity(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["500m", "4", "8192Mi", "1Gi", "1e3", "0.5", "+1", ".5"])
def test_quantity_syntax_accepts(text: str) -> None:
    assert is_quantity(text)


@pytest.mark.parametrize("text", ["", "8 GB", "8GB", "m", "1.2.3", "4 cpu", "500mi"])
def test_quantity_syntax_refuses(text: str) -> None:
    assert not is_quantity(text)
