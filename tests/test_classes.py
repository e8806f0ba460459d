"""Classes: their config rules, their values (roles, spawn rules, placeholders), and what the real
KubeSpawner 7.0 and JupyterHub 5.5 make of them (the browser suite runs them in the preview)."""

import asyncio
from types import SimpleNamespace

import pytest
import yaml
from traitlets.config import Config

from tests.conftest import CHART_DIR, committed_settings, minimal_config
from tests.test_values import assert_schema_valid
from up2u_jupyter.chart import coalesce
from up2u_jupyter.classes import spawn_rules
from up2u_jupyter.classes.values import (
    SPAWN_RULES_CONFIG,
    sharing_role,
    teacher_role,
)
from up2u_jupyter.errors import ConfigError
from up2u_jupyter.preview import hubconfig
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings

kubespawner = pytest.importorskip("kubespawner")

MATHS = "urn:geant:eduteams.org:service:up2u:group:maths-3a#eduteams.org"
MATHS_TEACHERS = "urn:geant:eduteams.org:service:up2u:group:maths-3a-teachers#eduteams.org"
PHYSICS = "urn:geant:eduteams.org:service:up2u:group:physics-2b#eduteams.org"
PHYSICS_TEACHERS = "urn:geant:eduteams.org:service:up2u:group:physics-2b-teachers#eduteams.org"

PROFILES = [
    {"slug": "standard", "displayName": "Standard", "default": True},
    {"slug": "maths", "displayName": "Maths 3A", "groups": [MATHS, MATHS_TEACHERS],
     "extraEnv": {"COURSE": "maths"}},
    {"slug": "physics", "displayName": "Physics 2B", "groups": [PHYSICS, PHYSICS_TEACHERS],
     "memory": {"limit": "4Gi"}},
]  # fmt: skip
CLASSES = [
    {"name": "maths-3a", "pupils": MATHS, "teachers": MATHS_TEACHERS,
     "sharedFolder": {"claim": "class-materials", "subPath": "maths"}, "sharing": True},
    {"name": "physics-2b", "pupils": PHYSICS, "teachers": PHYSICS_TEACHERS,
     "sharedFolder": {"claim": "class-materials", "subPath": "physics",
                      "mountPath": "/home/jovyan/physics/shared"}},
]  # fmt: skip


def school(**overrides):
    config = minimal_config(profiles=PROFILES, classes=CLASSES)
    config.update(overrides)
    return load_settings(config, "dev")


def problems(**overrides) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        school(**overrides)
    return caught.value.lines()


# --- config rules --------------------------------------------------------------------------


def test_a_class_needs_teachers_of_their_own():
    (line,) = problems(classes=[{"name": "a", "pupils": MATHS, "teachers": MATHS}])
    assert line.startswith(f"up2u-jupyter:classes.0.teachers (stack dev): {MATHS[:40]!r}"[:-1])
    assert "give the teachers a group of their own" in line


def test_two_classes_with_one_name_or_one_folder_are_refused():
    same_folder = {"claim": "other", "mountPath": "/home/jovyan/maths-3a"}
    twice = [CLASSES[0], {**CLASSES[1], "name": "maths-3a", "sharedFolder": same_folder}]
    lines = problems(classes=twice)
    assert [line.split(" (stack")[0] for line in lines] == [
        "up2u-jupyter:classes.1.name",
        "up2u-jupyter:classes.1.sharedFolder.mountPath",
    ]
    assert "also the name of classes.0" in lines[0]


@pytest.mark.parametrize(
    ("folder", "key", "fix"),
    [
        ({"claim": "Class_Materials"}, "claim", "not a PersistentVolumeClaim name"),
        ({"claim": "c", "subPath": "../other-class"}, "subPath", "without '..'"),
        ({"claim": "c", "subPath": "/abs"}, "subPath", "a relative path"),
        ({"claim": "c", "mountPath": "/srv/class"}, "mountPath", "inside the home folder"),
        ({"claim": "c", "mountPath": "/home/jovyan"}, "mountPath", "inside the home folder"),
        ({"claim": "c", "mountPath": "/home/jovyan/a/../../etc"}, "mountPath", "normalised"),
    ],
)
def test_a_bad_shared_folder_is_one_line_naming_the_key(folder, key, fix):
    classes = [{"name": "a", "pupils": MATHS, "teachers": MATHS_TEACHERS, "sharedFolder": folder}]
    (line,) = problems(classes=classes)
    assert line.startswith(f"up2u-jupyter:classes.0.sharedFolder.{key} (stack dev)")
    assert fix in line


def test_profiles_all_limited_to_groups_would_leave_others_without_a_server():
    (line,) = problems(profiles=PROFILES[1:])
    assert line.startswith("up2u-jupyter:profiles.1.groups (stack dev)")
    assert "leave groups off one profile" in line


def test_class_groups_the_sign_in_rules_do_not_let_in_are_pointed_out():
    auth = {**minimal_config()["auth"], "allowAll": False, "groupsClaim": "eduperson_entitlement",
            "allowedGroups": [MATHS, MATHS_TEACHERS, PHYSICS]}  # fmt: skip
    advice = school(auth=auth).advice()
    assert [key for key, _ in advice] == ["classes.1.teachers"]
    assert "not in auth.allowedGroups" in advice[0][1]


# --- values ----------------------------------------------------------------------------------


def test_teachers_get_a_role_scoped_to_their_pupils_and_never_admin():
    values = offline_values(school())
    role = values["hub"]["loadRoles"]["class-maths-3a-teachers"]
    assert role["groups"] == [MATHS_TEACHERS]
    assert role["scopes"] == [
        "admin-ui",
        f"list:users!group={MATHS}",
        f"read:users!group={MATHS}",
        f"servers!group={MATHS}",
        f"access:servers!group={MATHS}",
    ]
    classes = [r for name, r in values["hub"]["loadRoles"].items() if name.startswith("class-")]
    every_scope = [s for r in classes for s in r["scopes"]]
    assert not [s for s in every_scope if s.startswith("admin:") or s == "admin"]


def test_sharing_is_opt_in_and_names_only_the_class():
    roles = offline_values(school())["hub"]["loadRoles"]
    assert "class-physics-2b-sharing" not in roles
    sharing = roles["class-maths-3a-sharing"]
    assert sharing["groups"] == [MATHS, MATHS_TEACHERS]
    assert sharing["scopes"][0] == "shares!user"
    assert all(
        s.endswith((f"group={MATHS}", f"group={MATHS_TEACHERS}")) for s in sharing["scopes"][1:]
    )


def test_profile_groups_and_the_spawn_rules_reach_the_values():
    values = offline_values(school())
    entries = {p["slug"]: p for p in values["singleuser"]["profileList"]}
    assert "allowed_groups" not in entries["standard"]
    assert entries["maths"]["allowed_groups"] == [MATHS, MATHS_TEACHERS]
    snippet = values["hub"]["extraConfig"][SPAWN_RULES_CONFIG]
    assert snippet.startswith('"""' + spawn_rules.__doc__.splitlines()[0])


def test_no_classes_and_no_profile_groups_render_nothing_new():
    values = offline_values(committed_settings("prod"))
    assert SPAWN_RULES_CONFIG not in values["hub"]["extraConfig"]
    assert not [r for r in values["hub"].get("loadRoles", {}) if r.startswith("class-")]
    assert "userPlaceholder" not in values["scheduling"]


def test_placeholders_render_the_charts_keys_with_pod_priority(chart_defaults, chart_schema):
    values = offline_values(school(scheduling={"userPlaceholders": 30}))
    assert values["scheduling"]["userPlaceholder"] == {"enabled": True, "replicas": 30}
    assert values["scheduling"]["podPriority"] == {"enabled": True}
    assert_schema_valid(values, chart_defaults, chart_schema)


def test_placeholders_must_be_a_whole_number_of_pods():
    (line,) = problems(scheduling={"userPlaceholders": -1})
    assert line.startswith("up2u-jupyter:scheduling.userPlaceholders (stack dev): -1")


def test_a_school_passes_the_chart_schema(chart_defaults, chart_schema):
    assert_schema_valid(offline_values(school()), chart_defaults, chart_schema)


def test_the_roles_load_into_jupyterhub():
    from jupyterhub import orm, roles

    db = orm.new_session_factory("sqlite://")()
    for name, role in offline_values(school())["hub"]["loadRoles"].items():
        roles.create_role(db, {"name": name, **{k: v for k, v in role.items() if k != "groups"}})
        assert orm.Role.find(db, name).scopes == role["scopes"]
    # the check bites: JupyterHub refuses a scope filter it does not know
    with pytest.raises(Exception, match="does not exist"):
        roles.create_role(db, {"name": "bad", "scopes": [f"access:servers!class={MATHS}"]})


# --- in the real KubeSpawner ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    """KubeSpawner loads a kubeconfig and an API client when built; nothing here talks to one."""
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)


@pytest.fixture(autouse=True)
def hub_pod_env(monkeypatch):
    """What the chart's hub pod has from its Secrets (hub.extraEnv): other snippets read it."""
    for name in offline_values(school())["hub"]["extraEnv"]:
        monkeypatch.setenv(name, "from-a-secret")


def hub_config(settings=None):
    """KubeSpawner's config as the chart's hub builds it from the values over the chart's
    defaults (hubconfig follows the chart's jupyterhub_config.py: the home volume included),
    extraConfig last."""
    c = Config()
    values = coalesce(_chart_defaults(), offline_values(settings or school()))
    hubconfig.apply_values(c, values, "http://hub:8081/hub/api", spawner_section="KubeSpawner")
    return c


def _chart_defaults():
    path = CHART_DIR / "values.yaml"
    if not path.is_file():
        pytest.skip(f"chart reference data not found at {path}")
    return yaml.safe_load(path.read_text())


def spawner_of(name, *groups, config=None):
    user = SimpleNamespace(name=name, id=1, url=f"/user/{name}/", escaped_name=name,
                           groups=[SimpleNamespace(name=g) for g in groups])  # fmt: skip
    return kubespawner.KubeSpawner(config=config or hub_config(), user=user, _mock=True)


async def started(spawner, profile=None):
    """What KubeSpawner does up to the pod: JupyterHub's pre-spawn hook, then its own start."""
    spawner.user_options = {"profile": profile} if profile else {}
    await spawner.run_pre_spawn_hook()
    await spawner.load_user_options()
    return await spawner.get_pod_manifest()


def form_profiles(spawner):
    form = spawner.options_form
    if callable(form):  # a callable profile list: the form is made per user, as the hub asks
        form = asyncio.run(form(spawner))
    return [slug for slug in ("standard", "maths", "physics") if f'value="{slug}"' in form]


def test_a_pupil_is_offered_only_their_classs_profiles():
    assert form_profiles(spawner_of("p1", MATHS)) == ["standard", "maths"]
    assert form_profiles(spawner_of("t1", PHYSICS_TEACHERS)) == ["standard", "physics"]
    assert form_profiles(spawner_of("nobody")) == ["standard"]


def test_a_pupil_asking_for_another_classs_profile_is_refused_at_start():
    with pytest.raises(ValueError, match="No such profile: physics"):
        asyncio.run(started(spawner_of("p1", MATHS), "physics"))
    pod = asyncio.run(started(spawner_of("p2", PHYSICS), "physics"))
    assert pod.spec.containers[0].resources.limits["memory"] == 4 * 2**30


def test_the_groups_key_never_reaches_kubespawners_profiles():
    spawner = spawner_of("p1", MATHS)
    assert all("allowed_groups" not in p for p in spawner.profile_list(spawner))


def test_without_the_snippet_kubespawner_would_offer_every_profile():
    # the check bites: the profile list alone, as the chart sets it, filters nothing
    c = hub_config()
    c.KubeSpawner.profile_list = offline_values(school())["singleuser"]["profileList"]
    assert form_profiles(spawner_of("p1", MATHS, config=c)) == ["standard", "maths", "physics"]


def claim_of(volume):
    source = volume.persistent_volume_claim  # a model, or the dict a volume was given as
    return source["claimName"] if isinstance(source, dict) else source.claim_name


def folder_mounts(pod):
    return {m.mount_path: (m.sub_path, m.read_only) for m in pod.spec.containers[0].volume_mounts}


def test_the_class_folder_is_read_only_for_pupils_and_writable_for_teachers():
    pupil = asyncio.run(started(spawner_of("p1", MATHS), "maths"))
    teacher = asyncio.run(started(spawner_of("t1", MATHS_TEACHERS)))
    assert folder_mounts(pupil) == {"/home/jovyan": (None, None),
                                    "/home/jovyan/maths-3a": ("maths", True)}  # fmt: skip
    assert folder_mounts(teacher)["/home/jovyan/maths-3a"] == ("maths", False)
    claims = {v.name: claim_of(v) for v in pupil.spec.volumes}
    assert claims == {"volume-p1": "claim-p1", "up2u-class-folder-1": "class-materials"}


def test_a_member_of_two_classes_gets_both_folders_from_one_volume():
    pod = asyncio.run(started(spawner_of("t2", MATHS_TEACHERS, PHYSICS)))
    assert folder_mounts(pod) == {
        "/home/jovyan": (None, None),
        "/home/jovyan/maths-3a": ("maths", False),
        "/home/jovyan/physics/shared": ("physics", True),
    }
    assert [v.name for v in pod.spec.volumes].count("up2u-class-folder-1") == 1


def test_no_class_no_folder():
    pod = asyncio.run(started(spawner_of("nobody")))
    assert folder_mounts(pod) == {"/home/jovyan": (None, None)}


def test_the_folder_hook_keeps_an_earlier_hook_and_follows_group_changes():
    c = Config()
    calls = []
    c.KubeSpawner.pre_spawn_hook = lambda spawner: calls.append(spawner.user.name)
    values = offline_values(school())
    hubconfig.apply_values(c, values, "http://hub:8081/hub/api", spawner_section="KubeSpawner")
    spawner = spawner_of("p1", MATHS, config=c)
    asyncio.run(spawner.run_pre_spawn_hook())
    # the chart sets a dict (jupyterhub_config.py 361-362; KubeSpawner's own default is a
    # list): the hook takes either
    assert calls == ["p1"] and mount_paths(spawner) == ["/home/jovyan/maths-3a"]
    spawner.user.groups = [SimpleNamespace(name=PHYSICS)]  # moved class between two spawns
    asyncio.run(spawner.run_pre_spawn_hook())
    assert mount_paths(spawner) == ["/home/jovyan/physics/shared"]


def mount_paths(spawner):
    mounts = spawner.volume_mounts
    return [m["mountPath"] for m in (mounts.values() if isinstance(mounts, dict) else mounts)]


def test_a_user_offered_no_profile_is_refused_not_given_the_defaults():
    profiles = offline_values(school())["singleuser"]["profileList"][1:]
    chooser = spawn_rules.up2u_profile_list(profiles)
    nobody = SimpleNamespace(user=SimpleNamespace(name="nobody", groups=[]))
    with pytest.raises(ValueError, match="no server profile is offered to nobody"):
        chooser(nobody)


def test_role_names_follow_the_class():
    classroom = school().classes[0]
    assert (teacher_role(classroom), sharing_role(classroom)) == (
        "class-maths-3a-teachers",
        "class-maths-3a-sharing",
    )
