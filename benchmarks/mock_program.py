"""One evaluation under the test suite's Pulumi mocks: the prod stack, or a minimal baseline.

    python benchmarks/mock_program.py prod|baseline

The baseline is the floor for a Helm-release program: one RandomBytes and one Release with
static values, in the same harness. Prints the in-process evaluation time (after imports).
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pulumi_harness import start, stop  # noqa: E402


def baseline() -> None:
    import pulumi_random as random
    from pulumi_kubernetes.helm.v3 import Release, ReleaseArgs

    token = random.RandomBytes("token", length=32)
    Release(
        "release",
        ReleaseArgs(
            chart="jupyterhub",
            version="4.4.0",
            values={"proxy": {"secretToken": token.hex}, "hub": {"activeServerLimit": 100}},
        ),
    )


def prod() -> None:
    from up2u_jupyter import program
    from up2u_jupyter.stackfile import read_stack_config

    harness.set_config(read_stack_config(ROOT, "prod").values, secrets={"oauthClientSecret": "x"})
    program.pulumi.export = lambda name, value: None
    program.main()


if __name__ == "__main__":
    which = sys.argv[1]
    harness = start(stack="prod")
    started = time.perf_counter()
    harness.run(prod if which == "prod" else baseline)
    print(f"{time.perf_counter() - started:.4f}")
    stop(harness)
