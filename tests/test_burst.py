"""A class starting together: node overhead, the burst simulation, and capacity's advice."""

import io
import math
from decimal import Decimal

import pytest

from tests.conftest import ROOT, minimal_config
from up2u_jupyter import capacity
from up2u_jupyter.burst import Burst, simulate
from up2u_jupyter.cli import run
from up2u_jupyter.settings import load_settings

GI = Decimal(2**30)
CLASS = Burst(pupils=30, window=60, spawn_limit=64, spawn_seconds=15, pull_seconds=60,
              node_seconds=180, per_node=10, free_at_start=30)  # fmt: skip


def test_gkes_reserve_for_a_4_core_16gi_node():
    node = capacity.node_of("4", "16Gi")
    assert node.reserved_cpu == Decimal("0.08")  # GKE's 4-core node: 3920m allocatable
    # 25% of 4 GiB, 20% of the next 4, 10% of the next 8, plus the 100 MiB eviction threshold
    assert node.reserved_memory == Decimal("2.6") * GI + 100 * 2**20
    assert (node.free_cpu, node.daemonset_memory) == (Decimal("3.72"), 256 * 2**20)


def test_the_reserve_and_daemonsets_cost_prod_a_user_per_node():
    from up2u_jupyter.stackfile import read_stack_config

    prod = load_settings(read_stack_config(ROOT, "prod").values, "prod")
    assert capacity.plan(prod, capacity.node_of("4", "16Gi", "0", "0", "0", "0")).nodes == 13
    with_overhead = capacity.plan(prod)
    assert (with_overhead.users_per_node, with_overhead.nodes) == (7, 15)  # 3.72 cores / 0.5


def test_room_for_everyone_means_the_last_press_plus_one_start():
    result = simulate(CLASS)
    assert result.last_ready == pytest.approx(60 * 29 / 30 + 15)
    assert (result.throttled, result.new_nodes) == (0, 0)


def test_a_press_beyond_the_spawn_limit_waits_for_its_retry():
    result = simulate(Burst(**{**vars(CLASS), "pupils": 2, "window": 0, "spawn_limit": 1}))
    # the second is told to come back (45 s, the middle of 30-60) and starts then
    assert (result.throttled, result.ready_times) == (1, [15, 60])


def test_servers_that_fit_no_ready_node_wait_for_new_ones():
    result = simulate(Burst(**{**vars(CLASS), "pupils": 3, "window": 0, "free_at_start": 1,
                               "per_node": 1}))  # fmt: skip
    assert result.new_nodes == 2 and result.waited_for_nodes == 2
    assert result.last_ready == 180 + 60 + 15  # a node, the image's pull, the start


def test_without_the_pre_puller_the_first_server_pulls_for_its_node():
    result = simulate(Burst(**{**vars(CLASS), "pupils": 2, "window": 0, "pre_pulled": False}))
    assert result.ready_times == [75, 75]


def test_a_fixed_cluster_too_small_never_finishes():
    result = simulate(Burst(**{**vars(CLASS), "free_at_start": 20, "autoscaling": False}))
    assert result.unplaced == 10 and math.isinf(result.last_ready)


def test_starts_longer_than_the_timeout_are_counted():
    result = simulate(Burst(**{**vars(CLASS), "free_at_start": 0, "node_seconds": 400}))
    assert result.timed_out == 30


HALF_CORE = {"cpu": {"guarantee": 0.5}, "memory": {"guarantee": "1Gi"}}
SCHOOL = minimal_config(hub={"concurrentSpawnLimit": 5}, singleuser=HALF_CORE)


def lines_for(start, **config):
    settings = load_settings({**SCHOOL, **config}, "school")
    return capacity.class_start(settings, capacity.plan(settings), start)


def test_a_low_spawn_limit_is_shown_with_the_limit_that_would_do():
    lines = lines_for(capacity.ClassStart(pupils=30, nodes=10))
    assert lines[1].startswith("  hub.concurrentSpawnLimit 5: ")
    enough = int(lines[1].split("; ")[1].split()[0])
    settings = load_settings({**SCHOOL, "hub": {"concurrentSpawnLimit": enough}}, "school")
    fine = capacity.class_start(settings, capacity.plan(settings), capacity.ClassStart(nodes=10))
    assert not any("concurrentSpawnLimit" in line for line in fine)
    settings = load_settings({**SCHOOL, "hub": {"concurrentSpawnLimit": enough - 1}}, "school")
    short = capacity.class_start(settings, capacity.plan(settings), capacity.ClassStart(nodes=10))
    assert any("concurrentSpawnLimit" in line for line in short)


def test_an_autoscaling_cluster_gets_placeholders_that_spare_the_wait():
    start = capacity.ClassStart(pupils=30, min_nodes=1)
    lines = lines_for(start, hub={"concurrentSpawnLimit": 64})
    waited = next(line for line in lines if line.startswith("  last server"))
    advice = next(line for line in lines if line.startswith("  recommended"))
    assert "scheduling.userPlaceholders: 35 " in advice  # 5 nodes of 7 (3.72 cores / 0.5)
    # with them, the stack's own setting, the class waits for no node
    settled = lines_for(start, hub={"concurrentSpawnLimit": 64},
                        scheduling={"userPlaceholders": 35})  # fmt: skip
    assert not any(line.startswith("  recommended") for line in settled)
    assert "after 73 s" in next(line for line in settled if line.startswith("  last server"))
    assert "after 73 s" not in waited


def test_the_class_profile_is_the_one_its_pupils_get():
    maths = "urn:maths"
    config = {
        "profiles": [{"slug": "std", "displayName": "S", "default": True},
                     {"slug": "maths", "displayName": "M", "groups": [maths],
                      "cpu": {"guarantee": 2}}],
        "classes": [{"name": "m", "pupils": maths, "teachers": "urn:t"}],
    }  # fmt: skip
    assert "(profile maths: 2 cores" in lines_for(capacity.ClassStart(nodes=20), **config)[0]


def test_the_command_prints_the_class_and_refuses_an_unknown_profile():
    out, err = io.StringIO(), io.StringIO()
    argv = ["capacity", "--stack", "dev", "--project-dir", str(ROOT), "--min-nodes", "1"]
    assert run(argv, out, err) == 0
    assert "class of 30 pressing Start within 60 s (singleuser:" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert run([*argv, "--class-profile", "nope"], out, err) == 2
    assert err.getvalue() == ("error: --class-profile 'nope' is not a profile (profiles: none)\n")
    out = io.StringIO()
    assert run([*argv, "--class-size", "0"], out, io.StringIO()) == 0
    assert "class of" not in out.getvalue()
