"""``values`` and ``check``: a stack's config validated and rendered offline, no Pulumi CLI."""

import argparse
import re
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from . import credentials
from .args import add_stack_arguments
from .chart import HUB_POD_ENV, env_items
from .chart import rules as chartrules
from .chart import upgrade as chartupgrade
from .credentials import PROJECT
from .errors import EXIT_CONFIG, EXIT_OK, printable, shown_key
from .render import (
    dump_values,
    helm_secret_paths,
    helm_secret_warning,
    hide_secrets,
    offline_values,
)
from .settings import Settings
from .settings.dataprotection import consequences as data_protection_consequences
from .stackfile import StackConfig, load_stack


def register(commands: Any) -> None:
    """Add ``values`` and ``check``."""
    for name, help_text in (
        ("values", "print the Helm values a stack deploys, as YAML, secrets as placeholders"),
        ("check", "validate a stack's config"),
    ):
        command = commands.add_parser(name, help=help_text, description=help_text)
        add_stack_arguments(command)
        command.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Validate the stack; print its values (``values``) or that it is valid (``check``)."""
    config, settings = load_stack(args.project_dir, args.stack)
    for warning in warnings(config, settings):
        print(warning, file=err)
    # rendered once: validated as Helm will see it, then printed with secrets hidden
    values = offline_values(settings, credentials.secret_env_names(config.secrets))
    for snippet, name in unset_environment(values):
        command = credentials.set_command(f"{credentials.SECRET_ENV}.{name}", args.stack)
        print(
            f"warning: hub.extraConfig.{shown_key(snippet)} (stack {args.stack}) reads "
            f"os.environ[{name!r}], which nothing sets in the hub's pod (neither secretEnv nor "
            "helmValues.hub.extraEnv): the hub would stop at start with a KeyError. If it is a "
            f"secret, run: {command}",
            file=err,
        )
    if args.command == "check":  # a stack on another chart: what moving it changes
        for line in chartupgrade.warnings(settings, values, args.stack):
            print(line, file=err)
    # the effective deployment's invariants, the chart's template refusals among them
    judged = invariants_hold(args, settings, values, config, err)
    if not chart_schema_valid(args, values, settings, err) or not judged:
        return EXIT_CONFIG
    if args.command == "check":
        print(f"stack {args.stack}: config is valid", file=out)
    else:
        out.write(dump_values(hide_secrets(values)))
    return EXIT_OK


def invariants_hold(
    args: argparse.Namespace,
    settings: Settings,
    values: dict[str, Any],
    config: StackConfig,
    err: TextIO,
) -> bool:
    """Judge the effective deployment (docs/checks.md): one line per problem, warnings too."""
    from .deployment import judge_stack

    found = judge_stack(
        settings,
        values,
        credentials.secret_env_names(config.secrets),
        args.project_dir,
        args.stack,
    )
    for finding in found:
        label = "warning" if finding.warning else "error"
        print(f"{label}: {printable(finding.line(args.stack))}", file=err)
    return not any(not finding.warning for finding in found)


def chart_schema_valid(
    args: argparse.Namespace, values: dict[str, Any], settings: Settings, err: TextIO
) -> bool:
    """Validate the final values against the chart's own schema, as Helm will (one line each)."""
    from .chart import schema as chartschema

    found = chartschema.validate(values, settings.chart.version, args.project_dir)
    if found is None:
        if args.command == "check":
            print(chartschema.skipped_warning(settings.chart.version), file=err)
        return True
    for line in found:
        path, _, problem = line.partition(": ")
        print(
            f"error: values {path} (stack {args.stack}): {problem}; Helm would refuse the "
            f"release, so fix {PROJECT}:helmValues (or the key that renders it)",
            file=err,
        )
    return not found


def chart_rule_line(problem: chartrules.ChartProblem, stack: str) -> str:
    """One chart refusal as ``check`` and the importer print it."""
    from .deployment import chart_finding

    return chart_finding(problem).line(stack)


def warnings(config: StackConfig, settings: Settings) -> list[str]:
    """What an operator should know before deploying: missing or plain-text secrets, and
    secret-looking values that would reach Helm's release history."""
    found = []
    stack = config.stack
    for key in dict.fromkeys([*settings.required_secrets(), *sorted(config.secrets)]):
        state = config.secrets.get(key)
        command = credentials.set_command(key, stack)
        if state is None:
            found.append(
                f"warning: {PROJECT}:{key} (stack {stack}) is not set; `pulumi up` will "
                f"refuse to deploy until you run: {command}"
            )
        elif state == "plain":
            found.append(
                f"warning: {PROJECT}:{key} (stack {stack}) is stored in plain text in the "
                f"stack file; remove it and run: {command}"
            )
    found += [
        f"warning: {helm_secret_warning(path, stack)}" for path in helm_secret_paths(settings)
    ]
    found += [
        f"warning: {PROJECT}:{key} (stack {stack}): {text}" for key, text in settings.advice()
    ]
    found += [
        f"{level}: {PROJECT}:{key} (stack {stack}): {text}"
        for level, key, text in data_protection_consequences(settings)
    ]
    return found


_ENV_READ = re.compile(r"""os\.environ\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]""")
_POD_ENV = re.compile(
    rf"({'|'.join(HUB_POD_ENV)}|HOME|PATH|HOSTNAME|LANG|[A-Z0-9_]+_SERVICE_(HOST|PORT)\w*|"
    r"[A-Z0-9_]+_PORT(_\w+)?)"
)
"""What the hub's pod has without hub.extraEnv: the chart's own variables, the image's, and
Kubernetes' service links (``PROXY_API_SERVICE_HOST``)."""


def unset_environment(values: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(snippet, variable) for each ``os.environ['NAME']`` an extraConfig snippet reads that
    the hub's pod will not have: a KeyError that stops the hub at start.

    ``.get()`` and ``os.getenv()`` reads have a fallback and are not judged.
    """
    hub = values.get("hub")
    if not isinstance(hub, Mapping):  # an odd shape: the chart's schema check reports it
        return
    given = {str(name) for name, _ in env_items(hub.get("extraEnv"))}
    snippets = hub.get("extraConfig")
    if not isinstance(snippets, Mapping):
        return
    for snippet, code in sorted(snippets.items(), key=lambda item: str(item[0])):
        if not isinstance(code, str):
            continue
        for name in dict.fromkeys(_ENV_READ.findall(code)):
            if name not in given and not _POD_ENV.fullmatch(name):
                yield str(snippet), name
