"""Tests mirror the code. For every module of components/, policy/, ops/ and mocks/ that defines
a function or a class, `tests/<its folder>/test_<its name>.py` exists and holds at least one test;
and every `test_<name>.py` under tests/components, tests/policy, tests/ops and tests/mocks names
a module of the code (or a test helper beside it, such as tests/ops/fake_controller.py).

Names are Python's: `components/specs.py` is the module `components.specs`, tested in
tests/components/test_specs.py; a package's own code (its `__init__.py`) is the package:
components/existing/__init__.py is `components.existing`, tested in
tests/components/test_existing.py. A module that defines no function and no class (a package
marker, an entry script such as ops/__main__.py, a table of constants such as
components/conntrack/kernel.py) has no behaviour of its own to test: the tests of the modules
that use it cover it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
CODE = ("components", "policy", "ops", "mocks")
# Modules that define a function yet have no mirrored test file, each with where it is tested.
EXCEPTIONS = {
    # `provision` only defers importing the EKS modules (and with them the AWS SDKs) until it
    # runs: the whole-program EKS tests (tests/program) check the deferral and run it.
    "components/eks/__init__.py",
    # Only TypedDicts of the SDKs' keyword arguments: mypy checks them at the SDK calls.
    "components/eks/sdk_args.py",
}


def modules() -> list[Path]:
    return sorted(p for folder in CODE for p in (ROOT / folder).rglob("*.py"))


def defines_behaviour(module: Path) -> bool:
    tree = ast.parse(module.read_text())
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) for node in ast.walk(tree))


def mirrored_test(module: Path) -> Path:
    """tests/<folder>/test_<name>.py of a module; a package's __init__.py is the package."""
    relative = module.relative_to(ROOT)
    if relative.name == "__init__.py":
        relative = relative.parent
    return TESTS / relative.parent / f"test_{relative.name.removesuffix('.py')}.py"


def holds_a_test(test_file: Path) -> bool:
    """A `test_*` function at the top of the file or in a `Test*` class (what pytest collects)."""
    body = ast.parse(test_file.read_text()).body
    classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name.startswith("Test")]
    candidates = body + [m for c in classes for m in c.body]
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    return any(isinstance(n, functions) and n.name.startswith("test") for n in candidates)


def test_every_module_has_its_mirrored_test_file() -> None:
    missing = [
        f"{mirrored_test(m).relative_to(ROOT)} (for {m.relative_to(ROOT)})"
        for m in modules()
        if defines_behaviour(m)
        and str(m.relative_to(ROOT)) not in EXCEPTIONS
        and not (mirrored_test(m).is_file() and holds_a_test(mirrored_test(m)))
    ]
    assert not missing, (
        "modules without a test file that mirrors them (or without a test in it):\n"
        + "\n".join(missing)
    )


def test_every_mirrored_test_file_names_a_module() -> None:
    strays = []
    for folder in CODE:
        for test_file in sorted((TESTS / folder).rglob("test_*.py")):
            name = test_file.stem.removeprefix("test_")
            code_folder = ROOT / test_file.parent.relative_to(TESTS)
            candidates = (
                code_folder / f"{name}.py",
                code_folder / name / "__init__.py",
                # A test helper beside the tests (tests/ops/fake_controller.py).
                test_file.parent / f"{name}.py",
            )
            if not any(c.is_file() for c in candidates):
                strays.append(str(test_file.relative_to(ROOT)))
    assert not strays, "test files that name no module:\n" + "\n".join(strays)


def test_every_exception_still_needs_to_be_one() -> None:
    for exception in sorted(EXCEPTIONS):
        module = ROOT / exception
        assert module.is_file(), f"{exception} is gone: drop it from EXCEPTIONS"
        assert defines_behaviour(module), f"{exception} defines nothing: the rule covers it"
        assert not mirrored_test(module).is_file(), f"{exception} has its test file now"


def test_the_mirror_of_a_module_and_of_a_package() -> None:
    assert mirrored_test(ROOT / "components/specs.py") == TESTS / "components/test_specs.py"
    assert mirrored_test(ROOT / "ops/verify.py") == TESTS / "ops/test_verify.py"
    assert mirrored_test(ROOT / "components/settings/eks/cni.py") == (
        TESTS / "components/settings/eks/test_cni.py"
    )
    assert mirrored_test(ROOT / "components/existing/__init__.py") == (
        TESTS / "components/test_existing.py"
    )
    assert not defines_behaviour(ROOT / "ops/__main__.py")
    assert defines_behaviour(ROOT / "components/versions.py")
