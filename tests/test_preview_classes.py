"""Classes in the preview without a browser: the local spawner runs KubeSpawner's own profile
code and the stack's own spawn rules, the class folders are real (read-only) mounts, and the
local provider has each class's pupils and teacher."""

import asyncio
import subprocess
from types import SimpleNamespace

import pytest
from traitlets.config import Config

from tests.conftest import committed_settings
from tests.test_classes import MATHS, PHYSICS, hub_pod_env, school  # noqa: F401 (a fixture)
from up2u_jupyter.preview import hubconfig, mounts
from up2u_jupyter.preview.plan import Ports, local_plan
from up2u_jupyter.preview.spawner import PreviewSpawner
from up2u_jupyter.render import offline_values

kubespawner = pytest.importorskip("kubespawner")


def preview_config():
    c = Config()
    values = offline_values(school())
    hubconfig.apply_values(c, values, "http://127.0.0.1:8081/hub/api", "PreviewSpawner")
    return c


def user(name, *groups):
    return SimpleNamespace(name=name, id=1, url=f"/user/{name}/", escaped_name=name,
                           groups=[SimpleNamespace(name=g) for g in groups])  # fmt: skip


def test_the_local_spawner_gets_the_stacks_own_rules():
    c = preview_config()
    assert c.PreviewSpawner.profile_list is c.KubeSpawner.profile_list  # the same callable
    assert c.PreviewSpawner.pre_spawn_hook is c.KubeSpawner.pre_spawn_hook


def test_a_pupils_form_is_what_kubespawner_renders_for_them(monkeypatch):
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)
    c = preview_config()
    pupil = user("p1", MATHS)
    local = PreviewSpawner(config=c, user=pupil)
    cluster = kubespawner.KubeSpawner(config=c, user=pupil, _mock=True)
    form = asyncio.run(local.options_form(local))
    assert form == asyncio.run(cluster.options_form(cluster))
    assert 'value="maths"' in form and 'value="physics"' not in form


def test_the_local_spawner_refuses_another_classs_profile_as_kubespawner_does():
    spawner = PreviewSpawner(config=preview_config(), user=user("p1", MATHS))
    spawner.user_options = {"profile": "physics"}
    with pytest.raises(ValueError, match="No such profile: physics"):
        asyncio.run(spawner.load_user_options())
    spawner.user_options = {"profile": "maths"}
    asyncio.run(spawner.load_user_options())
    assert spawner.environment["COURSE"] == "maths"


def test_class_folders_land_under_the_claims_and_the_home(tmp_path):
    spawner = PreviewSpawner(config=preview_config(), user=user("p1", MATHS, PHYSICS))
    asyncio.run(spawner.run_pre_spawn_hook())
    found = mounts.local_mounts(
        spawner.volumes, spawner.volume_mounts, tmp_path / "claims", tmp_path / "home"
    )
    assert found == [
        mounts.LocalMount(tmp_path / "claims/class-materials/maths",
                          tmp_path / "home/maths-3a", True),
        mounts.LocalMount(tmp_path / "claims/class-materials/physics",
                          tmp_path / "home/physics/shared", True),
    ]  # fmt: skip
    assert all(m.source.is_dir() for m in found)


def test_mounts_outside_the_home_or_of_other_volumes_have_no_local_meaning(tmp_path):
    volumes = {"home": {"name": "home", "persistentVolumeClaim": {"claimName": "claim-p1"}},
               "files": {"name": "files", "secret": {"secretName": "x"}}}  # fmt: skip
    volume_mounts = [{"name": "home", "mountPath": "/home/jovyan"},
                     {"name": "home", "mountPath": "/srv/data"},
                     {"name": "files", "mountPath": "/home/jovyan/files"}]  # fmt: skip
    assert mounts.local_mounts(volumes, volume_mounts, tmp_path, tmp_path) == []


def test_a_read_only_folder_refuses_writes_and_a_writable_one_takes_them(tmp_path):
    if mounts.namespace_command() is None:
        pytest.skip("no mount namespace can be made here (unshare)")
    source = tmp_path / "claims" / "class-materials"
    source.mkdir(parents=True)
    (source / "lesson.txt").write_text("from the teacher\n")
    home = tmp_path / "home"
    folders = [
        mounts.LocalMount(source, home / "ro", True),
        mounts.LocalMount(source, home / "rw", False),
    ]
    script = "cat ro/lesson.txt; touch rw/new && echo rw-ok; touch ro/other || echo ro-refused"
    home.mkdir()
    run = subprocess.run(
        mounts.wrap(["sh", "-c", script], folders), cwd=home, capture_output=True, text=True
    )
    assert run.stdout.splitlines() == ["from the teacher", "rw-ok", "ro-refused"], run.stderr
    assert "Read-only file system" in run.stderr
    assert (source / "new").exists() and not (source / "other").exists()
    assert not any((home / "ro").iterdir())  # the mounts were the server's alone


def test_the_provider_has_two_pupils_and_a_teacher_per_class():
    settings = committed_settings("dev")
    plan = local_plan(settings, Ports(public=8000, hub=8081, proxy_api=8001, oidc=9400))
    classed = {u["sub"]: u["eduperson_entitlement"] for u in plan.provider_users
               if u["sub"].startswith("maths-3a-")}  # fmt: skip
    dev_class = settings.classes[0]
    assert classed == {
        "maths-3a-pupil-1": [dev_class.pupils],
        "maths-3a-pupil-2": [dev_class.pupils],
        "maths-3a-teacher": [dev_class.teachers],
    }
    assert any(s.startswith("class folders (PersistentVolumeClaims) ->") for s in plan.swaps)
