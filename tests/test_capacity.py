"""capacity: what a stack's concurrent users need, and the nodes that fit it."""

import io
from decimal import Decimal

import pytest

from tests.conftest import ROOT, minimal_config
from up2u_jupyter import capacity
from up2u_jupyter.cli import run
from up2u_jupyter.settings import load_settings
from up2u_jupyter.stackfile import read_stack_config

G, GI = Decimal(10**9), Decimal(2**30)


def settings_of(**overrides):
    return load_settings(minimal_config(**overrides), "test")


def test_prod_figures():
    prod = load_settings(read_stack_config(ROOT, "prod").values, "prod")
    result = capacity.plan(prod)  # nodes of 4 cores / 16Gi
    assert result.users == 100
    assert (result.cpu_guarantee, result.cpu_limit) == (Decimal(50), Decimal(200))
    assert (result.memory_guarantee, result.memory_limit) == (100 * G, 200 * G)
    assert result.storage == 1000 * G
    assert result.users_per_node == 8  # 4 cores / 0.5; memory would allow 17
    assert result.nodes == 13  # ceil(100 / 8)
    assert result.warnings == []


def test_hub_and_proxy_requests_take_room_on_the_first_node():
    config = settings_of(
        hub={"activeServerLimit": 8, "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
        proxy={"resources": {"requests": {"cpu": "500m", "memory": "512Mi"}}},
        singleuser={"cpu": {"guarantee": 0.5, "limit": 1}, "memory": {"guarantee": "1Gi"}},
    )
    result = capacity.plan(config, "4", "16Gi")
    assert (result.hub_cpu, result.proxy_memory) == (Decimal(1), 512 * 2**20)
    # first node: 2.5 cores left -> 5 users; then 8 per node for the other 3
    assert result.nodes == 2


def test_a_limit_bigger_than_a_node_is_warned():
    result = capacity.plan(settings_of(singleuser={"cpu": {"limit": 8}}), "4", "16Gi")
    assert "one user's CPU limit (8 cores) is more than a node has (4)" in result.warnings
    result = capacity.plan(settings_of(singleuser={"memory": {"limit": "32Gi"}}), "4", "16Gi")
    assert any("memory limit" in w for w in result.warnings)


def test_no_active_server_limit_is_warned_and_figures_are_per_user():
    result = capacity.plan(settings_of(), "4", "16Gi")
    assert result.users is None and result.nodes is None
    assert result.memory_guarantee == G  # the chart's default guarantee, one user
    assert result.warnings[0].startswith("no hub.activeServerLimit")


def test_zero_guarantees_are_warned():
    result = capacity.plan(settings_of(hub={"activeServerLimit": 5}), "4", "16Gi")
    assert any("guarantee of 0" in w for w in result.warnings)  # no cpu guarantee set


def test_guarantees_bigger_than_a_node():
    config = settings_of(hub={"activeServerLimit": 5}, singleuser={"cpu": {"guarantee": 8}})
    result = capacity.plan(config, "4", "16Gi")
    assert result.nodes is None
    assert "one user's guarantees do not fit on a node of this size" in result.warnings


def test_command_prints_the_figures_and_rejects_bad_node_sizes():
    out, err = io.StringIO(), io.StringIO()
    assert run(["capacity", "--stack", "prod", "--project-dir", str(ROOT)], out, err) == 0
    text = out.getvalue()
    assert text.startswith("stack prod: capacity for 100 concurrent users")
    assert "at least 13 of 4 cores / 17.2 G (16.0 Gi)" in text
    out, err = io.StringIO(), io.StringIO()
    code = run(["capacity", "--stack", "prod", "--project-dir", str(ROOT), "--node-memory", "16GB"],
               out, err)  # fmt: skip
    assert code == 2
    assert err.getvalue() == (
        "error: argument --node-memory: '16GB': not a Kubernetes quantity; "
        "write e.g. 500m, 0.5, 1Gi, 2G or 1e9\n"
    )


@pytest.mark.parametrize("cpu", ["1e30", "nan", "inf", "0", "-4", "9" * 5000])
def test_absurd_node_sizes_are_usage_errors(cpu):
    out, err = io.StringIO(), io.StringIO()
    argv = ["capacity", "--stack", "prod", "--project-dir", str(ROOT), "--node-cpu", cpu]
    assert run(argv, out, err) == 2
    assert err.getvalue().startswith("error: argument --node-cpu: ")
    assert len(err.getvalue().splitlines()) == 1 and len(err.getvalue()) < 200
