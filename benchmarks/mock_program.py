"""One evaluation under the test suite's Pulumi mocks: the prod stack, or a minimal baseline.

    python benchmarks/mock_program.py prod|baseline

The baseline is the floor for a Helm-release program: one RandomBytes and one Release with
static values, in the same harness. Prints the in-process evaluation time (after imports).
"""

import json
import sys
import time
from pathlib import Path
from typing import Any

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


PROD_SECRETS = {
    "oauthClientSecret": "x",
    # prod backs its hub database up: the sidecar's S3 keys are secretEnv entries
    "secretEnv": json.dumps(
        {"UP2U_BACKUP_S3_ACCESS_KEY_ID": "id", "UP2U_BACKUP_S3_SECRET_ACCESS_KEY": "k"}
    ),
}


def prod(harness: Any) -> None:
    from up2u_jupyter import program
    from up2u_jupyter.stackfile import read_stack_config

    harness.set_config(read_stack_config(ROOT, "prod").values, secrets=PROD_SECRETS)
    program.pulumi.export = lambda name, value: None
    program.main()


def evaluate(which: str) -> tuple[float, Any]:
    """One evaluation's seconds (after imports), and the harness that recorded it (stopped)."""
    harness = start(stack="prod")
    try:
        started = time.perf_counter()
        harness.run(lambda: prod(harness) if which == "prod" else baseline())
        return time.perf_counter() - started, harness
    finally:
        stop(harness)


if __name__ == "__main__":
    print(f"{evaluate(sys.argv[1])[0]:.4f}")
