"""The preview's processes, for real: every way it can end leaves nothing behind.

Each test starts ``python -m up2u_jupyter preview`` (provider, hub, proxy, culler), ends it one
way (a signal, or one of its pieces dying) and checks that every process it had is gone, the
state folder (with the run's generated secrets) is removed, and the exit says why in one line.
No browser: these run in seconds each.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, write_stack
from up2u_jupyter.preview.plan import free_port
from up2u_jupyter.preview.processes import Preview

pytestmark = pytest.mark.e2e


class Running:
    """A ``preview`` command started and read up to its "Ctrl-C stops the preview." line."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "up2u_jupyter", "preview", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.lines: list[str] = []
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith("Ctrl-C stops the preview."):
                break
        else:
            pytest.fail(f"the preview did not start: {self.process.stderr.read()}")
        state = next(line for line in self.lines if line.startswith("state: "))
        self.state = Path(re.fullmatch(r"state: (\S+) \(removed on exit\)\n", state)[1])
        self.pids = {p.pid: p for p in psutil.Process(self.process.pid).children(recursive=True)}

    def named(self, word: str) -> psutil.Process:
        """The one process of the preview whose command line contains ``word``."""
        (proc,) = [p for p in self.pids.values() if word in " ".join(p.cmdline())]
        return proc

    def finish(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, "".join(self.lines) + out, err

    def left_behind(self) -> list[int]:
        time.sleep(0.5)
        return [
            pid
            for pid, proc in self.pids.items()
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
        ]


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_stops_every_process_and_removes_the_state(signum):
    running = Running("--stack", "dev", "--port", str(free_port()))
    assert len(running.pids) >= 4  # provider, hub, proxy, culler
    assert (running.state / "plan.json").exists()  # holds the run's generated secrets
    running.process.send_signal(signum)
    code, out, err = running.finish()
    assert (code, err) == (0, "")
    assert out.endswith("preview stopped\n")
    assert running.left_behind() == []
    assert not running.state.exists()


@pytest.mark.parametrize(
    ("piece", "word"),
    [
        ("jupyterhub", "-m jupyterhub -f"),
        ("configurable-http-proxy", "configurable-http-proxy"),
        ("oidc-provider", "up2u_jupyter.preview.provider"),
    ],
)
def test_a_piece_that_dies_stops_the_whole_preview(piece, word):
    running = Running("--stack", "dev", "--port", str(free_port()))
    running.named(word).kill()
    code, _, err = running.finish()
    assert code == 1
    assert err.startswith(f"error: {piece} stopped: ") and err.count("\n") == 1
    assert running.left_behind() == []  # a dead hub's proxy and culler included
    assert not running.state.exists()


@pytest.mark.parametrize("bad", ["0", "70000"])
def test_a_bad_port_is_a_usage_error_and_starts_nothing(bad, tmp_path):
    # its own TMPDIR: other workers' previews come and go in the shared one
    process = subprocess.run(
        [sys.executable, "-m", "up2u_jupyter", "preview", "--stack", "dev", "--port", bad],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert process.returncode == 2
    assert process.stderr == f"error: argument --port: '{bad}' is not a port; use 1 to 65535\n"
    assert list(tmp_path.iterdir()) == []


def test_every_server_listens_on_127_0_0_1_whatever_the_stack_says(project_dir):
    stack = open_addresses_stack()
    write_stack(project_dir, "open", stack)
    from up2u_jupyter.stackfile import load_stack

    _, settings = load_stack(project_dir, "open")
    with Preview(settings, "open", port=free_port()) as preview:
        listening = {
            (conn.laddr.ip, conn.pid)
            for conn in psutil.net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN and conn.pid in preview.processes()
        }
    assert len({pid for _, pid in listening}) >= 3  # provider, hub, proxy
    assert {ip for ip, _ in listening} == {"127.0.0.1"}


def open_addresses_stack() -> dict[str, object]:
    """The dev stack's auth with helmValues asking for every interface, both ways."""
    from tests.conftest import EDUTEAMS

    return {
        "domain": "jupyter.example.org",
        "auth": {"clientId": "c", **EDUTEAMS, "allowAll": True},
        "helmValues": {
            "hub": {
                "config": {
                    "JupyterHub": {"bind_url": "http://0.0.0.0:8000", "hub_ip": "0.0.0.0"},
                    "ConfigurableHTTPProxy": {"api_url": "http://0.0.0.0:8001"},
                    "Spawner": {"ip": "0.0.0.0"},
                },
                "extraConfig": {"zz": "c.JupyterHub.ip = '0.0.0.0'"},
            }
        },
    }


def started_by(pid: int) -> list[psutil.Process]:
    """Live processes that a preview with this pid started (its hub carries the pid)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("UP2U_PREVIEW_PID") == str(pid) and proc.status() != "zombie":
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_an_invalid_stack_config_is_one_line_and_leaves_nothing(project_dir):
    # the hub starts before the stack is read (to overlap its import time): it must not stay
    write_stack(project_dir, "bad", {**open_addresses_stack(), "cull": {"every": -1}})
    before = set(Path(tempfile.gettempdir()).glob("up2u-preview-bad-*"))
    process = subprocess.Popen(
        [sys.executable, "-m", "up2u_jupyter", "preview", "--stack", "bad",
         "--project-dir", str(project_dir), "--port", str(free_port())],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert (
        err.startswith("error: up2u-jupyter:cull.every (stack bad): -1: ") and err.count("\n") == 1
    )
    assert started_by(process.pid) == []
    assert set(Path(tempfile.gettempdir()).glob("up2u-preview-bad-*")) == before
