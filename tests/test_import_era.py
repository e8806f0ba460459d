"""The chart era of an old file, from the versions its keys allow (charthistory.bounds)."""

import pytest

from up2u_jupyter.chart.history import ERAS, UNKNOWN_ERA, bounds, era_between
from up2u_jupyter.importer import convert, detect_era


def test_keys_that_bound_the_era_from_both_sides_decide_it():
    # bia-binder's shape: the 0.x auth block beside proxy.chp.networkPolicy (added in 0.10)
    values = {"auth": {"type": "tmp"}, "proxy": {"chp": {"networkPolicy": {"enabled": True}}}}
    era, line = detect_era(values, None)
    assert era == ERAS["0.10-0.11"]
    assert "auth: chart 0.11 removed it" in line and "proxy.chp.networkPolicy" in line


def test_a_key_removed_before_1_0_only_dates_a_file_as_older_than_1_0():
    """0.x charts ignored keys they no longer read: a stale schedulerStrategy proves little."""
    (bound,) = bounds({"singleuser": {"schedulerStrategy": "pack"}})
    assert bound.until == (1, 0)


def test_keys_moved_in_2_0_date_a_file_before_2_0():
    assert detect_era({"hub": {"fsGid": 1000}}, None)[0].until == (2, 0)


def test_keys_that_disagree_leave_every_era_default_unknown():
    era, line = detect_era({"auth": {}, "hub": {"config": {}}}, None)
    assert era is UNKNOWN_ERA
    assert "its keys disagree about its chart version" in line


def test_the_from_chart_answer_wins_over_the_keys():
    assert detect_era({"auth": {}, "hub": {"config": {}}}, "1.2.0")[0] == ERAS["1.x-2.x"]


def test_a_range_keeps_only_the_defaults_its_charts_share():
    era = era_between((0, 11), None)  # hub.config: 0.11 or later
    assert era.https_enabled_by_default is False  # off from 0.10 on
    assert era.oauth_allows_all_without_rule is None  # before 3.0 yes, after no
    assert era_between(None, (0, 11)).https_enabled_by_default is None
    assert era_between(None, (0, 11)).hub_allows_all_without_rule is True


OAUTH_NO_RULE = {
    "hub": {
        "config": {
            "JupyterHub": {"authenticator_class": "github"},
            "GitHubOAuthenticator": {"client_id": "abc"},
        }
    }
}


def test_from_chart_is_asked_only_when_the_allowed_versions_disagree_on_the_answer():
    asked = convert(OAUTH_NO_RULE)  # hub.config: 0.11+, and OAuthenticator 16 (3.0) changed it
    assert any("--from-chart VERSION" in problem for problem in asked.problems)
    dated = convert({**OAUTH_NO_RULE, "httpRoute": {"enabled": True}})  # a 4.x key
    assert dated.problems == []
    assert "allowAll" not in dated.config["auth"]  # 4.x let only admins in without a rule


@pytest.mark.parametrize(
    ("values", "allow_all"),
    [
        ({"auth": {"type": "dummy"}}, True),  # before 0.11: JupyterHub 1.x let everyone in
        ({"auth": {"type": "dummy"}, "hub": {"fsGid": 1000}}, True),
    ],
)
def test_an_era_the_keys_pin_down_decides_the_allow_rule_without_asking(values, allow_all):
    imported = convert(values)
    assert imported.problems == []
    assert imported.config["auth"].get("allowAll") is allow_all
