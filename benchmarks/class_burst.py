"""A class pressing Start at once against the preview's hub, beside capacity's prediction.

30 pupils of the dev stack's class (members of its pupils group) press Start together through
the REST API, as the spawn page does: a 429 ("Too many users trying to log in right now") is
answered by pressing again after the Retry-After the hub sends (30-60 s). Each pupil's time ends
when their JupyterLab page answers 200 through the proxy. Beside it, capacity's burst model
(``burst.simulate``) for the same limits, fed with one pupil's start measured alone in the same
run. Two hubs: the chart's default ``concurrentSpawnLimit`` (64: no refusals) and 10.

    .venv/bin/python benchmarks/class_burst.py [--runs 3] [--pupils 30]

On this machine every server starts on the same 2 cores; on a cluster each pod has its own
guaranteed CPU. The model's ``spawn_seconds`` is one server's start, so its gap to the
measurement here is mostly that contention: the figures say how large it is.
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import dev_class_profiles  # noqa: E402
from up2u_jupyter.burst import RETRY_RANGE, Burst, simulate  # noqa: E402
from up2u_jupyter.preview.plan import free_port  # noqa: E402
from up2u_jupyter.preview.processes import Preview  # noqa: E402
from up2u_jupyter.settings import load_settings  # noqa: E402
from up2u_jupyter.stackfile import read_stack_config  # noqa: E402

SERVICE = "class-burst"
TOKEN_ENV = "UP2U_CLASS_BURST_TOKEN"
PROFILE = "maths-3a"  # the class's profile (collaboration on), tests/conftest.py


def settings_for(spawn_limit: int) -> tuple[Any, str]:
    """The dev stack with its class's profiles, no active-server limit, the given spawn limit,
    and a service that makes users, puts them in the class and starts and opens their servers;
    and the class's pupils group."""
    raw = read_stack_config(ROOT, "dev").values
    raw["profiles"] = dev_class_profiles(raw)
    raw["hub"] |= {
        "activeServerLimit": None,
        "concurrentSpawnLimit": spawn_limit,
        "extraConfig": {
            "zz-class-burst": (
                "import os\nc.JupyterHub.services.append("
                f"{{'name': '{SERVICE}', 'api_token': os.environ['{TOKEN_ENV}']}})"
            )
        },
    }
    scopes = ["admin:users", "admin:groups", "servers", "access:servers"]
    raw["helmValues"] = {"hub": {"loadRoles": {SERVICE: {"scopes": scopes, "services": [SERVICE]}}}}
    return load_settings(raw, "dev"), raw["classes"][0]["pupils"]


class Api:
    """The hub's REST API and the users' servers, with the service's token."""

    def __init__(self, hub: str, token: str):
        self.hub, self.token = hub, token

    def call(self, method: str, url: str, body: Any = None) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], bytes]:
        return self.call(method, f"{self.hub}api/{path}", body)


def press_start(api: Api, name: str, started: float, out: dict[str, Any]) -> None:
    """One pupil: press Start until the hub takes it, then wait for JupyterLab."""
    refusals = 0
    while True:
        status, headers, body = api.api("POST", f"users/{name}/server", {"profile": PROFILE})
        if status in (201, 202):
            break
        if status != 429:
            out[name] = {"error": f"{status} {body[:200]!r}"}
            return
        refusals += 1
        time.sleep(float(headers.get("Retry-After", RETRY_RANGE[0])))
    lab = api.hub.replace("/hub/", f"/user/{name}/lab")
    while True:
        status, _, _ = api.call("GET", lab)
        if status == 200:
            break
        time.sleep(0.2)
    out[name] = {"seconds": time.monotonic() - started, "refusals": refusals}


def stop_all(api: Api, names: list[str]) -> None:
    """Stop every server and wait until none is left (asking again: a stop may be refused
    while the server is still starting)."""
    running = list(names)
    deadline = time.monotonic() + 300
    while running and time.monotonic() < deadline:
        for name in running:
            api.api("DELETE", f"users/{name}/server")
        time.sleep(1)
        running = [n for n in running if json.loads(api.api("GET", f"users/{n}")[2])["servers"]]
    if running:
        raise RuntimeError(f"servers still running: {running}")


def burst(api: Api, names: list[str]) -> dict[str, Any]:
    """Everyone presses at once; per pupil: seconds to their Lab and refusals."""
    out: dict[str, Any] = {}
    started = time.monotonic()
    threads = [threading.Thread(target=press_start, args=(api, n, started, out)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = {n: r["error"] for n, r in out.items() if "error" in r}
    if failed:
        raise RuntimeError(f"starts failed: {failed}")
    return out


def one_alone(api: Api, name: str) -> float:
    out: dict[str, Any] = {}
    press_start(api, name, time.monotonic(), out)
    stop_all(api, [name])
    return float(out[name]["seconds"])


def scenario(spawn_limit: int, pupils: int, runs: int) -> dict[str, Any]:
    token = secrets.token_hex(32)
    os.environ[TOKEN_ENV] = token  # the preview's hub inherits it; it is in no file
    settings, group = settings_for(spawn_limit)
    names = [f"burst-pupil-{n:02d}" for n in range(1, pupils + 1)]
    with Preview(settings, "dev", port=free_port()) as preview:
        api = Api(preview.url, token)
        api.api("POST", "users", {"usernames": names})
        status, _, body = api.api("POST", f"groups/{quote(group, safe='')}/users", {"users": names})
        assert status == 200, body  # the class's group exists: its teachers' role names it
        alone = [one_alone(api, names[0]) for _ in range(3)]
        lasts, refusals = [], []
        for _ in range(runs):
            out = burst(api, names)
            lasts.append(max(r["seconds"] for r in out.values()))
            refusals.append(sum(r["refusals"] for r in out.values()))
            stop_all(api, names)
    spawn = statistics.median(alone)
    model = {
        retry: simulate(
            Burst(pupils=pupils, window=0, spawn_limit=spawn_limit, spawn_seconds=spawn,
                  pull_seconds=0, node_seconds=0, per_node=pupils, free_at_start=pupils,
                  retry=retry)
        )
        for retry in RETRY_RANGE
    }  # fmt: skip
    return {
        "spawn_limit": spawn_limit,
        "one_alone": spawn,
        "last_lab": lasts,
        "refusals": refusals,
        "predicted": [model[r].last_ready for r in RETRY_RANGE],
        "predicted_refusals": model[RETRY_RANGE[0]].throttled,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pupils", type=int, default=30)
    args = parser.parse_args()
    print(f"{args.pupils} pupils press Start at once (profile {PROFILE}), {args.runs} runs each")
    for limit in (64, 10):
        found = scenario(limit, args.pupils, args.runs)
        measured = statistics.median(found["last_lab"])
        low, high = found["predicted"]
        print(
            f"  concurrentSpawnLimit {limit}: one pupil alone {found['one_alone']:.1f} s; "
            f"last Lab after {measured:.1f} s (median; runs "
            f"{', '.join(f'{s:.1f}' for s in found['last_lab'])}), refusals "
            f"{statistics.median(found['refusals']):g}; predicted {low:.1f}-{high:.1f} s with "
            f"{found['predicted_refusals']} refusals; measured/predicted "
            f"{measured / high:.2f}-{measured / low:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
