"""singleuser values and server profiles, loaded into the real KubeSpawner 7.0.0 (the hub
image's pin): every override name is a KubeSpawner trait, and choosing a profile gives the
server we meant."""

import asyncio
import logging

import pytest
from traitlets.config import Config

from tests.conftest import committed_settings, minimal_config
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings

kubespawner = pytest.importorskip("kubespawner")


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    """KubeSpawner reads a kubeconfig and makes an API client when built; there is no cluster
    here, and nothing below talks to one (the profile logic is pure traitlets)."""
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)


PROFILES = [
    {"slug": "small", "displayName": "Small", "description": "For everyday work",
     "default": True},
    {"slug": "course", "displayName": "Machine learning course", "description": "More room",
     "image": {"name": "registry.example.org/ml", "tag": "2026.1"},
     "cpu": {"limit": 2, "guarantee": "500m"}, "memory": {"limit": "4Gi", "guarantee": "2G"},
     "extraEnv": {"COURSE": "ml-101"}},
]  # fmt: skip


def spawner_config(values):
    """singleuser values -> KubeSpawner config, the keys the chart's jupyterhub_config.py sets
    (z2jh 4.4.0 images/hub/jupyterhub_config.py: cpu/memory limit and guarantee, image,
    extraEnv as environment, profileList as profile_list)."""
    user = values["singleuser"]
    c = Config()
    for trait, value in (
        ("cpu_limit", user["cpu"]["limit"]),
        ("cpu_guarantee", user["cpu"]["guarantee"]),
        ("mem_limit", user["memory"]["limit"]),
        ("mem_guarantee", user["memory"]["guarantee"]),
    ):
        if value is not None:
            setattr(c.KubeSpawner, trait, value)
    if "image" in user:
        c.KubeSpawner.image = f"{user['image']['name']}:{user['image']['tag']}"
    c.KubeSpawner.environment = dict(user["extraEnv"])
    if user.get("profileList"):
        c.KubeSpawner.profile_list = user["profileList"]
    return c


def spawner_for(config, caplog, profile=None):
    """A real KubeSpawner (no cluster: _mock) with a profile chosen as the spawn form does."""
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        spawner = kubespawner.KubeSpawner(config=config, _mock=True)
        if spawner.profile_list:
            form = {"profile": [profile]} if profile else {}
            spawner.user_options = spawner.options_from_form(form) if profile else {}
            asyncio.run(spawner.load_user_options())
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    return spawner, warnings


def profile_settings():
    return load_settings(
        minimal_config(
            singleuser={"cpu": {"limit": 1, "guarantee": 0.25},
                        "memory": {"limit": "2G", "guarantee": "1G"},
                        "extraEnv": {"TZ": "Europe/Rome"}},
            profiles=PROFILES,
        ),
        "dev",
    )  # fmt: skip


def test_choosing_a_profile_gives_its_image_resources_and_environment(caplog):
    config = spawner_config(offline_values(profile_settings()))
    spawner, warnings = spawner_for(config, caplog, "course")
    assert warnings == []
    assert spawner.image == "registry.example.org/ml:2026.1"
    assert (spawner.cpu_limit, spawner.cpu_guarantee) == (2.0, 0.5)
    assert (spawner.mem_limit, spawner.mem_guarantee) == (4 * 2**30, 2 * 10**9)
    # the profile's variables are added to singleuser.extraEnv, which stays
    assert spawner.environment == {"TZ": "Europe/Rome", "COURSE": "ml-101",
                                   "UP2U_PROFILE": "course"}  # fmt: skip


def test_the_default_profile_keeps_the_singleuser_values(caplog):
    config = spawner_config(offline_values(profile_settings()))
    spawner, warnings = spawner_for(config, caplog)
    assert warnings == []
    assert spawner.environment["UP2U_PROFILE"] == "small"
    assert (spawner.cpu_limit, spawner.cpu_guarantee) == (1.0, 0.25)
    assert spawner.mem_limit == 2 * 10**9  # bytes: KubeSpawner alone would read 2G as 2 GiB


def test_the_spawn_form_lists_every_profile(caplog):
    config = spawner_config(offline_values(profile_settings()))
    spawner, _ = spawner_for(config, caplog)
    form = spawner.options_form
    for profile in PROFILES:
        assert profile["displayName"] in form and profile["description"] in form


def test_no_profiles_is_one_server_with_no_form(caplog):
    config = spawner_config(offline_values(committed_settings("prod")))
    spawner, warnings = spawner_for(config, caplog)
    assert warnings == [] and spawner.profile_list == []
    assert spawner.image == "registry.up2u.example.org/jupyter/k8s-singleuser:4.4.0-up2u.1"


def unknown_overrides(profile_list):
    """Override keys that are not KubeSpawner traits: KubeSpawner would set them as plain
    attributes without a word, so this is checked here."""
    traits = set(kubespawner.KubeSpawner.class_trait_names())
    return sorted(
        key
        for profile in profile_list
        for key in profile.get("kubespawner_override", {})
        if key not in traits
    )


def test_every_override_is_a_kubespawner_trait():
    values = offline_values(profile_settings())
    assert unknown_overrides(values["singleuser"]["profileList"]) == []
    keys = {k for p in values["singleuser"]["profileList"] for k in p["kubespawner_override"]}
    assert keys == {"image", "cpu_limit", "cpu_guarantee", "mem_limit", "mem_guarantee",
                    "environment"}  # fmt: skip


def test_the_override_check_bites_on_a_misspelt_trait():
    values = offline_values(profile_settings())
    values["singleuser"]["profileList"][1]["kubespawner_override"]["mem_limits"] = 1
    assert unknown_overrides(values["singleuser"]["profileList"]) == ["mem_limits"]
