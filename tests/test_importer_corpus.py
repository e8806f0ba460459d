"""import-values on old values files modelled on public deployments (tests/values_files/real).

Each fixture names, in its first line, the public file it is modelled on. For each: the import
succeeds with at most the answers a person would give (--from-chart, --domain, OAuth --set),
the stack passes ``check`` and ``values``, its values pass the chart's own schema, what matters
survives (who may sign in, admins, images, resources, storage, culling, profiles, volumes,
HTTPS), no planted ``CANARY-...`` secret reaches any output or written file, and the report
matches its golden copy (``<fixture>.report.txt``) exactly, so a silent loss shows in review.
"""

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.corpus_round2 import ROUND2
from tests.importer_helpers import (
    REAL,
    call,
    corpus_case,
    import_values,
    needs_auth_options,
    rendered,
    stack_values,
)
from up2u_jupyter.chart import coalesce
from up2u_jupyter.dotted import MISSING, get_path

LMS = "https://lms.course.example.edu"


_case = corpus_case


CORPUS: dict[str, Any] = {
    "chart-0.7-sharded-course-hub.yaml": _case(
        stack={
            "auth.type": "dummy",
            "auth.allowAll": True,  # 0.7 ran the dummy authenticator for everyone
            "hub.concurrentSpawnLimit": 80,
            "singleuser.image": {"name": "registry.example.edu/course/user-image", "tag": "v7"},
            "singleuser.memory.limit": "256Mi",
            "prePuller.hook": False,
            "helmValues.singleuser.storage.type": "none",
            "helmValues.rbac": MISSING,  # rbac.enabled: true, the default (NOTES.txt refuses it)
            "helmValues.proxy.chp.networkPolicy.enabled": True,
            # the password became a secretEnv entry; the rest of the environment is kept
            "helmValues.hub.extraEnv": {
                "HUB_NAME": "course-a",
                "SHARD_DB_USER": "course-a-proxyuser",
            },
        },
        values={
            "singleuser.storage.extraVolumes.0.nfs.server": "nfs-a.example.edu",
            "hub.extraContainers.0.name": "db-proxy",
        },
    ),
    "chart-0.8-pangeo-github-org.yaml": _case(
        stack={
            "auth.type": "github",
            "auth.allowedOrganizations": ["geo-community"],
            "auth.adminUsers": ["hydro-admin", "river-lead"],
            "auth.allowAll": MISSING,  # the organisation rule is kept, nobody else gets in
            "domain": "hydro.geo.example.org",
            "https.mode": "letsencrypt",  # the 0.8 default for hosts + contactEmail
            "https.contactEmail": "ops@geo.example.org",
        },
        values={
            "proxy.https.letsencrypt.acmeServer": (
                "https://acme-staging-v02.api.letsencrypt.org/directory"
            ),
            "singleuser.cloudMetadata.blockWithIptables": False,
            "singleuser.storage.static.pvcName": "home-nfs",
            "hub.extraVolumes.0.name": "custom-templates",
            "proxy.chp.nodeSelector": {"cloud.google.com/gke-nodepool": "core-pool"},
        },
    ),
    "chart-0.8-platform-ldap.yaml": _case(
        options=True,
        stack={
            "auth.type": "ldapauthenticator",
            "auth.options.server_address": "platform-openldap",
            "auth.options.allowed_groups": [
                "cn=notebook-users,ou=groups,dc=ldap,dc=platform,dc=example"
            ],
            "auth.secretOptions.lookup_dn_search_password": "LOOKUP_DN_SEARCH_PASSWORD",
            "auth.adminUsers": ["platform-admin"],
            "auth.allowAll": MISSING,
            "helmValues.hub.db.type": "sqlite-memory",
            "helmValues.hub.baseUrl": "/jupyterhub",
            "profiles.2.slug": "spark-environment",
            "profiles.0.default": True,
        },
        values={
            "singleuser.profileList.2.kubespawner_override.image": (
                "jupyter/all-spark-notebook:2a7c5e1f9b"
            ),
            "singleuser.storage.type": "none",
        },
    ),
    "chart-0.9-binder-parent.yaml": _case(
        options=True,
        stack={
            "auth.type": "null",
            "cull.every": 660,  # longer than the timeout: accepted, as the chart does
            "cull.timeout": 600,
            "cull.maxAge": 10800,
            "singleuser.cpu.limit": 4,
            "singleuser.memory.guarantee": "8Gi",
            "helmValues.proxy": MISSING,  # proxy.nginx is gone, and nothing else was left
        },
        values={
            "singleuser.cloudMetadata.blockWithIptables": False,
            "scheduling.userPods.nodeAffinity.matchNodePurpose": "require",
            "ingress.tls.0.secretName": "binder-hub-tls",
        },
    ),
    "chart-0.11-ldap-full-dump.yaml": _case(
        options=True,
        stack={
            "auth.type": "ldapauthenticator",
            "auth.allowAll": True,  # LDAP without a group rule let every bound user in (JH 1.3)
            "auth.adminUsers": ["Ada Lovelace"],
            "auth.options.server_address": "dc1.dept.example",
            "cull.timeout": 5400,
            "singleuser.storage.capacity": "5Gi",
            "hub.image": MISSING,  # the 0.11 chart's own hub image is not carried
            "helmValues.scheduling.userScheduler.plugins": MISSING,  # 4.4.0's own apply
            "helmValues.hub.extraConfigMap": MISSING,  # removed in chart 1.0
        },
        values={
            "singleuser.profileList.2.kubespawner_override.image": (
                "registry.dept.example/cuda-notebook:12"
            ),
        },
    ),
    "chart-1.x-platform-azuread.yaml": _case(
        "--from-chart",
        "1.2.0",
        options=True,
        stack={
            "auth.type": "azuread",
            "auth.options.tenant_id": "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
            # the keys every OAuth class shares are typed for azuread too (authkeys)
            "auth.clientId": "6b1f0c3e-1111-4a2b-9c3d-5e6f7a8b9c0d",
            "auth.secretOptions": MISSING,
            "auth.allowAll": True,  # no allow rule under JupyterHub 1.x: everyone got in
            "https.mode": "offload",  # TLS at the ingress
            "singleuser.storage.storageClass": "longhorn",
        },
        values={"ingress.tls.0.secretName": "notebooks-tls"},
    ),
    "chart-2.x-course-canvas.yaml": _case(
        "--from-chart",
        "2.0.0",
        "--set",
        "auth.type=generic-oauth",
        "--set",
        f"auth.authorizeUrl={LMS}/login/oauth2/auth",
        "--set",
        f"auth.tokenUrl={LMS}/login/oauth2/token",
        "--set",
        f"auth.userdataUrl={LMS}/api/v1/users/self/profile",
        options=True,  # enable_auth_state becomes auth.options
        stack={
            "auth.type": "generic-oauth",
            "auth.clientId": "170000000000042",
            "auth.usernameClaim": "primary_email",
            "auth.loginService": "Course LMS",
            "auth.allowAll": True,
            "https.mode": "letsencrypt",
            "domain": "hub.course.example.edu",
            "hub.image": {"name": "registry.course.example.edu/hub", "tag": "0.0.1-n812.h1a2b3c4"},
            "singleuser.cpu.limit": 4,
        },
        values={
            "hub.loadRoles.user-services.scopes": ["access:services", "self"],
            "singleuser.storage.static.pvcName": "home-nfs",
            "custom.memory.4G": ["instructor1", "instructor2"],
        },
    ),
    "chart-2.x-nextcloud-embedded.yaml": _case(
        "--from-chart",
        "2.0.0",
        options=True,  # auto_login and enable_auth_state become auth.options
        stack={
            "auth.type": "generic-oauth",
            "auth.clientId": "notebooks-in-cloud",
            "auth.loginService": "Uni Cloud",
            "auth.tokenUrl": "https://cloud.uni.example.se/index.php/apps/oauth2/api/v1/token",
            "auth.allowAll": True,  # chart 2.x let everyone who signed in through OAuth in
            "auth.options.auto_login": True,
            "domain": "notebooks.uni.example.se",
            "https.mode": "offload",
            # the unquoted date tag stays the string Helm read, not a date
            "singleuser.image": {"name": "jupyter/scipy-notebook", "tag": "2023-02-28"},
        },
        values={
            "hub.config.JupyterHub.tornado_settings.headers.Content-Security-Policy": (
                "frame-ancestors https://cloud.uni.example.se;"
            ),
            "singleuser.extraFiles.server_frame_headers.mode": 0o644,
            "singleuser.image.tag": "2023-02-28",
        },
    ),
    "chart-3.x-course-overlay.yaml": _case(
        "--from-chart",
        "3.3.7",
        stack={
            "auth.type": "dummy",
            "auth.allowAll": True,
            "singleuser.memory.limit": "4Gi",
            "singleuser.extraEnv.GH_SCOPED_CREDS_CLIENT_ID": "Iv1.0a1b2c3d4e5f6071",
        },
        values={
            "hub.loadRoles.course-staff.groups": ["course::4242::group::staff"],
            "singleuser.storage.extraVolumeMounts.0.mountPath": "/home/jovyan/shared",
            "custom.group_profiles": {
                "course::4242::group::staff": {"admin": True, "mem_limit": "8G"}
            },
            "custom.grades.apiKey": MISSING,
        },
    ),
    "chart-3.x-basehub-cilogon.yaml": _case(
        options=True,
        stack={
            "auth.type": "cilogon",
            "auth.allowAll": MISSING,  # one IdP lets its campus in; the rule is kept, not widened
            (
                "auth",
                "options",
                "idps",
                "https://idp.campus.example.edu/idp/shibboleth",
                "allow_all",
            ): True,
            "auth.allowedUsers": ["guest.instructor@example.org"],
            "auth.adminUsers": ["it-lead@campus.example.edu"],
            "https.mode": "offload",
        },
        values={"ingress.hosts": ["campus.hubs.example.org"]},
    ),
    "chart-4.x-extraconfig-github.yaml": _case(
        stack={
            "auth.type": "github",
            "auth.allowAll": True,  # set in code by the old file itself
            "auth.clientId": "Iv23liGpuBox0000demo",
            "auth.adminUsers": ["lab-admin"],
            "domain": "notebooks.gpulab.example.com",
            "https.mode": "offload",  # plain HTTP behind a tunnel that serves https
            "hub.extraConfig": MISSING,  # the snippet only configured the authenticator
            "proxy.serviceType": "NodePort",
        },
        values={
            "singleuser.extraResource.limits": {"nvidia.com/gpu": "1"},
            "singleuser.cloudMetadata.blockWithIptables": False,
            "proxy.service.nodePorts.http": 30080,
        },
    ),
    "chart-4.x-basehub-github-teams.yaml": _case(
        stack={
            "auth.type": "github",
            "auth.allowedOrganizations": ["research-lab:hub-users"],
            "auth.allowAll": MISSING,
            "auth.adminUsers": ["lab-director", "lab-it"],
            "singleuser.image": {"name": "pangeo/pangeo-notebook", "tag": "2025.01.10"},
        },
        values={
            "singleuser.profileList.0.profile_options.requests.choices.mem_4": {
                "display_name": "~4 GB, ~0.5 CPU",
                "kubespawner_override": {"mem_guarantee": "3.617G", "cpu_guarantee": 0.05},
            },
            "singleuser.profileList.1.description": (
                "Start a container with a chosen share of a node of this type"
            ),
        },
    ),
    "chart-4.x-daskhub-keycloak.yaml": _case(
        options=True,
        stack={
            "auth.type": "generic-oauth",
            "auth.allowAll": False,  # explicit in the old file: only the group gets in
            "auth.allowedGroups": ["notebook-users"],
            "auth.adminGroups": ["notebook-admins"],
            "auth.groupsClaim": "groups",
            "https.mode": "secret",
            "https.secretName": "dask-research-tls",
            "hub.db.url": "postgresql+psycopg2://hub@db.research.example.net:5432/hub?sslmode=require",
            "cull.maxAge": 28800,
        },
        values={"hub.services.dask-gateway.url": "http://traefik-daskhub-dask-gateway.daskhub"},
    ),
    "chart-4.x-azuread-extraconfig-groups.yaml": _case(
        options=True,
        stack={
            "auth.type": "azuread",
            "auth.allowAll": MISSING,
            # typed for azuread too (authkeys); it reads groups from its own claim
            "auth.allowedGroups": ["data-science", "notebook-users"],
            "auth.adminGroups": ["notebook-admins"],
            "auth.groupsClaim": MISSING,
            "auth.secretOptions": MISSING,
            "hub.db.url": "postgresql+psycopg2://jupyterhub@postgres.corp.example:5432/jupyterhub",
            "helmValues.hub.replicas": MISSING,  # not a chart key: the schema refuses it
            "helmValues.scheduling.userPods": MISSING,  # a map where the chart wants a word
        },
        values={
            "singleuser.storage.extraVolumes.0.persistentVolumeClaim.claimName": "shared-datasets",
            "singleuser.profileList.1.kubespawner_override.extra_resource_limits": {
                "nvidia.com/gpu": "1"
            },
        },
    ),
}


CORPUS.update(ROUND2)  # the second round's fixtures (tests/corpus_round2.py)


def test_every_fixture_is_in_the_corpus_and_names_its_model():
    names = sorted(path.name for path in REAL.glob("*.yaml"))
    assert names == sorted(CORPUS)
    for name in names:
        first = (REAL / name).read_text().splitlines()[0]
        assert re.fullmatch(r"# modelled on [\w.-]+/[\w.-]+ \S+ @ [0-9a-f]{40}", first), name


def test_the_corpus_spans_eras_and_parent_charts():
    eras = {name.split("-")[1] for name in CORPUS}
    assert {"0.7", "0.8", "0.9", "0.11", "1.x", "2.x", "3.x", "4.x"} <= eras
    parents = [name for name in CORPUS if not (REAL / name).read_text().count("\nhub:")]
    assert len(parents) >= 4


def _params() -> list[Any]:
    return [
        pytest.param(name, *case.values, marks=case.marks, id=name.removesuffix(".yaml"))
        for name, case in CORPUS.items()
    ]


def _import(project_dir: Path, name: str, args: list[str]) -> str:
    code, out, err = import_values(project_dir, REAL / name, *args)
    assert code == 0, err
    assert out == ""
    return err


@pytest.mark.parametrize(("name", "args", "expect"), _params())
def test_fixture_imports_to_a_stack_that_check_values_and_the_chart_accept(
    project_dir, chart_schema, chart_defaults, name, args, expect
):
    _import(project_dir, name, args)
    assert call("check", "--stack", "imported", "--project-dir", project_dir)[0] == 0
    code, out, _ = call("values", "--stack", "imported", "--project-dir", project_dir)
    assert code == 0 and out
    merged = coalesce(chart_defaults, rendered(project_dir))
    validator = jsonschema.validators.validator_for(chart_schema)(chart_schema)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(merged)] == []


@pytest.mark.parametrize(("name", "args", "expect"), _params())
def test_fixture_keeps_who_signs_in_https_and_the_servers(
    project_dir, chart_schema, name, args, expect
):
    _import(project_dir, name, args)
    config, values = stack_values(project_dir), rendered(project_dir)
    for key, wanted in expect.get("stack", {}).items():
        assert get_path(config, _parts(key)) == wanted, key
    for key, wanted in expect.get("values", {}).items():
        assert get_path(values, _parts(key)) == wanted, key


def _parts(key: str | tuple[str, ...]) -> tuple[str, ...]:
    return key if isinstance(key, tuple) else tuple(key.split("."))


@pytest.mark.parametrize(("name", "args", "expect"), _params())
def test_no_planted_secret_reaches_any_output_or_file(
    project_dir, chart_schema, name, args, expect
):
    err = _import(project_dir, name, args)
    outputs = [err]
    outputs += call("check", "--stack", "imported", "--project-dir", project_dir)[1:]
    outputs += call("values", "--stack", "imported", "--project-dir", project_dir)[1:]
    outputs += [path.read_text() for path in project_dir.iterdir() if path.is_file()]
    assert not [text for text in outputs if "CANARY" in text]


@pytest.mark.parametrize(("name", "args", "expect"), _params())
def test_report_matches_its_golden_copy(project_dir, chart_schema, name, args, expect):
    err = _import(project_dir, name, args).replace(str(project_dir), "PROJECT")
    golden = REAL / name.replace(".yaml", ".report.txt")
    assert err == golden.read_text()


@needs_auth_options
def test_parent_chart_keys_are_reported_as_the_parents_and_not_imported(project_dir):
    err = _import(project_dir, "chart-0.9-binder-parent.yaml", [])
    for key in ("binderhub.registry", "binderhub.dind", "nginx-ingress", "kube-lego"):
        assert re.search(rf"^  parent +{re.escape(key)} +belongs to the parent chart", err, re.M)
    written = (project_dir / "Pulumi.imported.yaml").read_text()
    assert "dind" not in written and "LEGO" not in written
