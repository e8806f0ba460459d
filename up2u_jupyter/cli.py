"""``python -m up2u_jupyter ...``: offline commands that need no Pulumi CLI and no cluster."""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

# health, preview and valuesdiff are imported by their commands: `values` and `check` stay fast
from . import capacity
from .errors import ConfigError, UsageError
from .importer import ROTATES, Imported, ValuesFileError, convert
from .quantity import QuantityError
from .settings import PROJECT, SECRET_KEYS, Settings, load_settings, secret_set_command
from .stackfile import StackConfig, read_stack_config, stack_file
from .values import ChartSecrets, build_values

PLACEHOLDER = "<secret: generated at deploy time>"
"""Stands in for the chart secrets pulumi-random generates when the stack is deployed."""

EXIT_OK, EXIT_CONFIG, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m up2u_jupyter", description=__doc__)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for name, help_text in (
        ("values", "print the Helm values a stack deploys, as YAML, secrets as placeholders"),
        ("check", "validate a stack's config"),
        ("import-values", "convert an old z2jh values file into Pulumi.STACK.yaml"),
        ("diff", "diff a stack's rendered values between a git ref and the working tree"),
        ("preview", "run the stack's hub locally (127.0.0.1) with a local sign-in provider"),
        ("capacity", "size the cluster for the stack's activeServerLimit users"),
    ):
        command = commands.add_parser(name, help=help_text, description=help_text)
        if name == "import-values":
            command.add_argument("path", type=Path, help="the old values.yaml (chart 0.9 to 4.4)")
            command.add_argument("--domain", help="public host name, if the file names none")
            command.add_argument(
                "--set",
                dest="sets",
                action="append",
                default=[],
                metavar="KEY=VALUE",
                help="set a config key (dotted, e.g. auth.authorizeUrl=https://...); repeatable",
            )
            command.add_argument("--force", action="store_true", help="overwrite the stack file")
        if name == "preview":
            command.add_argument("--port", type=int, default=8000, help="public port (8000)")
            command.add_argument(
                "--keep", action="store_true", help="keep the state folder (logs, database)"
            )
        if name == "capacity":
            command.add_argument(
                "--node-cpu", default=capacity.DEFAULT_NODE_CPU, help="cores per node (4)"
            )
            command.add_argument(
                "--node-memory", default=capacity.DEFAULT_NODE_MEMORY, help="memory per node (16Gi)"
            )
        if name == "diff":
            command.add_argument("--base", required=True, help="git ref to compare with")
            command.add_argument(
                "--markdown", action="store_true", help="print a pull-request comment body"
            )
        command.add_argument("--stack", required=True, help="stack name (reads Pulumi.STACK.yaml)")
        command.add_argument(
            "--project-dir",
            type=Path,
            default=Path.cwd(),
            help="folder with Pulumi.yaml and the stack files (default: current folder)",
        )
    health_help = "post-deploy check: start the health-check user's server, run code, stop it"
    health_cmd = commands.add_parser("health", help=health_help, description=health_help)
    health_cmd.add_argument("--url", required=True, help="the hub's public URL (publicUrl)")
    health_cmd.add_argument("--user", default="health-check", help="the dedicated user")
    health_cmd.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for start and stop (300)"
    )
    return parser


def load_stack(project_dir: Path, stack: str) -> tuple[StackConfig, Settings]:
    """Read and validate a stack's config from its files."""
    config = read_stack_config(project_dir, stack)
    return config, load_settings(config.values, stack)


def secret_warnings(config: StackConfig, settings: Settings) -> list[str]:
    """What an operator should know about the stack's secrets, which are never read here."""
    warnings = []
    for key in settings.required_secrets():
        state = config.secrets.get(key)
        if state is None:
            warnings.append(
                f"warning: {PROJECT}:{key} (stack {config.stack}) is not set; `pulumi up` will "
                f"refuse to deploy until you run: {secret_set_command(key, config.stack)}"
            )
        elif state == "plain":
            warnings.append(
                f"warning: {PROJECT}:{key} (stack {config.stack}) is stored in plain text in the "
                f"stack file; remove it and run: {secret_set_command(key, config.stack)}"
            )
    return warnings


def offline_values(settings: Settings) -> dict[str, Any]:
    """The stack's values with every secret replaced by a placeholder."""
    return build_values(settings, ChartSecrets(PLACEHOLDER, PLACEHOLDER, PLACEHOLDER, PLACEHOLDER))


def values_yaml(settings: Settings) -> str:
    """What ``values`` prints: the offline values as YAML."""
    # sorted keys: a diff between two commits then shows value changes, not code reorderings
    return yaml.safe_dump(offline_values(settings), sort_keys=True, default_flow_style=False)


def run(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run one command; return its exit code. Never raises for a user mistake."""
    try:
        args = _parser().parse_args(argv)
        if args.command == "import-values":
            return import_values(args, stderr)
        if args.command == "health":
            return run_health(args, stdout, stderr)
        config, settings = load_stack(args.project_dir, args.stack)
        if args.command == "diff":
            return diff(args, settings, stdout, stderr)
        if args.command == "capacity":
            result = capacity.plan(settings, args.node_cpu, args.node_memory)
            print("\n".join(capacity.report(result, args.stack)), file=stdout)
            return EXIT_OK
        if args.command == "preview":
            return run_preview(args, settings, stdout, stderr)
    except QuantityError as error:
        print(f"error: --node-cpu/--node-memory: {error}", file=stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"error: {error}", file=stderr)
        return EXIT_USAGE
    except ConfigError as error:
        for line in error.lines():
            print(f"error: {line}", file=stderr)
        return EXIT_CONFIG
    for warning in secret_warnings(config, settings):
        print(warning, file=stderr)
    if args.command == "check":
        print(f"stack {args.stack}: config is valid", file=stdout)
    else:
        stdout.write(values_yaml(settings))
    return EXIT_OK


def run_preview(
    args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO
) -> int:
    """``preview``: the stack's hub on 127.0.0.1 until Ctrl-C or SIGTERM."""
    from . import preview

    try:
        preview.run(settings, args.stack, args.port, args.keep, stdout)
    except preview.PreviewError as error:
        print(f"error: {error}", file=stderr)
        return EXIT_CONFIG
    return EXIT_OK


def run_health(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``health``: the post-deploy check, token from the environment."""
    from . import health

    token = os.environ.get(health.TOKEN_ENV)
    if not token:
        raise UsageError(
            f"set {health.TOKEN_ENV} to the health-check service's token "
            "(pulumi stack output healthCheckToken --show-secrets)"
        )
    check = health.HealthCheck(args.url, token, user=args.user, timeout=args.timeout)
    passed = check.run()
    health.report(check, passed, stdout)
    if not passed:
        failed = check.steps[-1]
        print(f"error: health check failed at '{failed.name}': {failed.detail}", file=stderr)
        return EXIT_CONFIG
    return EXIT_OK


def diff(args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    """``diff``: the stack's rendered values at ``--base`` versus the working tree."""
    from . import valuesdiff

    base, note = valuesdiff.render_at_ref(args.project_dir, args.base, args.stack)
    changes = valuesdiff.unified(base, values_yaml(settings), args.stack, args.base)
    if args.markdown:
        stdout.write(valuesdiff.as_markdown(changes, args.stack, args.base, note))
        return EXIT_OK
    if note:
        print(f"note: {note}", file=stderr)
    stdout.write(changes or f"no change to the values of stack {args.stack} since {args.base}\n")
    return EXIT_OK


def import_values(args: argparse.Namespace, stderr: TextIO) -> int:
    """``import-values``: write Pulumi.STACK.yaml from an old values file, report every key."""
    target = stack_file(args.project_dir, args.stack)
    if target.exists() and not args.force:
        raise UsageError(f"{target.name} exists; pass --force to overwrite it")
    try:
        imported = convert(_read_values(args.path))
    except ValuesFileError as error:
        print(f"error: {args.path}: {error}", file=stderr)
        return EXIT_CONFIG
    config = imported.config
    domain = args.domain or config.get("domain") or imported.domain_hint
    if domain:
        config["domain"] = domain
    for assignment in args.sets:
        _apply_set(config, assignment)
    _print_report(imported, stderr)
    try:
        settings = load_settings(config, args.stack)
    except ConfigError as error:
        print(f"error: nothing written to {target.name}; the imported config needs:", file=stderr)
        for problem in error.problems:
            key = problem.key.removeprefix(f"{PROJECT}:")
            option = "--domain HOST" if key == "domain" else f"--set {key}=VALUE"
            print(f"  {problem.key}: {problem.message} (supply it with {option})", file=stderr)
        return EXIT_CONFIG
    _write_stack_file(target, args.path, config)
    print(f"wrote {target}", file=stderr)
    _print_secrets(imported, settings, args.stack, stderr)
    return EXIT_OK


def _read_values(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ValuesFileError(f"cannot read it ({error})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValuesFileError(f"not valid YAML{where}; fix the file or export it again") from None


def _apply_set(config: dict[str, Any], assignment: str) -> None:
    key, sep, text = assignment.partition("=")
    if not sep or not key:
        raise UsageError(
            f"--set {assignment!r}: write KEY=VALUE, e.g. --set hub.activeServerLimit=50"
        )
    if key in SECRET_KEYS:
        raise UsageError(
            f"--set {key}: secrets are never written to stack files; after the import run: "
            f"pulumi config set --secret {PROJECT}:{key} <value>"
        )
    try:
        value = yaml.safe_load(text) if text else ""
    except yaml.YAMLError:
        value = text
    node = config
    *parents, last = key.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[last] = value


def _print_report(imported: Imported, stderr: TextIO) -> None:
    print("import report (every key of the old file; no values are shown):", file=stderr)
    width = max((len(line.key) for line in imported.report), default=0)
    for line in imported.report:
        print(f"  {line.action:<10} {line.key:<{width}}  {line.detail}", file=stderr)


def _print_secrets(imported: Imported, settings: Settings, stack: str, stderr: TextIO) -> None:
    commands = imported.commands(stack)
    commands += [
        secret_set_command(key, stack)
        for key in settings.required_secrets()
        if key not in imported.secrets_to_set
    ]
    if commands:
        print("secrets to set before the first deploy (values from your old file):", file=stderr)
        for command in commands:
            print(f"  {command}", file=stderr)
    print("generated anew on the first deploy, and what users notice:", file=stderr)
    for name in imported.rotated:
        print(f"  {name}: {ROTATES[name]}", file=stderr)


def _write_stack_file(target: Path, source: Path, config: dict[str, Any]) -> None:
    header = (
        f"# Imported from {source.name} by `python -m up2u_jupyter import-values`.\n"
        "# Secrets are not in this file: set them with the commands the import printed.\n"
    )
    body = {"config": {f"{PROJECT}:{key}": value for key, value in config.items()}}
    target.write_text(header + yaml.safe_dump(body, sort_keys=False), encoding="utf-8")


def main() -> None:
    """Entry point for ``python -m up2u_jupyter``."""
    try:
        code = run(sys.argv[1:], sys.stdout, sys.stderr)
    except BrokenPipeError:  # e.g. `values ... | head`
        code = EXIT_OK
    sys.exit(code)
