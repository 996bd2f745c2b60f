"""The domain names no payment provider: the wire vocabulary (ErrorInfo reasons, `stripe_*`
metadata keys) belongs to service.errors, and Stripe's own terms to stripe_adapter.

A guard, import-linter style, over the source text: no string literal and no identifier in
domain/ mentions the provider. Docstrings and comments may (they explain, they do not decide).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
PROVIDER = "stripe"


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string Constants that stand alone as a statement: docstrings (of a module,
    class, function, or the attribute above them), documentation rather than values."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement in body:
            value = statement.value if isinstance(statement, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def _provider_mentions(path: Path, root: Path = DOMAIN.parent) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = _docstrings(tree)
    mentions: list[str] = []
    for node in ast.walk(tree):
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            if id(node) in docstrings:
                continue
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.arg | ast.keyword):
            text = node.arg
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            text = node.name
        elif isinstance(node, ast.alias):
            text = f"{node.name} {node.asname or ''}"
        elif isinstance(node, ast.ImportFrom):
            text = node.module
        if text and PROVIDER in text.lower():
            mentions.append(f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}")
    return mentions


SOURCES = sorted(DOMAIN.rglob("*.py"))


def test_the_domain_has_sources() -> None:
    assert DOMAIN / "errors.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(DOMAIN.parent)))
def test_no_literal_or_name_in_the_domain_mentions_the_provider(path: Path) -> None:
    assert _provider_mentions(path) == []


def test_the_guard_sees_literals_and_names_but_not_docstrings(tmp_path: Path) -> None:
    sample = tmp_path / "domain" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        '"""Stripe may be named here."""\n'
        "class A:\n"
        '    """and Stripe here."""\n'
        '    reason = "STRIPE_X"  # and Stripe in a comment\n'
        "def f(stripe_id: str) -> str:\n"
        '    return f"{stripe_id}"\n'
    )
    assert sorted(_provider_mentions(sample, root=tmp_path)) == [
        "domain/sample.py:4",
        "domain/sample.py:5",
        "domain/sample.py:6",
    ]


# The provider's own words for states and its id prefixes: the adapter maps them (translate.py).
PROVIDER_WORDS = (
    "requires_payment_method",
    "requires_action",
    "no_payment_required",
    "complete",
    "cs_",
    "pi_",
    "prod_",
    "cus_",
)


def _string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = _docstrings(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(DOMAIN.parent)))
def test_no_literal_in_the_domain_is_a_provider_state_or_id_prefix(path: Path) -> None:
    found = [text for text in _string_literals(path) for word in PROVIDER_WORDS if word in text]
    assert found == []
