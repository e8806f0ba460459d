"""``hub``: image, limits, templates, extraConfig code, the database, services and environment."""

import re
from typing import Any

from ..classes.values import is_spawn_rules
from ..credentials import DB_PASSWORD, valid_env_name
from ..errors import excerpt, shown_key
from ..restarts import ANNOTATIONS as RESTART_ANNOTATIONS
from ..secretrule import (
    CodeSecret,
    code_secrets,
    is_secret_env,
    rewrite_code_secrets,
    strip_url_secrets,
    url_has_secret,
)
from .extraconfig import Snippet, analyse, read_from_environment, secret_assignments
from .model import Conversion, kind

_TYPED = ("activeServerLimit", "concurrentSpawnLimit", "templatePaths", "templateVars")


def convert_hub(c: Conversion) -> None:
    """The hub's own settings; the authenticator in hub.config is ``auth``'s."""
    if c.take("hub", "cookieSecret") is not None:
        c.rotate("cookie secret", ("hub", "cookieSecret"))
    image = c.get("hub", "image")
    if isinstance(image, dict) and isinstance(image.get("name"), str) and image["name"]:
        _hub_image(c, c.take_map("hub", "image"))
    for key in _TYPED:
        value = c.get("hub", key)
        if value is not None and _fits(key, value):
            c.put(f"hub.{key}", c.take("hub", key), ("hub", key))
    resources = c.get("hub", "resources")
    if isinstance(resources, dict) and _resources(resources):
        c.put("hub.resources", c.take("hub", "resources"), ("hub", "resources"))
    convert_extra_config(c)
    convert_database(c)
    convert_services(c)
    convert_hub_env(c)
    convert_extra_files(c)
    for name in RESTART_ANNOTATIONS:  # in values this program rendered (helm get values)
        if c.take("hub", "annotations", name) is not None:
            c.note(("hub", "annotations", name), "dropped", "the stack computes it at each deploy")


def _fits(key: str, value: Any) -> bool:
    """Whether a value has the shape the stack's typed key takes (else it goes to helmValues)."""
    if key in ("activeServerLimit", "concurrentSpawnLimit"):
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    if key == "templatePaths":
        return isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    return isinstance(value, dict) and all(isinstance(k, str) for k in value)


def _resources(resources: dict[str, Any]) -> bool:
    return set(resources) <= {"requests", "limits"} and all(
        isinstance(part, dict)
        and set(part) <= {"cpu", "memory", "ephemeral-storage"}
        and None not in part.values()
        for part in resources.values()
    )


def _hub_image(c: Conversion, image: dict[str, Any]) -> None:
    from .history import chart_image

    name = str(image.pop("name"))
    tag = image.pop("tag", None)
    if chart_image(name):
        c.note(
            ("hub", "image"), "dropped", "the old chart's own hub image; chart 4.4.0 runs its own"
        )
    else:
        result = {"name": name} | ({"tag": str(tag)} if tag is not None else {})
        c.put(
            "hub.image",
            result,
            ("hub", "image"),
            "rebuild it FROM quay.io/jupyterhub/k8s-hub:4.4.0 before deploying",
        )
    for key, value in image.items():
        if value in (None, "", []):
            c.note(("hub", "image", key), "dropped", "empty: the chart's default applies")
        else:
            c.helm(("hub", "image", key), value, ("hub", "image", key))


def convert_extra_config(c: Conversion) -> None:
    """extraConfig: a string (0.x) becomes a named entry; authenticator code is lifted out."""
    extra = c.take("hub", "extraConfig")
    if extra is None or extra == {}:
        return
    if isinstance(extra, str):
        entries: dict[Any, Any] = {"imported": extra}
    elif isinstance(extra, dict):
        entries = extra
    else:
        c.note(("hub", "extraConfig"), "dropped", f"{kind(extra)}, not code or a map of code")
        return
    kept: dict[str, str] = {}
    snippets: list[Snippet] = []
    replaced = _replaced_classes(c, entries)
    for name, code in entries.items():
        where = ("hub", "extraConfig") if isinstance(extra, str) else ("hub", "extraConfig", name)
        if not isinstance(name, str) or not isinstance(code, str):
            c.note(where, "dropped", "an extraConfig entry must be text named by text")
            continue
        if is_spawn_rules(name, code):
            c.note(
                where,
                "dropped",
                "the classes' spawn rules an Up2U stack renders: profiles' groups come back as "
                "profiles[].groups; set the classes (roles, folders) under classes",
            )
            continue
        snippet = analyse(str(name), code, c.lookup, replaced)
        snippets.append(snippet)
        for setting in snippet.replaced:
            c.note(
                (*where, setting),
                "dropped",
                f"configures {setting.split('.')[1]}, which --set auth.type replaces "
                f"({excerpt(str(c.answers.get('auth.type')))})",
            )
        if snippet.lab_cmd:
            c.note(
                where,
                "dropped",
                "c.Spawner.cmd = ['jupyter-labhub'] is superseded: the "
                "chart's jupyterhub-singleuser serves JupyterLab at singleuser.defaultUrl",
            )
        if not snippet.parsed:
            c.note(where, "era", "not Python the importer can read (a template?): kept as written")
        for env in snippet.env_secrets:
            c.secret_env(env, where, "the hub gets it in its environment as before")
        code_out = _environment_for_secrets(c, snippet.code, where)
        lifted = bool(snippet.authenticator or snippet.assignments)
        if code_out:
            kept[str(name)] = code_out
            if not lifted:
                c.note(
                    where,
                    "mapped",
                    "-> hub.extraConfig"
                    + (" (a string: now the entry 'imported')" if isinstance(extra, str) else ""),
                )
            else:
                c.note(
                    where,
                    "mapped",
                    "-> hub.extraConfig, without the authenticator settings it held (now auth.*)",
                )
        elif lifted:
            c.note(where, "mapped", "-> auth.* (it only configured the authenticator)")
    c.code_snippets = snippets
    if kept:
        c.out.config.setdefault("hub", {})["extraConfig"] = kept


def _replaced_classes(c: Conversion, entries: dict[Any, Any]) -> frozenset[str]:
    """Authenticator classes the hub image does not ship that the operator replaced with
    ``--set auth.type``: wherever the old file named them (the 0.x auth block, hub.config, code)."""
    if c.answers.get("auth.type") is None:
        return frozenset()
    from .auth import resolve

    names = [
        c.get("hub", "config", "JupyterHub", "authenticator_class"),
        c.get("auth", "custom", "className"),
    ]
    for name, code in entries.items():
        if isinstance(code, str):
            found = analyse(str(name), code).authenticator
            names.append(found[1] if found else None)
    return frozenset(
        str(name).rpartition(".")[2] for name in names if name and resolve(name) is None
    )


def _environment_for_secrets(c: Conversion, code: str, where: Any) -> str:
    """Secret literals left in code are read from secretEnv entries instead (see
    ``secretrule.code_secrets``: assigned, passed, stored, compared, in any literal shape)."""
    found = code_secrets(code)
    if found is None:  # not Python (a template): judged line by line, as it is written
        replacements = {}
        for index, section, trait in secret_assignments(code):
            env = _env_name(c, trait, {})
            replacements[index] = env
            c.secret_env(
                env, (*where, f"c.{section}.{trait}"), f"the code now reads os.environ[{env!r}]"
            )
        return read_from_environment(code, replacements) if replacements else code
    names: dict[CodeSecret, str] = {}
    by_literal: dict[tuple[str, str], str] = {}
    lines = code.splitlines()
    for secret in found:
        literal = "\n".join(lines[secret.line - 1 : secret.end_line])[secret.col :]
        same = (secret.name, literal)
        if same in by_literal:  # the same literal again (one password compared twice)
            names[secret] = by_literal[same]
            continue
        env = _env_name(c, secret.name, names)
        names[secret] = by_literal[same] = env
        c.secret_env(env, (*where, secret.where), f"the code now reads os.environ[{env!r}]")
    return rewrite_code_secrets(code, names)


def _env_name(c: Conversion, name: str, taken: dict[Any, str]) -> str:
    """An environment variable for a secret named ``name``, unused so far."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", name).upper().strip("_") or "SECRET"
    if base[0].isdigit():
        base = f"SECRET_{base}"
    used = set(taken.values()) | {key.removeprefix("secretEnv.") for key in c.out.secrets_to_set}
    env, n = base, 2
    while env in used:
        env, n = f"{base}_{n}", n + 1
    return env


def convert_database(c: Conversion) -> None:
    """hub.db: SQLite or PostgreSQL are modelled; passwords become dbPassword."""
    db_type = c.take("hub", "db", "type")
    password = c.take("hub", "db", "password")
    url = c.take("hub", "db", "url")
    if isinstance(url, str) and re.match(r"postgres(\+|://)", url):
        # SQLAlchemy 1.4 dropped the "postgres" name; JupyterHub 5 runs SQLAlchemy 2
        url = "postgresql" + url.removeprefix("postgres")
        c.note(
            ("hub", "db", "url"),
            "era",
            "postgres:// is written postgresql:// (SQLAlchemy 1.4 and later know only that name)",
        )
    storage = c.take("hub", "db", "pvc", "storage")
    storage_class = c.take("hub", "db", "pvc", "storageClassName")
    if db_type == "postgres":
        c.put(
            "hub.db.type",
            db_type,
            ("hub", "db", "type"),
            "JupyterHub 5 upgrades an older schema only when told: back the database up, "
            "then deploy once with --set helmValues.hub.db.upgrade=true",
        )
    elif db_type == "sqlite-pvc":
        c.put("hub.db.type", db_type, ("hub", "db", "type"))
    elif db_type is not None:
        c.helm(
            ("hub", "db", "type"),
            db_type,
            ("hub", "db", "type"),
            "the stack config models sqlite-pvc and postgres",
        )
    if storage is not None:
        c.put("hub.db.storage", storage, ("hub", "db", "pvc", "storage"))
    if storage_class is not None:
        c.put("hub.db.storageClass", storage_class, ("hub", "db", "pvc", "storageClassName"))
    # the stack carries a database password for postgres only (dbPassword -> PGPASSWORD);
    # for another type the hub reads the whole URL, password included, from secretEnv
    modelled = db_type == "postgres"
    if isinstance(url, str) and url:
        if url_has_secret(url):
            stripped = strip_url_secrets(url)
            where = c.where(("hub", "db", "url"))
            if modelled:
                c.secret(
                    DB_PASSWORD,
                    ("hub", "db", "url"),
                    value_is=f"the password in {where}",
                    how="the URL is kept without the password"
                    if stripped
                    else "the URL is not valid, so it is not kept either: set hub.db.url with "
                    "--set",
                )
            else:
                _db_url_from_env(c, ("hub", "db", "url"), f"{where}, password included")
            if stripped is None:
                return
            url = stripped
        if modelled:
            c.put("hub.db.url", url, ("hub", "db", "url"))
        else:
            c.helm(("hub", "db", "url"), url, ("hub", "db", "url"))
    elif url is not None:
        c.note(("hub", "db", "url"), "dropped", "empty" if url == "" else f"{kind(url)}, not a URL")
    if password not in (None, ""):
        if modelled:
            c.secret(DB_PASSWORD, ("hub", "db", "password"))
        else:
            _db_url_from_env(
                c,
                ("hub", "db", "password"),
                f"hub.db.url with {c.where(('hub', 'db', 'password'))} in it as the password",
            )


DB_URL_ENV = "HUB_DB_URL"
_DB_URL_SNIPPET = f"import os\nc.JupyterHub.db_url = os.environ[{DB_URL_ENV!r}]\n"


def _db_url_from_env(c: Conversion, where: tuple[str, ...], value_is: str) -> None:
    """A password for a database type the stack does not model (mysql): chart 4.4 hands it to
    the hub only as MYSQL_PWD, which PyMySQL (the hub image's driver) does not read. The hub
    reads the whole URL from secretEnv instead, through an extraConfig snippet."""
    snippets = c.out.config.get("hub", {}).get("extraConfig", {})
    # the old file's own snippets keep their names; both the URL and hub.db.password lead here
    name = next(
        (key for key, code in snippets.items() if code == _DB_URL_SNIPPET),
        next(n for n in ("hub-db-url", *(f"hub-db-url-{i}" for i in range(2, 99)))
             if n not in snippets),
    )  # fmt: skip
    c.secret(
        f"secretEnv.{DB_URL_ENV}",
        where,
        how=f"the hub reads the whole URL from it (hub.extraConfig.{name})",
        value_is=value_is,
    )
    if name not in snippets:
        c.put(f"hub.extraConfig.{name}", _DB_URL_SNIPPET, where)


def convert_services(c: Conversion) -> None:
    """hub.services: their tokens are generated by the chart now, and each stays registered.

    ``apiToken`` is the chart's key; ``api_token`` is JupyterHub's own, which charts before 1.0
    passed through to ``c.JupyterHub.services`` and 4.x overwrites with the generated token. A
    service that held nothing but its token (a dask-gateway installed by its own chart) stays
    as an empty entry: the chart registers it with a generated token.
    """
    services = c.get("hub", "services")
    if not isinstance(services, dict) or not services:
        return
    for name, service in list(services.items()):
        for key in ("apiToken", "api_token"):
            if isinstance(service, dict) and service.get(key) not in (None, ""):
                service.pop(key)
                _service_token_note(c, str(name), key)
        if service == {}:
            services.pop(name)
            c.helm(
                ("hub", "services", str(name)),
                {},
                ("hub", "services", str(name)),
                "registered as before, with the token the chart generates",
            )
    if services == {}:
        c.take("hub", "services")


def convert_extra_files(c: Conversion) -> None:
    """extraFiles entries the chart 4.4.0 would refuse: no mountPath, or no content in the file
    (given at deploy time with ``helm --set-file``). Not carried, loudly, with the fix."""
    for section in ("hub", "singleuser"):
        files = c.get(section, "extraFiles")
        if not isinstance(files, dict):
            continue
        for name, entry in list(files.items()):
            entry = entry if isinstance(entry, dict) else {}
            content = [f for f in ("data", "stringData", "binaryData") if entry.get(f)]
            if entry.get("mountPath") and content:
                continue
            files.pop(name)
            where = (section, "extraFiles", str(name))
            missing = (
                "content (given when deploying, with helm --set-file)"
                if entry.get("mountPath")
                else "mountPath"
            )
            c.note(where, "dropped", f"no {missing}: chart 4.4.0 refuses such an entry")
            c.notice(
                f"{c.where(where)} is not carried: the old file has no {missing}, and chart "
                f"4.4.0 fails the render without it. If the file is still needed, add it to the "
                f"stack file as helmValues.{section}.extraFiles.{shown_key(str(name))} with "
                "mountPath and stringData (the file's text)"
            )
        if files == {}:
            c.take(section, "extraFiles")


def _service_token_note(c: Conversion, name: str, key: str) -> None:
    # the command is for copy-paste: only a plain name goes inside its quotes
    how = (
        "(kubectl get secret hub -o "
        f"jsonpath='{{.data.hub\\.services\\.{name}\\.apiToken}}' | base64 -d)"
        if re.fullmatch(r"[A-Za-z0-9_-]+", name)
        else "(key hub.services.<name>.apiToken of the chart's hub Secret)"
    )
    c.note(
        ("hub", "services", name, key),
        "secret",
        "not copied; the chart generates a token for each hub.services entry without "
        f"one: give the new token to the service {how}",
    )


def convert_hub_env(c: Conversion) -> None:
    """hub.extraEnv: secret-named entries become secretEnv entries the hub reads the same way."""
    env = c.get("hub", "extraEnv")
    if isinstance(env, dict):
        for name, value in list(env.items()):
            if is_secret_env(name, value):
                env.pop(name)
                _hub_secret(c, str(name), ("hub", "extraEnv", name))
    elif isinstance(env, list):
        for index, entry in reversed(list(enumerate(env))):
            if isinstance(entry, dict) and is_secret_env(entry.get("name"), entry.get("value")):
                env.pop(index)
                _hub_secret(c, str(entry["name"]), ("hub", "extraEnv", str(entry["name"])))
    if env == {} or env == []:
        c.take("hub", "extraEnv")


def _hub_secret(c: Conversion, name: str, where: Any) -> None:
    from .history import GENERATED_ENV

    if name in GENERATED_ENV:
        c.rotate(GENERATED_ENV[name], where)
    elif valid_env_name(name):
        c.secret_env(name, where, "the hub gets it in its environment as before")
    else:
        c.note(where, "secret", "not copied, and not a valid environment variable name")
