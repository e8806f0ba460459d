"""Issue 17's attacks: ``check`` judges what will run, and ``pulumi up`` and the policy pack
refuse exactly what it refuses, from the same code.

The corpus is ``tests/hostile/effective/``: one stack file per example of the issue, each with a
header saying what it attacks and what must happen (the hostile suite's format, see
tests/hostile/README.md; ``# says:`` is a phrase the line must contain). Every file runs

- through ``check`` and ``values`` as a user runs them (a subprocess in a project folder, as in
  tests/test_hostile.py): the expected exit code, one line per expected key, no canary secret,
  no traceback;
- through the Pulumi program under mocks (tests/pulumi_harness.py), with the file's encrypted
  values handed over decrypted and marked secret, as the engine does: the same error lines as
  ``check``, nothing registered, no canary in them;
- through the policy pack's ``effective-deployment`` rules, with the release values the program
  would register and the stack file committed beside the pack: the same lines again.
"""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from tests.conftest import ROOT
from tests.pulumi_harness import start, stop
from tests.test_hostile import CANARY, World, assert_contained, header, listed, naming
from tests.test_policy import args_for, policies, violations
from up2u_jupyter import program
from up2u_jupyter.credentials import PROJECT
from up2u_jupyter.render import offline_values
from up2u_jupyter.stackfile import load_stack

EFFECTIVE = sorted((Path(__file__).parent / "hostile" / "effective").glob("*.yaml"))


@dataclass
class Expect:
    codes: tuple[int, ...]
    error_keys: tuple[str, ...]
    warn_keys: tuple[str, ...]
    says: str


def expectations(path: Path) -> Expect:
    fields = header(path)  # the hostile corpus's header format
    return Expect(
        codes=tuple(int(code) for code in fields["expect"].split()),
        error_keys=listed(fields, "error-keys"),
        warn_keys=listed(fields, "warn-keys"),
        says=fields["says"],
    )


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_every_class_of_the_issue_has_examples():
    classes = set()
    for path in EFFECTIVE:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        found = re.match(r"# effective class (\d+): \S", first)
        assert found and path.name.startswith(f"e{found[1]}-"), path.name
        classes.add(int(found[1]))
        expectations(path)
    # 8 (a secret through the program's errors) and 10 (health) are not stack files: below and
    # in tests/test_health_deadline.py
    assert classes == {1, 2, 3, 4, 5, 6, 7, 9}


def _problem_lines(lines: list[str]) -> list[str]:
    """The lines without the commands' ``error: ``/``warning: `` label, in order."""
    return sorted(re.sub(r"^(error|warning): ", "", line) for line in lines)


# --- check and values -------------------------------------------------------------------------


@pytest.mark.parametrize("path", EFFECTIVE, ids=lambda p: p.stem)
def test_check_and_values_refuse_or_warn_with_one_line_naming_the_key(world, path):
    expect = expectations(path)
    shutil.copy(path, world.project / f"Pulumi.{path.stem}.yaml")
    for command in ("check", "values"):
        run = world.run(command, "--stack", path.stem)
        assert run.code in expect.codes, run
        assert_contained(run)
        for key in expect.error_keys:
            assert len(naming(run.errors(), key)) == 1, f"{run}\none error line naming {key}"
        for key in expect.warn_keys:
            assert len(naming(run.warnings(), key)) == 1, f"{run}\none warning naming {key}"
        lines = run.errors() if 1 in expect.codes else run.warnings()
        assert any(expect.says in line for line in lines), f"{run}\nno line says {expect.says!r}"


# --- pulumi up (mocks) and the policy pack ----------------------------------------------------


def _runtime_config(path: Path) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The stack file as the Pulumi engine hands it to the program: (plain keys of any
    namespace, secret keys decrypted, the project's keys)."""
    config = yaml.safe_load(path.read_text())["config"]
    plain: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets[key] = value["secure"]
        elif key.endswith(":secretEnv"):
            secrets[key] = json.dumps({n: v["secure"] for n, v in value.items()})
        else:
            plain[key] = value if isinstance(value, str) else json.dumps(value)
    return plain, secrets, config


def _program_lines(path: Path) -> tuple[list[str], list[str], list[Any]]:
    """(error lines, warning lines, registrations) of ``pulumi up`` under mocks."""
    plain, secrets, _ = _runtime_config(path)
    secrets.setdefault(f"{PROJECT}:oauthClientSecret", "CANARY-client-7f3a")
    harness = start(stack=path.stem)
    warned: list[str] = []
    try:
        pulumi.runtime.set_all_config({**plain, **secrets}, list(secrets))
        original = pulumi.log.warn
        pulumi.log.warn = lambda message, *a, **k: warned.append(message)  # type: ignore
        try:
            harness.run(program.main)
            errors: list[str] = []
        except pulumi.RunError as error:
            errors = str(error).splitlines()
        finally:
            pulumi.log.warn = original
        return errors, warned, list(harness.monitor.registrations)
    finally:
        stop(harness)


@pytest.mark.parametrize("path", EFFECTIVE, ids=lambda p: p.stem)
def test_pulumi_up_refuses_the_same_lines_before_registering_anything(world, path):
    expect = expectations(path)
    shutil.copy(path, world.project / f"Pulumi.{path.stem}.yaml")
    run = world.run("check", "--stack", path.stem)
    errors, warned, registered = _program_lines(path)
    assert not any(CANARY in line for line in errors + warned)
    if 1 in expect.codes:
        assert registered == []
        assert _problem_lines(errors) == _problem_lines(run.errors())
    else:
        assert errors == []
        for key in expect.warn_keys:
            assert naming(warned, key), warned


@pytest.mark.parametrize("path", EFFECTIVE, ids=lambda p: p.stem)
def test_the_policy_pack_refuses_the_same_lines(world, path, monkeypatch):
    expect = expectations(path)
    shutil.copy(path, world.project / f"Pulumi.{path.stem}.yaml")
    monkeypatch.setattr(policies, "PROJECT_DIR", world.project)
    run = world.run("check", "--stack", path.stem)
    try:
        config, settings = load_stack(world.project, path.stem)
        from up2u_jupyter.credentials import secret_env_names

        values = offline_values(settings, secret_env_names(config.secrets))
    except Exception:  # the stack file itself is refused: the pack says so, whatever the values
        values = {"hub": {}}
    args = args_for(values, stack=path.stem)
    refused = violations(policies.effective_deployment, args)
    advice = violations(policies.effective_deployment_advice, args)
    if 1 in expect.codes:
        stack_file_errors = [line for line in run.errors() if "Helm would refuse" not in line]
        assert _problem_lines(refused) == _problem_lines(stack_file_errors)
    else:
        assert refused == []
        for key in expect.warn_keys:
            assert naming(advice, key), advice


# --- class 8: a secret through the program's errors -------------------------------------------


def test_an_encrypted_value_under_a_plain_key_is_never_quoted_by_the_program():
    """The engine decrypts a secret moved under ``namespace`` and marks the key secret; the
    program names the key and never reads the value (Pulumi masks only the exact string)."""
    secret = "CANARY-8a-7f3a-" + "x" * 80
    harness = start(stack="prod")
    try:
        plain = {
            f"{PROJECT}:domain": "jupyter.example.org",
            f"{PROJECT}:auth": json.dumps(
                {
                    "clientId": "c",
                    "allowAll": True,
                    "authorizeUrl": "https://idp.example.org/a",
                    "tokenUrl": "https://idp.example.org/t",
                    "userdataUrl": "https://idp.example.org/u",
                }
            ),
        }
        secrets = {f"{PROJECT}:namespace": secret, f"{PROJECT}:oauthClientSecret": "s"}
        pulumi.runtime.set_all_config({**plain, **secrets}, list(secrets))
        with pytest.raises(pulumi.RunError) as caught:
            harness.run(program.main)
        assert harness.monitor.registrations == []
    finally:
        stop(harness)
    message = str(caught.value)
    assert "CANARY" not in message and secret[:20] not in message
    assert message.startswith("up2u-jupyter:namespace (stack prod): is encrypted")


def test_a_secret_listed_only_in_the_environment_is_never_read_either(monkeypatch):
    secret = "CANARY-8b-7f3a"
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps([f"{PROJECT}:releaseName"]))
    harness = start(stack="prod")
    try:
        pulumi.runtime.set_all_config({f"{PROJECT}:releaseName": secret}, [])
        with pytest.raises(pulumi.RunError) as caught:
            harness.run(program.main)
    finally:
        stop(harness)
    assert "CANARY" not in str(caught.value)
    assert "up2u-jupyter:releaseName (stack prod): is encrypted" in str(caught.value)


# --- what passes ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_stacks_pass_every_invariant(stack):
    from up2u_jupyter.credentials import secret_env_names
    from up2u_jupyter.deployment import judge_stack

    config, settings = load_stack(ROOT, stack)
    values = offline_values(settings, secret_env_names(config.secrets))
    assert judge_stack(settings, values, secret_env_names(config.secrets), ROOT, stack) == []
