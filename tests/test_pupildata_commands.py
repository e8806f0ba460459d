"""The operator's commands: data-inventory (derived from the stack), restore-hub-db's refusals,
and their wiring."""

import io
import subprocess
import sys

import pytest

from tests.conftest import ROOT, minimal_config, write_stack
from up2u_jupyter.cli import COMMANDS, run

UP2U_HUB = {"image": {"name": "registry.example.org/jupyter/k8s-hub", "tag": "1.0"}}


def inventory(project_dir=ROOT, stack="prod"):
    out, err = io.StringIO(), io.StringIO()
    code = run(["data-inventory", "--stack", stack, "--project-dir", str(project_dir)], out, err)
    assert code == 0, err.getvalue()
    rows = [line for line in out.getvalue().splitlines() if line.startswith("| **")]
    return {line.split("**")[1]: line for line in rows}, out.getvalue()


def test_prods_inventory_lists_backups_and_metrics_and_no_groups():
    rows, text = inventory(stack="prod")
    assert text.startswith("# Personal data held by stack `prod` (namespace `jhub`)\n")
    assert list(rows) == ["Account", "Sessions and API tokens", "Server records", "Files", "Logs",
                          "Metrics", "Backups of the hub database", "Named users in the config",
                          "Userinfo at sign-in"]  # fmt: skip
    assert (
        "`s3://up2u-jupyter-backups/jhub/` at https://s3.up2u.example.org"
        in rows["Backups of the hub database"]
    )
    assert "the newest 14 backups, i.e. 14 days" in rows["Backups of the hub database"]
    assert "`sub` claim" in rows["Account"]
    assert "kept when the user is deleted" in rows["Files"]


def test_devs_inventory_lists_group_memberships_and_no_backups():
    rows, _ = inventory(stack="dev")
    assert (
        "Group memberships" in rows and "`eduperson_entitlement` claim" in rows["Group memberships"]
    )
    assert "Backups of the hub database" not in rows and "Metrics" not in rows
    assert "`openid`, `eduperson_entitlement`" in rows["Userinfo at sign-in"]


def test_auth_state_retention_and_culled_users_change_the_inventory(project_dir):
    write_stack(
        project_dir,
        "s",
        minimal_config(
            hub=UP2U_HUB,
            cull={"users": True, "timeout": 3600},
            dataProtection={"retention": "180d", "deleteVolumeWithUser": True},
            helmValues={"hub": {"config": {"Authenticator": {"enable_auth_state": True}}}},
        ),
    )
    rows, _ = inventory(project_dir, "s")
    assert "Auth state" in rows
    assert "in the auth state above" in rows["Userinfo at sign-in"]
    account = rows["Account"]
    assert "the data-retention service after 180 days of inactivity (admins excepted)" in account
    assert "the idle culler after 1 hour idle (`cull.users`)" in account
    assert "deleted with the user" in rows["Files"]
    assert "Named users in the config" not in rows  # minimal_config names nobody


def test_restore_refuses_a_stack_without_backups_in_one_line():
    out, err = io.StringIO(), io.StringIO()
    code = run(["restore-hub-db", "--stack", "dev", "--project-dir", str(ROOT), "--to", "x"],
               out, err)  # fmt: skip
    assert code == 2
    assert err.getvalue() == ("error: stack dev has no backups (dataProtection.backups.enabled)\n")


def test_restore_needs_a_file_to_write():
    out, err = io.StringIO(), io.StringIO()
    code = run(["restore-hub-db", "--stack", "prod", "--project-dir", str(ROOT)], out, err)
    assert code == 2
    assert err.getvalue() == "error: pass --to FILE (where the database goes), or --list\n"


@pytest.mark.parametrize("command", ["forget-user", "restore-hub-db", "data-inventory"])
def test_each_command_is_registered_beside_its_logic(command):
    assert COMMANDS[command].startswith("pupildata.")
    result = subprocess.run([sys.executable, "-m", "up2u_jupyter", command, "--help"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0 and "--stack" in result.stdout


def test_a_bad_user_name_is_one_line():
    out, err = io.StringIO(), io.StringIO()
    code = run(["forget-user", "a\x1b[31mb", "--stack", "prod", "--project-dir", str(ROOT)],
               out, err)  # fmt: skip
    assert code == 2
    assert len(err.getvalue().splitlines()) == 1 and "\x1b" not in err.getvalue()


def test_the_docs_name_every_key_and_hold_the_alerts_runbook():
    import re

    from tests.test_monitoring import _github_anchor
    from up2u_jupyter import monitoring
    from up2u_jupyter.settings import load_settings
    from up2u_jupyter.settings.dataprotection import Backups, DataProtection
    from up2u_jupyter.values import ChartSecrets, build_values

    doc = (ROOT / "docs" / "pupils-data.md").read_text()
    keys = [f.alias for f in DataProtection.model_fields.values()]
    keys += [f.alias for f in Backups.model_fields.values()]
    assert [key for key in keys if key not in doc] == []
    settings = load_settings(
        minimal_config(
            hub=UP2U_HUB,
            monitoring={
                "enabled": True,
                "runbookUrl": "https://git.example.org/up2u/docs/monitoring.md",
            },
            dataProtection={"backups": {"enabled": True, "bucket": "b-1"}},
        ),
        "t",
    )
    rules = monitoring.prometheus_rule(settings, build_values(settings, ChartSecrets(*"pckh")))
    (stale,) = [r for r in rules["groups"][0]["rules"] if "Backup" in r["alert"]]
    url = stale["annotations"]["runbook_url"]
    assert url == "https://git.example.org/up2u/docs/pupils-data.md#jupyterhubdatabasebackupstale"
    anchors = {_github_anchor(h) for h in re.findall(r"^#+ (.+)$", doc, flags=re.M)}
    assert url.rpartition("#")[2] in anchors
