"""The benchmarks' programs still run: a benchmark that fails only when someone runs it rots
unseen (prod's required backup keys once broke benchmarks/mock_program.py this way)."""

import importlib.util
import sys

from tests.conftest import ROOT
from tests.pulumi_harness import unwrap

RELEASE = "kubernetes:helm.sh/v3:Release"


def load(name: str):
    path = ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # the benchmarks import their siblings by name
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def test_the_mock_benchmark_evaluates_the_prod_stack_and_the_baseline():
    mock_program = load("mock_program")
    _, prod = mock_program.evaluate("prod")
    values = unwrap(prod.one(RELEASE).inputs)[0]["values"]
    assert values["hub"]["db"]["type"] == "sqlite-pvc"
    assert len(prod.monitor.registrations) > 5
    _, baseline = mock_program.evaluate("baseline")
    assert [r.type for r in baseline.monitor.registrations].count(RELEASE) == 1
