"""No config can crash the program: every run ends in schema-valid values or in our own errors.

Hypothesis generates stack configs (mostly plausible, with junk at every leaf and unknown keys)
and stack files (structured YAML and arbitrary text). ``helmValues`` is left out on purpose: it
is the unchecked escape hatch, which Helm validates at deploy time.

Examples per CI run (profile "ci", derandomized, so CI runs the same examples every time):
configs 400 (drawn half from valid choices, half with junk at every leaf), structured stack
files 200, arbitrary stack-file text 200.
"""

import io
import json

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CHART_DIR, ROOT
from tests.strategies import ci, configs, valid_configs
from up2u_jupyter.chart import coalesce
from up2u_jupyter.cli import run
from up2u_jupyter.errors import ConfigError
from up2u_jupyter.render import offline_values
from up2u_jupyter.settings import load_settings


@pytest.fixture(scope="module")
def schema_validator():
    path = CHART_DIR / "values.schema.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    return jsonschema.validators.validator_for(schema)(schema), defaults


def assert_own_error(error: ConfigError) -> None:
    assert error.problems
    for line in error.lines():
        assert "\n" not in line
        assert line.startswith("up2u-jupyter:") or line.startswith("Pulumi."), line
        assert "(stack " in line


@ci(400)
@given(config=st.one_of(valid_configs, configs))
def test_any_config_gives_schema_valid_values_or_our_error(config, schema_validator):
    try:
        loaded = load_settings(config, "fuzz")
    except ConfigError as error:
        assert_own_error(error)
        return
    values = offline_values(loaded)
    yaml.safe_dump(values)  # printable by the values command
    if schema_validator is not None:
        validator, defaults = schema_validator
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in validator.iter_errors(coalesce(defaults, values))
        ]
        assert errors == [], (config, errors)


documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=12,
)
stack_files = st.one_of(
    documents.map(lambda doc: yaml.safe_dump({"config": doc})),
    st.dictionaries(
        st.sampled_from(
            [
                "up2u-jupyter:namespace",
                "up2u-jupyter:auth",
                "up2u-jupyter:hub",
                "up2u-jupyter:cull",
                "namespace",
                "kubernetes:context",
                "up2u-jupyter:oauthClientSecret",
            ]
        ),
        documents,
        max_size=4,
    ).map(lambda items: yaml.safe_dump({"config": items})),
    documents.map(yaml.safe_dump),
)


def check_file(project_dir, text):
    (project_dir / "Pulumi.fuzz.yaml").write_text(text)
    out, err = io.StringIO(), io.StringIO()
    code = run(["check", "--stack", "fuzz", "--project-dir", str(project_dir)], out, err)
    assert code in (0, 1), err.getvalue()
    for line in err.getvalue().splitlines():
        assert line.startswith(
            ("error: up2u-jupyter:", "error: Pulumi.", "warning: up2u-jupyter:")
        ), line


@ci(200)
@given(text=stack_files)
def test_any_structured_stack_file_is_checked_without_crashing(tmp_path_factory, text):
    project = tmp_path_factory.mktemp("fuzz")
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    check_file(project, text)


@ci(200)
@given(text=st.text(max_size=200))
def test_any_text_as_stack_file_is_checked_without_crashing(tmp_path_factory, text):
    project = tmp_path_factory.mktemp("fuzz")
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    check_file(project, text)


def test_the_generator_reaches_both_outcomes():
    """The property above is only worth something if it sees valid configs and errors alike."""
    from hypothesis import find

    def loads(config):
        try:
            load_settings(config, "fuzz")
        except ConfigError:
            return False
        return True

    strategy = st.one_of(valid_configs, configs)
    assert loads(find(strategy, loads, settings=settings(database=None)))
    assert not loads(find(strategy, lambda c: not loads(c), settings=settings(database=None)))
