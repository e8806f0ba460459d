"""The effective deployment and the invariants judged on it.

``effective`` builds what the cluster will run from a stack's settings and its release values:
the values over the chart's defaults, the hub's traitlets config as the chart's
``jupyterhub_config.py`` derives it (``hubconfig``), and the literal writes of the stack's
``hub.extraConfig`` snippets, read without running them (``snippets``). ``judge`` runs every
invariant on it, each a small module returning ``Finding``s: one line per problem with the
key to change, the value (bounded, never a secret) and the fix.

One entry point for all who judge: ``check`` and ``values`` (``offline.py``), the Pulumi
program before it registers anything (``program.py``), and the policy pack (``policy/``).
What each invariant guarantees, and why, is in docs/checks.md.
"""

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from ..chart import files as chartfiles
from ..settings import Settings
from . import bounds, environment, loading, pages, podsecurity, signin
from .model import Deployment, Finding, effective

Invariant = Callable[[Deployment], list[Finding]]

INVARIANTS: tuple[Invariant, ...] = (
    loading.check,
    signin.check,
    environment.check,
    pages.check,
    bounds.check,
    podsecurity.check,
)
"""Every invariant, in the order their lines are printed."""


def chart_finding(problem: Any) -> Finding:
    """One of the chart's refusals (a ``chart.rules.ChartProblem``) as a finding."""
    from ..credentials import PROJECT
    from ..errors import shown_key

    key = ".".join(shown_key(part) for part in problem.key)
    fix = f"fix {PROJECT}:helmValues (or the key that renders it)"
    return Finding(f"values {key}", f"{problem.message}; {fix}")


def chart_template_rules(deployment: Deployment) -> list[Finding]:
    """Where the chart's templates ``fail`` (NOTES.txt, extraEnv types, extraFiles) and what
    Kubernetes refuses after the chart passed it on (``chart.rules``, issue 18)."""
    from ..chart import rules as chartrules

    return [chart_finding(problem) for problem in chartrules.problems(deployment.values)]


def judge(deployment: Deployment) -> list[Finding]:
    """Every problem of the effective deployment: errors and warnings, one each."""
    found = []
    for invariant in (*INVARIANTS, chart_template_rules):
        found += invariant(deployment)
    return list(dict.fromkeys(found))


def judge_stack(
    settings: Settings,
    values: Mapping[str, Any],
    secret_env: Collection[str] = (),
    project_dir: Path = chartfiles.PROJECT_ROOT,
    stack: str = "<stack>",
) -> list[Finding]:
    """``judge`` of the stack whose release gets ``values``."""
    return judge(effective(settings, values, secret_env, project_dir, stack))


__all__ = ["INVARIANTS", "Deployment", "Finding", "effective", "judge", "judge_stack"]
