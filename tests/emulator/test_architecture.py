"""Architecture rule: ``stripe_adapter/`` is the only non-test code that imports ``stripe``.

The emulator speaks Stripe's wire protocol; it must not lean on the SDK it is meant to test.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import stripe_emulator

PACKAGE = Path(stripe_emulator.__file__).resolve().parent
REPO = PACKAGE.parent


_DYNAMIC_IMPORTS = {"import_module", "__import__"}


def _stripe_imports(source: str, filename: str) -> list[str]:
    """``file:line: statement`` for every import of ``stripe`` (or a submodule) in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in _DYNAMIC_IMPORTS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            modules = [node.args[0].value]
        else:
            continue
        if any(module == "stripe" or module.startswith("stripe.") for module in modules):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_package_has_modules_to_check() -> None:
    names = {path.name for path in PACKAGE.rglob("*.py")}
    assert {"__init__.py", "app.py", "testing.py"} <= names


def test_no_emulator_module_imports_stripe() -> None:
    offending = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        for hit in _stripe_imports(path.read_text(), str(path.relative_to(REPO)))
    ]
    assert offending == [], "stripe_emulator must not import stripe:\n" + "\n".join(offending)


def test_the_checker_sees_every_import_form() -> None:
    sample = (
        "import stripe\n"
        "import stripe.error as e\n"
        "from stripe import StripeClient\n"
        "from stripe._error import APIError\n"
        "import importlib\n"
        "importlib.import_module('stripe')\n"
        "import stripe_emulator\n"  # a different top-level name: allowed
        "from stripe_emulator import app\n"
        "from . import stripe_like\n"  # relative: inside the package
    )
    hits = _stripe_imports(sample, "sample.py")
    assert [hit.split(":")[1] for hit in hits] == ["1", "2", "3", "4", "6"]


def test_importing_every_emulator_module_does_not_load_stripe() -> None:
    """The same rule at run time, transitive imports included (a fresh interpreter)."""
    program = (
        "import importlib, pkgutil, sys\n"
        "import stripe_emulator\n"
        "for info in pkgutil.walk_packages(stripe_emulator.__path__, 'stripe_emulator.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m == 'stripe' or m.startswith('stripe.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]", result.stdout
