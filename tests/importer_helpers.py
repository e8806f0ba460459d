"""Shared helpers of the import-values tests: run the CLI, read what it wrote."""

import io
from pathlib import Path
from typing import Any

import pytest

from up2u_jupyter.cli import run
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import Auth, load_settings
from up2u_jupyter.stackfile import read_stack_config

FILES = Path(__file__).parent / "values_files"
REAL = FILES / "real"

needs_auth_options = pytest.mark.skipif(
    "options" not in Auth.model_fields,
    reason="needs the access-control auth model (auth.options, auth.secretOptions)",
)
"""Marks tests of authenticators outside the five modelled ones: the stack expresses them with
``auth.options``, which the access-control work adds to the settings."""


def corpus_case(*args: str, options: bool = False, **expect: Any) -> Any:
    """One corpus fixture's answers (command-line arguments) and what must survive."""
    marks = [needs_auth_options] if options else []
    return pytest.param(list(args), expect, marks=marks)


def call(*argv: Any) -> tuple[int, str, str]:
    """Run one CLI command in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = run([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def import_values(
    project_dir: Path, path: Path, *extra: Any, stack: str = "imported"
) -> tuple[int, str, str]:
    """``import-values PATH --stack STACK --project-dir DIR EXTRA...``."""
    return call("import-values", path, "--stack", stack, "--project-dir", project_dir, *extra)


def stack_values(project_dir: Path, stack: str = "imported") -> dict[str, Any]:
    """The stack config the import wrote (project keys without the prefix)."""
    return read_stack_config(project_dir, stack).values


def rendered(project_dir: Path, stack: str = "imported") -> dict[str, Any]:
    """The Helm values the imported stack deploys (generated secrets as placeholders)."""
    return offline_values(load_settings(stack_values(project_dir, stack), stack))
