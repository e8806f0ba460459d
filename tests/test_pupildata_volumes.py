"""A user's volume names under every scheme, against what the real KubeSpawner 7.0.0 names.

The expected names come from whole KubeSpawner objects (``pvc_name``, as KubeSpawner computes
it when it creates and deletes a claim), built here for each user, server and slug scheme;
the code under test reaches KubeSpawner another way (its expansion function alone).
"""

import asyncio
from types import SimpleNamespace

import pytest
from traitlets.config import Config

from up2u_jupyter.pupildata.volumes import (
    KUBESPAWNER_TEMPLATE,
    LEGACY_TEMPLATES,
    FileClaims,
    candidates,
    per_user,
    remembered,
)

kubespawner = pytest.importorskip("kubespawner")

NAMESPACE = "jhub"
USERS = [
    "x@eduteams.org",  # safe: claim-x-eduteams-org---c06431f8; escape: claim-x-40eduteams-2eorg
    "28c5353b8bb34984a8bd4169ba94c606@eduteams.org",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef@eduteams.org",
    "jovyan",
    "group-member-1",
]


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)


def pvc_name(user, scheme, template=KUBESPAWNER_TEMPLATE, server="", user_id=7):
    """The claim a real KubeSpawner of this user and server names."""
    c = Config()
    c.KubeSpawner.slug_scheme = scheme
    c.KubeSpawner.pvc_name_template = template
    c.KubeSpawner.namespace = NAMESPACE
    spawner = kubespawner.KubeSpawner(
        config=c,
        user=SimpleNamespace(name=user, id=user_id, url="/"),
        orm_spawner=SimpleNamespace(name=server, server=None),  # its name is its record's
        _mock=True,
    )
    assert spawner.name == server
    return spawner.pvc_name


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("scheme", ["safe", "escape"])
def test_every_name_kubespawner_gives_a_users_volume_is_a_candidate(user, scheme):
    names = [c.name for c in candidates(user, NAMESPACE)[0]]
    assert pvc_name(user, scheme) in names
    for template in LEGACY_TEMPLATES:
        assert pvc_name(user, scheme, template) in names


def test_the_legacy_name_of_a_migrated_pupil_is_found():
    found = {c.name: c.why for c in candidates("x@eduteams.org", NAMESPACE)[0]}
    why = "claim-{user_server}, %s scheme (KubeSpawner 7's default)"
    # the old templates give the default server the same names: two in all
    assert found == {
        "claim-x-eduteams-org---c06431f8": why % "safe",
        "claim-x-40eduteams-2eorg": why % "escape",
    }


@pytest.mark.parametrize("scheme", ["safe", "escape"])
def test_named_servers_volumes_are_candidates_under_each_template(scheme):
    user = "x@eduteams.org"
    names = [c.name for c in candidates(user, NAMESPACE, servers=["", "Project 1"])[0]]
    for template in [KUBESPAWNER_TEMPLATE, *LEGACY_TEMPLATES]:
        assert pvc_name(user, scheme, template, server="Project 1") in names
    # and the default server's, once
    assert names.count(pvc_name(user, scheme)) == 1


def test_the_deployments_own_template_is_used_and_a_shared_one_never():
    names, skipped = candidates(
        "x@eduteams.org", NAMESPACE, templates=["home-{userid}-{username}", "claim-shared"],
        user_id=42,
    )  # fmt: skip
    assert pvc_name("x@eduteams.org", "safe", "home-{userid}-{username}", user_id=42) in [
        c.name for c in names
    ]
    assert skipped == ["claim-shared"]  # one volume for everyone: kubespawner issue #880
    assert not per_user("claim-shared") and per_user("claim-{username}")


def test_a_user_id_template_is_skipped_when_the_id_is_unknown():
    names, skipped = candidates("x@eduteams.org", NAMESPACE, templates=["home-{userid}"])
    assert skipped == ["home-{userid}"] and not any("None" in c.name for c in names)


def test_remembered_names_count_only_when_they_carry_the_users_slug():
    known = [c.name for c in candidates("x@eduteams.org", NAMESPACE)[0]]
    kept = remembered(
        "x@eduteams.org",
        ["claim-x-40eduteams-2eorg", "old-claim-x-40eduteams-2eorg-v1", "claim-shared"],
        known,
    )
    assert [c.name for c in kept] == ["old-claim-x-40eduteams-2eorg-v1"]


def test_file_claims_record_every_call(tmp_path):
    path = tmp_path / "volumes.json"
    path.write_text('{"namespace": "jhub", "claims": [{"name": "claim-a"}, {"name": "claim-b"}]}')
    claims = FileClaims(path)
    assert [c.name for c in asyncio.run(claims.list())] == ["claim-a", "claim-b"]
    assert asyncio.run(claims.delete("claim-a")) is True
    assert asyncio.run(claims.delete("claim-a")) is False
    assert [c.name for c in asyncio.run(claims.list())] == ["claim-b"]
    calls = claims.log.read_text().splitlines()
    assert len(calls) == 4 and '"found": false' in calls[2]
