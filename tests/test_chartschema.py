"""chartschema: final values validated against the chart's own values.schema.json, as Helm does."""

import copy
import datetime
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import minimal_config, write_stack
from tests.importer_helpers import call
from up2u_jupyter.chart import schema as chartschema

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
    monkeypatch.delenv("UP2U_SHARED_DIR", raising=False)  # ../shared, not a folder named instead
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


def test_each_missing_required_key_is_named(schema_file):
    schema_file.with_name("values.yaml").write_text("custom: {}\n")
    schema = {**SCHEMA, "required": ["hub", "scheduling"]}
    schema_file.write_text(json.dumps(schema))
    chartschema._load.cache_clear()
    assert chartschema.validate({}, "9.9.9") == [
        "(top level): missing hub, which the chart requires",
        "(top level): missing scheduling, which the chart requires",
    ]


def test_a_value_json_cannot_hold_is_named_by_its_path(schema_file):
    # jsonschema-rs refuses such a value where the schema constrains it; the line names it
    values = {"hub": {"baseUrl": datetime.date(2026, 11, 26)}}
    assert chartschema.validate(values, "9.9.9") == [
        "hub.baseUrl: a value of type date is not of type JSON (string, number, "
        "true/false, null, list or map)"
    ]
    [line] = chartschema.validate({"hub": {"baseUrl": "/"}, "scheduling": {2: "x"}}, "9.9.9")
    assert line.startswith("scheduling.2: ") and "is not of type JSON" in line


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "JSONDecodeError"),
        ("[1, 2]", "not a JSON object"),
        ('{"type": "bogus"}', "bogus"),
        # jsonschema-rs would fetch a remote $ref; it runs offline, so the schema is refused
        ('{"$ref": "http://127.0.0.1:9/schema.json"}', "127.0.0.1:9"),
        ("[" * 1000 + "]" * 1000, "RecursionError"),  # nested past json's recursion limit
    ],
)
def test_an_unusable_schema_file_is_one_line_naming_it(
    project_dir, tmp_path, monkeypatch, content, why
):
    path = tmp_path / f"broken-{len(content)}.json"
    path.write_text(content)
    monkeypatch.setenv(chartschema.SCHEMA_ENV, str(path))
    write_stack(project_dir, "ok", minimal_config())
    code, out, err = call("check", "--stack", "ok", "--project-dir", project_dir)
    assert (code, out) == (1, "")
    [line] = [line for line in err.splitlines() if line.startswith("error: ")]
    assert f"chart schema '{path}' cannot be used" in line and why in line
    assert "UP2U_CHART_SCHEMA" in line and "Traceback" not in err


def _paths(errors) -> set[tuple[str, ...]]:
    return {tuple(map(str, error)) for error in errors}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_validation_agrees_with_the_python_jsonschema_reference(data, chart_schema, chart_defaults):
    """jsonschema-rs and jsonschema find the same broken places in mutated chart defaults."""
    values = copy.deepcopy(chart_defaults)
    leaves = [path for path, _ in chartschema.walk(values) if path]
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(leaves))
        junk = data.draw(
            st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3),
                      st.lists(st.integers(), max_size=2), st.just({"unknownKey": 1}))
        )  # fmt: skip
        node = values
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = junk
    reference = jsonschema.validators.validator_for(chart_schema)(chart_schema)
    expected = _paths(error.absolute_path for error in reference.iter_errors(values))
    ours = chartschema._validator(chart_schema)
    assert _paths(error.instance_path for error in ours.iter_errors(values)) == expected
    assert bool(chartschema.problems(values, chart_schema)) == bool(expected)


def test_a_lone_surrogate_is_named_by_its_path_and_a_secret_stays_hidden(chart_schema):
    # "\ud800" in a YAML double-quoted string: jsonschema-rs cannot take it, the line says where
    for values, where in (
        ({"hub": {"db": {"password": "s3cr\ud800et"}}}, "hub.db.password: <secret: hidden> "),
        ({"hub": {"config": {"X": {"a": "\ud800"}}}}, "hub.config.X.a: '\\ud800' "),
    ):
        [line] = chartschema.problems(values, chart_schema)
        assert line.startswith(where) and "is not of type JSON" in line


def test_a_key_a_false_schema_refuses_is_named_without_its_value(tmp_path, monkeypatch):
    path = tmp_path / "values.schema.json"
    path.write_text(json.dumps({"properties": {"hub": {"additionalProperties": False}}}))
    monkeypatch.setenv(chartschema.SCHEMA_ENV, str(path))
    [line] = chartschema.validate({"hub": {"apiToken": "CANARY-s3cret"}}, "9.9.9")
    assert "CANARY" not in line and line.startswith("hub")


def test_the_chart_defaults_are_read_once_and_each_caller_gets_its_own_copy(schema_file):
    defaults = schema_file.with_name("values.yaml")
    defaults.write_text("hub: {baseUrl: /, extraEnv: {A: b}}\n")
    first = chartschema.chart_defaults(schema_file)
    first["hub"]["extraEnv"]["A"] = "changed by a caller"
    assert chartschema.chart_defaults(schema_file) == {
        "hub": {"baseUrl": "/", "extraEnv": {"A": "b"}}
    }
    defaults.write_text("hub: {baseUrl: /other/}\n")  # an edited file is read again
    assert chartschema.chart_defaults(schema_file) == {"hub": {"baseUrl": "/other/"}}


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True, "x"], "b": {"c": {}}},
        {"when": datetime.date(2020, 1, 2), "tags": ["x"]},  # not plain: copy.deepcopy's way
        [type("Tag", (str,), {})("v1")],
    ],
    ids=["plain", "a-date", "a-str-subclass"],
)
def test_plain_copy_is_a_deep_copy(value):
    from up2u_jupyter.chart import plain_copy

    copied = plain_copy(value)
    assert copied == value and type(copied) is type(value)
    inner = next(iter(value.values())) if isinstance(value, dict) else value
    copied_inner = next(iter(copied.values())) if isinstance(copied, dict) else copied
    assert copied_inner is not inner
