"""The project's benchmarks, each measured side by side in one run (medians, ratios).

    .venv/bin/python benchmarks/run.py [--runs 10] [--suite-runs 10]

1. the prod stack evaluated under Pulumi mocks vs a minimal baseline program (one RandomBytes,
   one Release with static values) in the same harness, each a fresh process;
2. `python -m up2u_jupyter values --stack prod` and `check --stack prod` (chart schema
   validated), and `check` with the schema skipped, vs two floors: the libraries imported
   (`import yaml; from pydantic import BaseModel`), and the same plus one pydantic model defined
   and validated (pydantic 2 loads its schema builder and plugin scan, ~45 ms, only then);
3. the unit-test suite's wall time (pytest -m "not e2e"); `--suite-runs 0` skips it.

Each line gives wall-time medians and, steadier on a shared machine, CPU-time medians.
"""

import argparse
import compileall
import sys
from pathlib import Path

from timing import summary, time_commands

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--suite-runs", type=int, default=10)
    args = parser.parse_args()
    # Operators run with the project's bytecode cached (Python writes it on first import). A
    # shell with PYTHONDONTWRITEBYTECODE=1 (this machine's) would otherwise recompile ~7k lines
    # on every run and bill it to the command: ~40 ms of `values`.
    compileall.compile_dir(ROOT / "up2u_jupyter", quiet=1)
    mocks = {
        "baseline program under mocks": [PY, "benchmarks/mock_program.py", "baseline"],
        "prod stack under mocks": [PY, "benchmarks/mock_program.py", "prod"],
    }
    values = {
        "floor: import yaml; from pydantic import BaseModel": [
            PY, "-c", "import yaml; from pydantic import BaseModel"
        ],
        "floor + one pydantic model": [
            PY, "-c", "import yaml; from pydantic import BaseModel\n"
            "class M(BaseModel):\n    x: int\nM(x=1)"
        ],
        "values --stack prod": [PY, "-m", "up2u_jupyter", "values", "--stack", "prod"],
        "check --stack prod": [PY, "-m", "up2u_jupyter", "check", "--stack", "prod"],
        "check --stack prod, chart schema skipped": [
            "env", "UP2U_CHART_SCHEMA=/nonexistent", PY, "-m", "up2u_jupyter", "check",
            "--stack", "prod",
        ],
    }  # fmt: skip
    suite = {"unit suite": [PY, "-m", "pytest", "-q", "-m", "not e2e", "-p", "no:cacheprovider"]}
    for title, commands, runs, bases in (  # --suite-runs 0 skips the suite
        ("1. Pulumi mocks: prod stack vs minimal baseline", mocks, args.runs, 1),
        ("2. values and check vs the two library floors", values, args.runs, 2),
        ("3. unit-test suite wall time", suite, args.suite_runs, 1),
    ):
        print(title, flush=True)
        for line in summary(time_commands(commands, runs, str(ROOT)), bases):
            print(f"  {line}", flush=True)


if __name__ == "__main__":
    main()
