"""check on a stack pinned to another chart version: what moving it changes, for its keys."""

import pytest

from tests.conftest import minimal_config, with_path, write_stack
from tests.test_cli import call
from up2u_jupyter import chart
from up2u_jupyter.chart.upgrade import CHANGELOG, changes
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings


def changes_for(config):
    settings = load_settings(config, "test")
    return changes(settings, offline_values(settings))


def pinned(version, **config):
    return minimal_config(chart={"version": version}, **config)


def test_a_stack_on_the_projects_chart_hears_nothing():
    assert changes_for(minimal_config()) == []
    assert changes_for(pinned(chart.VERSION)) == []


def test_from_3_x_the_hub_moves_to_jupyterhub_5_and_sqlite_is_upgraded_at_start():
    assert changes_for(pinned("3.3.8")) == [
        "the hub moves from JupyterHub 4.0/4.1 with OAuthenticator 16 (chart 3.3.8) to "
        f"JupyterHub 5.x (chart {chart.VERSION}), which upgrades its database: SQLite is "
        "upgraded when the hub starts; back the database up first"
    ]


def test_an_external_database_is_told_to_opt_in_to_the_upgrade():
    config = pinned(
        "3.3.8", hub={"db": {"type": "postgres", "url": "postgresql+psycopg2://hub@db/hub"}}
    )
    [line] = changes_for(config)
    assert "set helmValues.hub.db.upgrade: true for that deploy" in line


def test_keys_the_chart_renamed_or_removed_since_are_named_only_when_the_stack_sets_them():
    config = pinned(
        "0.9.0", helmValues={"rbac": {"enabled": True}, "hub": {"extraConfigMap": {"a": "b"}}}
    )
    found = changes_for(config)
    assert "helmValues.rbac.enabled: renamed rbac.create in chart 2.0; move it there" in found
    assert (
        "helmValues.hub.extraConfigMap: removed in chart 1.0; its successor is `custom` "
        "(read with z2jh.get_config)"
    ) in found
    assert not [line for line in found if "proxy.nodeSelector" in line]  # not this stack's


@pytest.mark.parametrize(("version", "reported"), [("1.2.0", True), ("2.0.0", False)])
def test_a_change_is_reported_only_if_made_after_the_stacks_version(version, reported):
    config = pinned(version, helmValues={"scheduling": {"userScheduler": {"plugins": {}}}})
    found = changes_for(config)
    assert any("scheduling.userScheduler.plugins" in line for line in found) is reported


def test_custom_images_must_be_rebuilt_on_the_new_charts_images():
    config = with_path(
        pinned("3.3.8"), "hub.image", {"name": "registry.example.org/hub", "tag": "1"}
    )
    assert (
        "hub.image registry.example.org/hub:1 is built on the chart's own hub image: it must "
        f"be built on the chart's {chart.VERSION} one"
    ) in changes_for(config)


def test_a_chart_newer_than_the_project_knows_is_one_line_pointing_at_the_changelog():
    [line] = changes_for(pinned("9.0.0"))
    assert line.startswith(f"chart 9.0.0 is newer than {chart.VERSION}, the last this project")
    assert CHANGELOG in line


def test_a_version_that_is_no_version_is_one_line():
    assert changes_for(pinned("latest")) == [
        f"'latest' is no chart version this project knows; set {chart.VERSION}"
    ]


def test_check_warns_with_the_key_both_versions_and_each_change(project_dir):
    write_stack(project_dir, "s", pinned("3.3.8"))
    code, out, err = call("check", "--stack", "s", "--project-dir", str(project_dir))
    assert code == 0 and out == "stack s: config is valid\n"
    lines = err.splitlines()
    heading = next(i for i, line in enumerate(lines) if "chart.version" in line)
    assert lines[heading].startswith(
        f"warning: up2u-jupyter:chart.version (stack s) is 3.3.8, not {chart.VERSION}, the "
        "chart this project renders and tests values for;"
    )
    assert lines[heading + 1].startswith("warning:   the hub moves from JupyterHub 4.0/4.1")


def test_values_says_nothing_of_it(project_dir):
    write_stack(project_dir, "s", pinned("3.3.8"))
    _, _, err = call("values", "--stack", "s", "--project-dir", str(project_dir))
    assert "chart.version" not in err
