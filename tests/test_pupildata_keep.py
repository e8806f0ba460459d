"""Keep by default: deleting a user leaves their files, decided by us and not by KubeSpawner.

The rendered values go through the chart's hub order (preview.hubconfig) into the real
KubeSpawner 7.0.0; ``check`` says what user deletion does; the settings' rules and periods.
"""

import io

import pytest
from traitlets.config import Config

from tests.conftest import committed_settings, minimal_config, write_stack
from up2u_jupyter.cli import run
from up2u_jupyter.errors import ConfigError
from up2u_jupyter.preview import hubconfig
from up2u_jupyter.pupildata.helm import FORGET_TOKEN_ENV
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings
from up2u_jupyter.values import METRICS_TOKEN_ENV

kubespawner = pytest.importorskip("kubespawner")

UP2U_HUB = {"image": {"name": "registry.example.org/jupyter/k8s-hub", "tag": "1.0"}}


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    """KubeSpawner loads a kubeconfig and makes an API client when built; nothing here talks
    to a cluster (delete_pvc is a plain trait)."""
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda **_: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *_, **__: None)
    # what the stacks' extraConfig snippets read (every stack's forget-user, prod's metrics)
    monkeypatch.setenv(FORGET_TOKEN_ENV, "token")
    monkeypatch.setenv(METRICS_TOKEN_ENV, "token")


def kubespawner_of(settings):
    """The KubeSpawner the chart's hub would build from the stack's values."""
    c = Config()
    hubconfig.apply_values(
        c, offline_values(settings), "http://127.0.0.1:1/hub/api", spawner_section="KubeSpawner"
    )
    return kubespawner.KubeSpawner(config=c, _mock=True)


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_the_real_kubespawner_keeps_a_deleted_users_volume_by_default(stack):
    # KubeSpawner 7's own default is True: user deletion (admin page, cull.users) deletes files
    assert kubespawner.KubeSpawner(config=Config(), _mock=True).delete_pvc is True
    assert kubespawner_of(committed_settings(stack)).delete_pvc is False


def test_the_setting_can_send_the_volume_with_the_user():
    settings = load_settings(minimal_config(dataProtection={"deleteVolumeWithUser": True}), "t")
    assert kubespawner_of(settings).delete_pvc is True


def test_helm_values_still_win_as_everywhere_else():
    settings = load_settings(
        minimal_config(helmValues={"hub": {"config": {"KubeSpawner": {"delete_pvc": True}}}}), "t"
    )
    assert kubespawner_of(settings).delete_pvc is True


# --- what check says ---------------------------------------------------------------------------


def check(project_dir, **config):
    write_stack(project_dir, "s", minimal_config(**config))
    out, err = io.StringIO(), io.StringIO()
    code = run(["check", "--stack", "s", "--project-dir", str(project_dir)], out, err)
    assert code == 0, err.getvalue()
    return [line for line in err.getvalue().splitlines() if "oauthClientSecret" not in line]


def test_check_says_culled_users_keep_their_files(project_dir):
    lines = check(project_dir, cull={"users": True, "timeout": 1800})
    assert lines == [
        "note: up2u-jupyter:cull.users (stack s): users idle for cull.timeout (30 minutes) are "
        "deleted from the hub, which keeps their home volume (dataProtection."
        "deleteVolumeWithUser: false): their files come back when they sign in again, and "
        "forget-user erases them"
    ]


def test_check_warns_that_culling_users_with_their_volumes_erases_every_pupils_work(project_dir):
    lines = check(
        project_dir,
        cull={"users": True, "timeout": 1800},
        dataProtection={"deleteVolumeWithUser": True},
    )
    assert len(lines) == 1
    assert lines[0].startswith("warning: up2u-jupyter:cull.users (stack s): users idle for ")
    assert "DELETES their home volume" in lines[0]
    assert "every pupil's work is erased that long after they stop" in lines[0]


def test_check_explains_deleting_volumes_with_users_and_retention(project_dir):
    lines = check(
        project_dir,
        hub=UP2U_HUB,
        dataProtection={"deleteVolumeWithUser": True, "retention": "365d"},
    )
    assert lines == [
        "note: up2u-jupyter:dataProtection.deleteVolumeWithUser (stack s): deleting a user on "
        "the admin page or through the API deletes their home volume and every file in it, "
        "at once and for good",
        "note: up2u-jupyter:dataProtection.retention (stack s): users inactive for more than "
        "365 days are deleted with their home volumes (every naming scheme) by the "
        "data-retention service, checked every 1 hour; admins are kept",
    ]


def test_check_says_nothing_when_no_user_deletion_is_configured(project_dir):
    assert check(project_dir) == []


def test_culling_users_before_retention_is_a_warning(project_dir):
    lines = check(
        project_dir, hub=UP2U_HUB, cull={"users": True}, dataProtection={"retention": "30d"}
    )
    assert any(
        line.startswith("warning: up2u-jupyter:cull.users") and "long before" in line
        for line in lines
    )


def test_retention_from_an_image_not_built_here_is_a_warning(project_dir):
    hub = {"image": {"name": "quay.io/someone/hub", "tag": "1"}}
    lines = check(project_dir, hub=hub, dataProtection={"retention": "30d"})
    assert any(line.startswith("warning: up2u-jupyter:hub.image") for line in lines)


# --- the settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("365d", 31_536_000), ("12h", 43_200), ("90m", 5400), ("45s", 45), ("2w", 1_209_600),
     ("1d12h", 129_600), (600, 600)],
)  # fmt: skip
def test_periods_are_written_as_people_write_them(written, seconds):
    settings = load_settings(
        minimal_config(hub=UP2U_HUB, dataProtection={"retention": written}), "t"
    )
    assert settings.data_protection.retention == seconds


@pytest.mark.parametrize(
    ("config", "key", "message"),
    [
        ({"retention": "a year"}, "dataProtection.retention", "not a period; write e.g. 365d"),
        ({"retention": 0}, "dataProtection.retention", "must be more than 0 seconds"),
        ({"retention": True}, "dataProtection.retention", "not a period"),
        ({"backups": {"enabled": True}}, "dataProtection.backups.bucket", "need a bucket"),
        ({"backups": {"enabled": True, "bucket": "Up2U_Backups"}},
         "dataProtection.backups.bucket", "not an S3 bucket name"),
        ({"backups": {"enabled": True, "bucket": "b-1", "endpointUrl": "http://s3.local"}},
         "dataProtection.backups.endpointUrl", "not an https URL"),
        ({"backups": {"enabled": True, "bucket": "b-1", "prefix": "/abs"}},
         "dataProtection.backups.prefix", "not a folder in the bucket"),
        ({"deleteVolumesWithUser": True}, "dataProtection.deleteVolumesWithUser", ""),
    ],
)  # fmt: skip
def test_bad_data_protection_settings_are_one_line_each(config, key, message):
    with pytest.raises(ConfigError) as caught:
        load_settings(minimal_config(hub=UP2U_HUB, dataProtection=config), "t")
    lines = caught.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith(f"up2u-jupyter:{key} (stack t): ")
    assert message in lines[0]


def test_backups_of_a_postgres_hub_are_refused():
    postgres = {**UP2U_HUB, "db": {"type": "postgres", "url": "postgresql://hub@db/hub"}}
    with pytest.raises(ConfigError) as caught:
        load_settings(
            minimal_config(
                hub=postgres, dataProtection={"backups": {"enabled": True, "bucket": "b-1"}}
            ),
            "t",
        )
    assert "back PostgreSQL up with its own tools" in caught.value.lines()[0]


def test_retention_and_backups_need_the_up2u_hub_image():
    with pytest.raises(ConfigError) as caught:
        load_settings(minimal_config(dataProtection={"retention": "30d"}), "t")
    assert caught.value.lines() == [
        "up2u-jupyter:dataProtection.retention (stack t): 2592000: runs code from the Up2U hub "
        "image (images/hub), and hub.image is the chart's; set hub.image to "
        "<registry>/jupyter/k8s-hub:<tag>"
    ]


def test_backups_need_their_object_storage_keys_as_secret_env_entries():
    settings = load_settings(
        minimal_config(
            hub=UP2U_HUB, dataProtection={"backups": {"enabled": True, "bucket": "b-1"}}
        ),
        "t",
    )
    assert settings.required_secrets() == [
        "oauthClientSecret",
        "secretEnv.UP2U_BACKUP_S3_ACCESS_KEY_ID",
        "secretEnv.UP2U_BACKUP_S3_SECRET_ACCESS_KEY",
    ]


# --- import-values -----------------------------------------------------------------------------

OLD_VALUES = """
hub:
  config:
    JupyterHub: {authenticator_class: dummy}
    KubeSpawner: {delete_pvc: %s}
"""


@pytest.mark.parametrize("old", ["true", "false"])
def test_an_old_files_delete_pvc_becomes_the_setting(project_dir, old):
    from tests.importer_helpers import import_values, stack_values

    path = project_dir / "old.yaml"
    path.write_text(OLD_VALUES % old)
    code, _, report = import_values(project_dir, path, "--from-chart", "3.3.8")
    assert code == 0, report
    assert stack_values(project_dir)["dataProtection"] == {"deleteVolumeWithUser": old == "true"}
    assert "hub.config.KubeSpawner.delete_pvc" in report
    assert "helmValues" not in stack_values(project_dir)  # not passed through as well
