"""``import-values``: write Pulumi.STACK.yaml from an old values file and report every key."""

import argparse
from pathlib import Path
from typing import Any, TextIO

from ..args import add_stack_arguments
from ..credentials import PROJECT, PROTECTED_STACKS, is_secret_key
from ..credentials import set_command as secret_set_command
from ..dotted import set_path
from ..errors import EXIT_CONFIG, EXIT_OK, ConfigError, UsageError, printable, shown_key
from ..secretrule import replace_leaf, secret_leaves
from ..settings import Settings, load_settings
from ..stackfile import stack_file, write_stack_file
from ..yamlio import YamlError, load_yaml, read_yaml_file
from . import ROTATES, Imported, ValuesFileError, convert
from .model import ReportLine, shown


def register(commands: Any) -> None:
    """Add ``import-values``."""
    help_text = "convert an old z2jh values file into Pulumi.STACK.yaml"
    command = commands.add_parser("import-values", help=help_text, description=help_text)
    command.add_argument(
        "path", type=Path, help="the old values.yaml (chart 0.7 to 4.4, or a parent chart's)"
    )
    command.add_argument("--domain", help="public host name, if the file names none")
    command.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a config key (dotted, e.g. auth.authorizeUrl=https://...); repeatable",
    )
    command.add_argument(
        "--from-chart",
        metavar="VERSION",
        type=chart_version,
        help="the chart version the old file was deployed with (helm list shows it); it decides "
        "what keys left out meant",
    )
    command.add_argument(
        "--protect",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="protect the release and namespace from deletion (protect: true); the policy pack "
        f"requires it for {', '.join(PROTECTED_STACKS)}",
    )
    command.add_argument(
        "--context",
        metavar="NAME",
        type=context_name,
        help="the kubectl context of the cluster the old release runs in (kubernetes:context)",
    )
    command.add_argument("--force", action="store_true", help="overwrite the stack file")
    add_stack_arguments(command)
    command.set_defaults(handler=run)


CONTEXT_KEY = "kubernetes:context"


def context_name(text: str) -> str:
    """A kubectl context name (what ``kubectl config get-contexts`` lists)."""
    if not text or not text.isprintable() or len(text) > 253 or text.strip() != text:
        raise argparse.ArgumentTypeError(
            f"{shown_key(text[:40])} is not a context name; use one kubectl config "
            "get-contexts lists"
        )
    return text


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Convert, report, validate, then write the stack file (nothing is written on error)."""
    target = stack_file(args.project_dir, args.stack)
    if (target.exists() or target.is_symlink()) and not args.force:
        raise UsageError(f"{target.name} exists; pass --force to overwrite it")
    assignments = [parse_set(assignment) for assignment in args.sets]
    if not args.path.exists():
        raise UsageError(f"no such file: {shown_key(str(args.path))}")
    try:
        imported = convert(
            read_yaml_file(args.path, source=shown_key(args.path.name)),
            from_chart=args.from_chart,
            answers=dict(assignments),
        )
    except (YamlError, ValuesFileError) as error:
        for line in str(error).splitlines():
            print(f"error: {printable(line)}", file=err)
        return EXIT_CONFIG
    config = imported.config
    domain = args.domain or config.get("domain") or imported.domain_hint
    if domain:
        config["domain"] = domain
    extra_hosts = [host for host in imported.https_hosts if host != domain]
    if extra_hosts and config.get("https", {}).get("mode") == "letsencrypt":
        config["https"]["extraHosts"] = extra_hosts
    for key, value in assignments:
        set_path(config, key, value)
    if args.protect is not None:
        config["protect"] = args.protect
    _drop_secrets(imported, config)
    print_report(imported, err)
    problems = [printable(problem) for problem in imported.problems]
    problems += _deployment_questions(args, config)
    # an import question about sign-in covers what the settings say about auth as a whole
    # (no allow rule), and about any auth key when the authenticator itself is asked for
    asked_auth = any("auth" in problem.split(":", 1)[0] for problem in imported.problems)
    covered = f"{PROJECT}:auth" if "auth" not in config else f"{PROJECT}:auth:"
    settings, found = _settings(config, args.stack)
    problems += [p for p in found if not (asked_auth and p.startswith(covered))]
    if settings is None:
        # every problem in one run: what the settings say past the auth questions, and the
        # chart's refusals, judged with stand-ins for what is still to be answered (nothing
        # is written until every one is answered)
        trial = _past_the_first_problems(_auth_stand_in(config), args.stack, problems, covered)
    else:
        trial = settings
    if trial is not None:
        problems += _chart_schema_problems(trial, args.project_dir, args.stack)
        # what check refuses in the effective deployment, at the strictest Pod Security level
        # the old file's pods pass (restricted, else baseline: NFS homes, root containers)
        level = _pod_security_level(trial, args.project_dir)
        if level != trial.pod_security:
            config["podSecurity"] = level
            trial = trial.model_copy(update={"pod_security": level})
            if settings is not None:
                settings = trial
            imported.notices.append(
                f"podSecurity: {level}, because the old file's pods do not pass restricted; "
                "make them pass it (docs/checks.md) and remove the key"
            )
        problems += _invariant_problems(trial, args.project_dir, args.stack)
    problems = [p for p in problems if not _already_asked(p, imported.problems)]
    if problems or settings is None:
        print(f"error: nothing written to {target.name}; the imported config needs:", file=err)
        namespace = str(config.get("namespace") or "jhub")
        for problem in dict.fromkeys(problems):
            problem = problem.replace(" -n NAMESPACE ", f" -n {namespace} ")
            print(f"  {printable(problem)}", file=err)
        return EXIT_CONFIG
    extra = {CONTEXT_KEY: args.context} if args.context else {}
    write_stack_file(target, config, source=args.path.name, other=extra)
    print(f"wrote {target}", file=err)
    for notice in imported.notices:
        notice = notice.replace(" -n NAMESPACE ", f" -n {settings.namespace} ")
        print(f"NOTE: {printable(notice)}", file=err)
    print_secrets(imported, settings, args.stack, err)
    return EXIT_OK


def _deployment_questions(args: argparse.Namespace, config: dict[str, Any]) -> list[str]:
    """What a stack the policy pack judges must say: protection and the cluster it runs in;
    and the old file (which holds secrets) kept out of the repository."""
    found = []
    protected = args.stack in PROTECTED_STACKS
    if protected and args.protect is None and "protect" not in config:
        found.append(
            f"protect: the policy pack protects stack {args.stack} and refuses a release that is "
            "not protected from deletion; pass --protect (or --no-protect for a stack the pack "
            "does not judge)"
        )
    if (protected or config.get("adopt") is True) and not args.context:
        why = "adopts a running release" if config.get("adopt") is True else "is protected"
        found.append(
            f"{CONTEXT_KEY}: the stack {why}; name the cluster it runs in with --context NAME "
            "(kubectl config get-contexts lists them), or pulumi would deploy to whatever "
            "kubectl points at"
        )
    tracked = _tracked_by_git(args.path)
    if tracked:
        found.append(
            f"{shown_key(args.path.name)}: the old values file holds secrets and is in the git "
            f"repository {tracked}, not in .gitignore; move it (and the database backup and "
            "PVC list) to a folder outside the repository, or to migration/ (.gitignore "
            "lists it)"
        )
    return found


def _tracked_by_git(path: Path) -> str | None:
    """The repository a new file would be committed to by ``git add .`` (inside it, neither
    ignored nor already committed on purpose, as the test corpus is), if any."""
    import subprocess

    folder, name = path.resolve().parent, str(path.resolve())

    def git(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(folder), *argv], capture_output=True, text=True, timeout=10,
            check=False,
        )  # fmt: skip

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0:
            return None
        if git("check-ignore", "-q", name).returncode == 0:
            return None
        if git("ls-files", "--error-unmatch", name).returncode == 0:
            return None
    except (OSError, subprocess.SubprocessError):
        return None
    return printable(top.stdout.strip())


STAND_INS: dict[str, Any] = {
    "domain": "stand-in.example.org",
    "auth.clientId": "stand-in",
    "auth.authorizeUrl": "https://stand-in.example.org/authorize",
    "auth.tokenUrl": "https://stand-in.example.org/token",
    "auth.userdataUrl": "https://stand-in.example.org/userinfo",
    "https.contactEmail": "ops@stand-in.example.org",
    "https.secretName": "stand-in",
    "hub.db.url": "postgresql://hub@stand-in.example.org/hub",
}
"""Values for the keys an import asks for, to judge the rest of the stack meanwhile."""


def _settings(config: dict[str, Any], stack: str) -> tuple[Settings | None, list[str]]:
    """The validated settings of ``config``, or its problems (with the options that fix them)."""
    try:
        return load_settings(config, stack), []
    except ConfigError as error:
        return None, [_settings_problem(p.key, p.message) for p in error.problems]


def _past_the_first_problems(
    config: dict[str, Any], stack: str, problems: list[str], stood_in: str
) -> Settings | None:
    """Settings validate in stages (a wrong value hides a missing key behind it): each round
    sets stand-ins for what is unset and leaves out what is wrong, and adds the problems that
    show next (not those about ``stood_in``, the auth a stand-in replaced). The settings of the
    last round, if any, judge the chart's refusals."""
    trial = config
    for _ in range(4):
        settings, found = _settings(trial, stack)
        named = {_problem_key(problem) for problem in problems}
        problems += [
            p for p in found if _problem_key(p) not in named and not p.startswith(stood_in)
        ]
        if settings is not None:
            return settings
        trial = _with_stand_ins(_without(trial, found), found)
    return None


def _already_asked(problem: str, questions: list[str]) -> bool:
    """A key the settings miss that an import question already asks for (``--set KEY=``)."""
    key = _problem_key(problem).removeprefix(f"{PROJECT}:")
    return "(supply it with" in problem and any(f"--set {key}=" in q for q in questions)


def _problem_key(problem: str) -> str:
    return problem.partition(": ")[0]


def _without(config: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """``config`` without the keys its problems say are wrong (never written)."""
    import copy

    trial = copy.deepcopy(config)
    for problem in problems:
        key = _problem_key(problem).removeprefix(f"{PROJECT}:")
        *parents, last = key.split(".")
        node: Any = trial
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if (
            isinstance(node, dict)
            and not key.startswith("auth")
            and "(supply it with" not in problem
        ):
            node.pop(last, None)
    return trial


def _auth_stand_in(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with a stand-in sign-in where the import asks about it (never written)."""
    import copy

    trial = copy.deepcopy(config)
    auth = trial.setdefault("auth", {"type": "dummy"})
    rules = ("allowAll", "allowedUsers", "adminUsers", "allowedOrganizations", "allowedGroups")
    if isinstance(auth, dict) and not any(auth.get(rule) for rule in rules):
        auth["allowAll"] = True
    return trial


def _with_stand_ins(config: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """``config`` with stand-ins for the keys its problems say are unset (never written: such
    a config is only rendered, to find what the chart refuses in the rest of it)."""
    import copy

    trial = copy.deepcopy(config)
    for key, value in STAND_INS.items():
        if any(p.startswith(f"{PROJECT}:{key}: ") and "(supply it with" in p for p in problems):
            set_path(trial, key, value)
    return trial


def _chart_schema_problems(settings: Settings, project_dir: Path, stack: str) -> list[str]:
    """What the chart's own schema would refuse in the stack's values (as ``check`` says it)."""
    from ..chart.rules import problems as chart_problems
    from ..chart.schema import validate
    from ..offline import chart_rule_line
    from ..render import offline_values

    values = offline_values(settings)
    found = validate(values, settings.chart.version, project_dir) or []
    return [
        f"values {printable(line)}; Helm would refuse the release: fix the key that renders it"
        for line in found
    ] + [chart_rule_line(problem, stack) for problem in chart_problems(values)]


def _invariant_problems(settings: Settings, project_dir: Path, stack: str) -> list[str]:
    """What ``check`` would refuse in the imported stack (docs/checks.md), one line each."""
    from ..deployment import judge_stack
    from ..render import offline_values

    found = judge_stack(settings, offline_values(settings), (), project_dir, stack)
    return [printable(f.line(stack)) for f in found if not f.warning]


def _pod_security_level(settings: Settings, project_dir: Path) -> str:
    """The strictest Pod Security level the stack's pods pass, or its own when none does
    (``check`` then names what breaks it)."""
    from ..deployment import effective
    from ..deployment.podsecurity import LEVELS, pod_findings
    from ..render import offline_values

    values = offline_values(settings)
    for level in reversed(LEVELS):  # restricted first
        trial = settings.model_copy(update={"pod_security": level})
        if not pod_findings(effective(trial, values, project_dir=project_dir)):
            return level
    return settings.pod_security


def _settings_problem(key: str, message: str) -> str:
    """A settings problem, with the option that supplies the key when the key is missing."""
    bare = key.removeprefix(f"{PROJECT}:")
    missing = message.startswith(("not set", "required but not set"))
    if not missing:
        return f"{key}: {message}"
    option = "--domain HOST" if bare == "domain" else f"--set {bare}=VALUE"
    return f"{key}: {message} (supply it with {option})"


def chart_version(text: str) -> str:
    """A z2jh chart version such as 0.9.0, 1.2 or 3 (what ``helm list`` shows)."""
    from .history import era_of

    if era_of(text) is None:
        raise argparse.ArgumentTypeError(
            f"{shown_key(text[:20])} is not a chart version; use what helm list shows, e.g. 0.9.0"
        )
    return text


def parse_set(assignment: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> (key, YAML value); a usage error that never echoes the value."""
    key, sep, text = assignment.partition("=")
    if not sep or not key:
        raise UsageError(
            "--set takes KEY=VALUE (the '=' is missing), e.g. --set hub.activeServerLimit=50"
        )
    if is_secret_key(key):
        raise UsageError(
            f"--set {shown_key(key)}: secrets are never written to stack files; after the import "
            f"run: pulumi config set --secret {PROJECT}:{shown_key(key)} <value>"
        )
    if not all(part and part.isprintable() for part in key.split(".")):
        raise UsageError(f"--set {shown_key(key)}: not a dotted config key such as auth.clientId")
    try:
        value = load_yaml(text, f"--set {key}") if text else ""
    except YamlError as error:
        if "refused:" in str(error) or "larger than" in str(error):
            raise UsageError(
                str(error).replace(f"--set {key}", f"--set {shown_key(key)}")
            ) from None
        value = text  # not YAML: the text itself, as `helm --set` takes it
    tree: dict[str, Any] = {}
    set_path(tree, key, value)
    if _secret_paths(tree):
        raise UsageError(
            f"--set {shown_key(key)}: looks like a secret, and secrets are never written to "
            f"stack files; after the import run: pulumi config set --secret --path "
            f"'{PROJECT}:secretEnv.NAME' <value>, and read NAME from the hub's environment"
        )
    return key, value


def _secret_paths(config: dict[str, Any]) -> list[tuple[str, ...]]:
    """Secret-looking literals in a stack config (``auth.secretOptions`` holds names only)."""
    auth = config.get("auth")
    options = auth.pop("secretOptions", None) if isinstance(auth, dict) else None
    try:
        return list(secret_leaves(config))
    finally:
        if options is not None and isinstance(auth, dict):
            auth["secretOptions"] = options


def _drop_secrets(imported: Imported, config: dict[str, Any]) -> None:
    """The last guard before writing: whatever still looks like a secret is not written.

    The converters already report each secret they know; this catches the ones nobody
    foresaw (a password under an image, a token in an unknown section), reported the same way.
    """
    # last first: removing a list's env entry must not shift the ones still to remove
    for path in reversed(_secret_paths(config)):
        replace_leaf(config, path)
        imported.report.append(
            ReportLine(
                shown(path),
                "secret",
                "not copied: looks like a secret; put it in secretEnv (pulumi config set "
                f"--secret --path '{PROJECT}:secretEnv.NAME' <value>) and read it from there",
            )
        )


def print_report(imported: Imported, err: TextIO) -> None:
    """Every key of the old file and what became of it (never a value)."""
    print("import report (every key of the old file; no values are shown):", file=err)
    width = min(max((len(line.key) for line in imported.report), default=0), 60)
    for line in imported.report:
        detail = printable(line.detail)
        print(f"  {line.action:<10} {printable(line.key):<{width}}  {detail}", file=err)


def print_secrets(imported: Imported, settings: Settings, stack: str, err: TextIO) -> None:
    """The secret commands to run, and what the generated secrets change for users."""
    commands = imported.commands(stack, settings.namespace)
    if commands:
        print("secrets to set before the first deploy (values from your old file):", file=err)
        for command in commands:
            print(f"  {command}", file=err)
    needed = [
        secret_set_command(key, stack)
        for key in settings.required_secrets()
        if key not in imported.secrets_to_set
    ]
    if needed:
        print("secrets the new stack needs that the old file did not hold:", file=err)
        for command in needed:
            print(f"  {command}", file=err)
    print("generated anew on the first deploy, and what users notice:", file=err)
    for name in imported.rotated:
        print(f"  {name}: {ROTATES[name]}", file=err)
