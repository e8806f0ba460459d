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


def bare(cpu="4", memory="16Gi"):
    """A node with nothing set aside: the hand-computed figures below count whole nodes."""
    return capacity.node_of(cpu, memory, "0", "0", "0", "0")


def test_prod_figures():
    prod = load_settings(read_stack_config(ROOT, "prod").values, "prod")
    result = capacity.plan(prod, bare())  # nodes of 4 cores / 16Gi
    assert result.users == 100
    assert (result.cpu_guarantee, result.cpu_limit) == (Decimal(50), Decimal(200))
    assert (result.memory_guarantee, result.memory_limit) == (100 * GI, 200 * GI)
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
    result = capacity.plan(config, bare())
    assert (result.hub_cpu, result.proxy_memory) == (Decimal(1), 512 * 2**20)
    # first node: 2.5 cores left -> 5 users; then 8 per node for the other 3
    assert result.nodes == 2


def test_a_limit_bigger_than_a_node_is_warned():
    result = capacity.plan(settings_of(singleuser={"cpu": {"limit": 8}}), bare())
    assert "one user's CPU limit (8 cores) is more than a node has (4)" in result.warnings
    result = capacity.plan(settings_of(singleuser={"memory": {"limit": "32Gi"}}), bare())
    assert any("memory limit" in w for w in result.warnings)


def test_no_active_server_limit_is_warned_and_figures_are_per_user():
    result = capacity.plan(settings_of(), bare())
    assert result.users is None and result.nodes is None
    assert (
        result.memory_guarantee == GI
    )  # the chart's default guarantee (1G to KubeSpawner = 1 GiB)
    assert result.warnings[0].startswith("no hub.activeServerLimit")


def test_zero_guarantees_are_warned():
    result = capacity.plan(settings_of(hub={"activeServerLimit": 5}), bare())
    assert any("guarantee of 0" in w for w in result.warnings)  # no cpu guarantee set


def test_guarantees_bigger_than_a_node():
    config = settings_of(hub={"activeServerLimit": 5}, singleuser={"cpu": {"guarantee": 8}})
    result = capacity.plan(config, bare())
    assert result.nodes is None
    assert "one user's guarantees do not fit on a node of this size" in result.warnings


def test_command_prints_the_figures_and_rejects_bad_node_sizes():
    out, err = io.StringIO(), io.StringIO()
    assert run(["capacity", "--stack", "prod", "--project-dir", str(ROOT)], out, err) == 0
    text = out.getvalue()
    assert text.startswith("stack prod: capacity for 100 concurrent users")
    # 7 a node, not 8: the reserve and the DaemonSets leave 3.72 of the 4 cores
    assert "at least 15 of 4 cores / 17.2 G (16.0 Gi)" in text
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


PROFILED = {
    "hub": {"activeServerLimit": 20},
    "singleuser": {
        "cpu": {"limit": 1, "guarantee": 0.25},
        "memory": {"limit": "2G", "guarantee": "1G"},
    },
    "profiles": [
        {"slug": "small", "displayName": "Small", "default": True},
        {"slug": "course", "displayName": "Course", "cpu": {"limit": 2, "guarantee": 1},
         "memory": {"limit": "8G", "guarantee": "4G"}},
    ],
}  # fmt: skip


def test_each_profile_has_its_figures_and_the_totals_are_the_worst_case():
    result = capacity.plan(settings_of(**PROFILED), bare("4", "16G"))
    small, course = result.profiles
    assert (small.slug, small.cpu_guarantee, small.memory_guarantee) == (
        "small",
        Decimal("0.25"),
        G,
    )
    assert (small.users_per_node, small.nodes) == (16, 2)  # cpu 4/0.25, memory 16/1
    assert (course.cpu_guarantee, course.memory_limit) == (Decimal(1), 8 * G)
    assert (course.users_per_node, course.nodes) == (4, 5)  # 20 users, 4 a node
    assert result.worst_profile == "course"
    assert (result.cpu_guarantee, result.memory_guarantee) == (Decimal(20), 80 * G)
    assert result.nodes == 5


def test_a_profile_that_fits_no_node_is_the_worst_case_and_warned():
    config = {**PROFILED, "profiles": [*PROFILED["profiles"], {"slug": "huge", "displayName": "H",
              "cpu": {"limit": 8, "guarantee": 8}}]}  # fmt: skip
    result = capacity.plan(settings_of(**config), bare("4", "16G"))
    assert result.worst_profile == "huge" and result.nodes is None
    assert "profile huge: one user's guarantees do not fit on a node of this size" in (
        result.warnings
    )
    assert "profile huge: one user's CPU limit (8 cores) is more than a node has (4)" in (
        result.warnings
    )


def test_the_report_lists_profiles_then_the_worst_case():
    lines = capacity.report(capacity.plan(settings_of(**PROFILED), bare("4", "16G")), "dev")
    assert lines[1].startswith("  profile small   per user: guaranteed 0.25 cores, 1.0 G (0.9 Gi)")
    assert lines[2].endswith("; all on it: 5 nodes")
    assert lines[3] == "  worst case: every user on profile course"
    assert lines[4] == "  user CPU        guaranteed 20 cores, limit 40 cores"


def test_without_profiles_the_report_is_unchanged():
    lines = capacity.report(capacity.plan(settings_of(hub={"activeServerLimit": 2}), bare()), "x")
    assert not any("profile" in line for line in lines)
