"""The config reference is generated from the models: every key documented, the file current."""

import pytest

from up2u_jupyter import reference
from up2u_jupyter.settings import Settings


def test_every_config_key_has_a_docstring():
    assert reference.undocumented() == [], "add a docstring under each field, then make reference"


def test_docs_reference_is_what_the_models_say():
    current = reference.DOCUMENT.read_text(encoding="utf-8")
    assert reference.written(current) == current, "docs/reference.md is stale: make reference"


def test_every_key_and_every_secret_has_exactly_one_row():
    table = reference.render()
    row_keys = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    expected = [key for key, *_ in reference.rows()]
    expected += [key for key, _ in reference.secret_rows()]
    assert row_keys == expected and len(set(row_keys)) == len(row_keys)
    assert {"auth.clientId", "profiles[].slug", "monitoring.thresholds.hubDownMinutes"} <= set(
        row_keys
    )


def test_a_field_without_a_docstring_is_named(monkeypatch):
    docs = reference.field_docs()
    del docs[("Cull", "timeout")]
    monkeypatch.setattr(reference, "field_docs", lambda: docs)
    assert reference.undocumented() == ["cull.timeout"]


@pytest.mark.parametrize(
    ("key", "words", "default"),
    [
        ("hub.activeServerLimit", "positive integer", "none"),
        ("https.mode", "`offload` \\| `letsencrypt` \\| `secret` \\| `none`", "`offload`"),
        ("singleuser.memory.guarantee", "quantity", "`1Gi`"),
        ("auth", "object", "**required**"),
        ("profiles", "list of objects", "`[]`"),
    ],
)
def test_types_and_defaults_come_from_the_fields(key, words, default):
    row = next(row for row in reference.rows() if row[0] == key)
    assert (row[1], row[2]) == (words, default)


def test_the_reference_walks_every_model_field():
    assert len(reference.rows()) > len(Settings.model_fields) * 3
