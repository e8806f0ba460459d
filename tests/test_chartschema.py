"""chartschema: final values validated against the chart's own values.schema.json, as Helm does."""

import json
from pathlib import Path

import pytest

from tests.conftest import minimal_config, write_stack
from tests.importer_helpers import call
from up2u_jupyter import chartschema

SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["hub"],
    "properties": {
        "hub": {
            "type": "object",
            "additionalProperties": False,
            "required": ["baseUrl"],
            "properties": {
                "baseUrl": {"type": "string"},
                "replicasNot": {"type": "integer"},
                "extraEnv": {"type": "object", "patternProperties": {"^[A-Z_]+$": {}}},
            },
        },
        "scheduling": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"mode": {"enum": ["ignore", "prefer", "require"]}},
        },
        "custom": {"type": "object"},
    },
}


@pytest.fixture
def schema_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "values.schema.json"
    path.write_text(json.dumps(SCHEMA))
    monkeypatch.setenv(chartschema.SCHEMA_ENV, str(path))
    return path


def test_each_problem_is_one_line_naming_the_key_path(schema_file):
    values = {
        "hub": {"baseUrl": "/", "replicas": 2, "replicasNot": "two"},
        "scheduling": {"mode": {"require": True}},
    }
    assert chartschema.validate(values, "9.9.9") == [
        "hub.replicas: not a key of the chart's values (unknown to its schema)",
        "hub.replicasNot: 'two' is not of type integer",
        "scheduling.mode: a mapping of 1 key is not one of ignore, prefer, require",
    ]


def test_required_keys_come_from_the_chart_defaults_beside_the_schema(schema_file):
    assert chartschema.validate({"custom": {}}, "9.9.9") == []  # no values.yaml: not judged
    schema_file.with_name("values.yaml").write_text("hub: {baseUrl: /}\n")
    assert chartschema.validate({"custom": {}}, "9.9.9") == []
    schema_file.with_name("values.yaml").write_text("custom: {}\n")
    assert chartschema.validate({}, "9.9.9") == [
        "(top level): missing hub, which the chart requires"
    ]


def test_a_missing_schema_means_validation_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv(chartschema.SCHEMA_ENV, str(tmp_path / "none.json"))
    assert chartschema.validate({"anything": 1}, "4.4.0") is None
    assert "UP2U_CHART_SCHEMA names no file" in chartschema.skipped_warning("4.4.0")


def test_the_shared_schema_is_found_beside_the_project(tmp_path, monkeypatch):
    monkeypatch.delenv(chartschema.SCHEMA_ENV, raising=False)
    project = tmp_path / "project"
    shared = tmp_path / "shared" / "z2jh" / "1.2.3"
    project.mkdir()
    shared.mkdir(parents=True)
    (shared / "values.schema.json").write_text("{}")
    assert chartschema.schema_path("1.2.3", project) == shared / "values.schema.json"
    assert chartschema.schema_path("1.2.4", project) is None


def test_subschema_follows_properties_patterns_and_free_maps():
    assert chartschema.subschema(SCHEMA, ("hub", "baseUrl")) == {"type": "string"}
    assert chartschema.subschema(SCHEMA, ("hub", "extraEnv", "API_URL")) == {}
    assert chartschema.subschema(SCHEMA, ("custom", "any", "depth")) == {}
    assert chartschema.subschema(SCHEMA, ("hub", "replicas")) is None


def test_check_refuses_values_helm_would_refuse(project_dir, chart_schema, monkeypatch):
    monkeypatch.delenv(chartschema.SCHEMA_ENV, raising=False)
    config = minimal_config(helmValues={"hub": {"replicas": 2}, "proxy": {"https": {"type": 7}}})
    write_stack(project_dir, "bad", config)
    code, out, err = call("check", "--stack", "bad", "--project-dir", project_dir)
    assert (code, out) == (1, "")
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: values hub.replicas (stack bad): not a key of the chart's values (unknown to "
        "its schema); Helm would refuse the release, so fix up2u-jupyter:helmValues (or the key "
        "that renders it)",
        "error: values proxy.https.type (stack bad): 7 is not one of null, '', letsencrypt, "
        "manual, offload, secret; Helm would refuse the release, so fix "
        "up2u-jupyter:helmValues (or the key that renders it)",
    ]
    assert call("values", "--stack", "bad", "--project-dir", project_dir)[0] == 1


def test_committed_stacks_pass_the_chart_schema(chart_schema, monkeypatch):
    monkeypatch.delenv(chartschema.SCHEMA_ENV, raising=False)
    for stack in ("dev", "prod"):
        code, _, err = call("check", "--stack", stack)
        assert code == 0 and "schema validation skipped" not in err, err


def test_check_says_once_that_validation_was_skipped(project_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(chartschema.SCHEMA_ENV, str(tmp_path / "absent.json"))
    write_stack(project_dir, "ok", minimal_config())
    code, _, err = call("check", "--stack", "ok", "--project-dir", project_dir)
    assert code == 0
    assert err.count("chart schema validation skipped") == 1
    _, _, values_err = call("values", "--stack", "ok", "--project-dir", project_dir)
    assert "skipped" not in values_err
