"""The second round of the real-file corpus (tests/values_files/real), modelled on deployments of
organisations the first round did not cover (research notes: real-values-files.md).

Each case lists the answers a person gives to the questions the first import run asks (all of
them at once: tests/test_import_corpus_round2.py checks that every answer here was asked for),
and what must survive. The cases join ``CORPUS`` of tests/test_importer_corpus.py, whose tests
import, check, render against the chart schema, look for canaries and compare golden reports.
"""

from typing import Any

from tests.importer_helpers import corpus_case
from up2u_jupyter.dotted import MISSING

KEYCLOAK = "https://sso.institute.example/realms/hub/protocol/openid-connect"
FH_KEYCLOAK = "https://sso.fh-example.de/realms/hub/protocol/openid-connect"


_case = corpus_case


ROUND2: dict[str, Any] = {
    "chart-0.7-exam-whitelist-two-hosts.yaml": _case(
        stack={
            "auth.type": "dummy",  # no authenticator named: the 0.7 chart's default ran
            "auth.allowedUsers": ["student-a", "student-b"],
            "auth.adminUsers": ["examiner-1", "examiner-2"],
            "auth.allowAll": MISSING,
            "https.mode": "letsencrypt",
            "domain": "exam.hs-example.de",
            "https.extraHosts": ["www.exam.hs-example.de"],  # keeps its certificate
            "singleuser.memory.limit": "0.5Gi",
            "hub.extraConfig": MISSING,  # jupyter-labhub: superseded
        },
        values={"proxy.https.hosts": ["exam.hs-example.de", "www.exam.hs-example.de"]},
    ),
    "chart-0.7-lti-bootcamp-fixed-password.yaml": _case(
        "--from-chart",
        "0.7.0",
        "--set",
        "auth.type=shared-password",
        "--set",
        "auth.secretOptions.admin_password=PASSWORD",
        "--set",
        "auth.secretOptions.user_password=PASSWORD_2",
        options=True,
        stack={
            "auth.type": "shared-password",
            "auth.adminUsers": ["workshop-admin"],  # a set literal in code
            "auth.allowAll": True,  # the fixed password let anyone who knew it in
        },
        values={"singleuser.storage.type": "none"},
    ),
    "chart-0.9-datacube-number-env.yaml": _case(
        stack={
            "auth.type": "dummy",
            "auth.allowAll": True,
            "singleuser.extraEnv.DB_PORT": "5432",  # a number in the old file, text now
            "helmValues.proxy": MISSING,  # proxy.enabled was never a chart key
        },
        values={"singleuser.cloudMetadata.blockWithIptables": False},
    ),
    "chart-0.9-orc-shibboleth.yaml": _case(
        "--set",
        "auth.type=generic-oauth",
        "--set",
        f"auth.authorizeUrl={KEYCLOAK}/auth",
        "--set",
        f"auth.tokenUrl={KEYCLOAK}/token",
        "--set",
        f"auth.userdataUrl={KEYCLOAK}/userinfo",
        "--set",
        "auth.clientId=notebooks",
        "--set",
        "domain=notebooks.institute.example",
        "--set",
        "hub.db.url=postgresql+psycopg2://hub@db.institute.example:5432/jupyterhub",
        options=True,  # auth state becomes auth.options.enable_auth_state
        stack={
            "auth.type": "generic-oauth",
            "auth.adminUsers": ["hub.admin@institute.example", "second.admin@institute.example"],
            "singleuser.extraEnv": {"IS_STAGING": "false", "IS_PRODUCTION": "true"},
            "hub.db.type": "postgres",
            "helmValues.singleuser": MISSING,  # schedulerStrategy: removed in 0.8
        },
        values={"hub.baseUrl": "/jupyter/", "proxy.service.nodePorts.http": 30080},
    ),
    "chart-0.8-netpyne-tmp.yaml": _case(
        stack={
            "auth.type": "tmp",
            "hub.image": {"name": "sim-ui-hub", "tag": "latest"},
            "cull.timeout": 360,
        },
        values={
            "hub.allowNamedServers": True,
            "hub.namedServerLimitPerUser": 2,
            "hub.extraConfig.spawner": (
                'c.Spawner.args = ["--library=sim_ui", "--ServerApp.disable_check_xsrf=True"]'
            ),
        },
    ),
    "chart-0.11-iris-iam-private-registry.yaml": _case(
        "--set",
        "auth.clientId=iris-notebooks",
        stack={
            "auth.type": "generic-oauth",
            "auth.clientId": "iris-notebooks",  # the file's was a placeholder
            "auth.allowAll": True,  # 0.11 (its own image tag): no rule let everyone in
            "auth.usernameClaim": "preferred_username",
            "hub.db.url": (
                "postgresql+psycopg2://hub@pgdatabase-postgresql.pgdatabase.svc.cluster.local"
                ":5432/jupyterhubdb"
            ),
            "https.mode": "offload",
            "helmValues.imagePullSecrets": ["image-pull-secret"],  # the pods still use it
            "helmValues.imagePullSecret": MISSING,
        },
        values={"hub.image.pullSecrets": ["image-pull-secret"]},
    ),
    "chart-1.x-azuread-dump-fsgid.yaml": _case(
        "--domain",
        "notebooks.synth-example.com",
        "--set",
        "auth.clientId=4a5b6c7d-0000-4000-8000-00000000feed",
        options=True,
        stack={
            "auth.type": "azuread",
            "auth.adminUsers": ["admin"],
            "auth.allowAll": True,
            "auth.clientId": "4a5b6c7d-0000-4000-8000-00000000feed",
            "helmValues.hub.podSecurityContext.fsGroup": 1000,  # hub.fsGid, moved in 2.0
            "helmValues.hub.fsGid": MISSING,  # chart 4.4.0's NOTES.txt refuses it
            "helmValues.rbac": MISSING,
            "singleuser.extraEnv.LICENSE_KEY_SIGNED": MISSING,
        },
        values={"singleuser.image.pullSecrets": ["acr-auth"], "singleuser.fsGid": 100},
    ),
    "chart-1.x-daskhub-enterprise-dummy.yaml": _case(
        stack={
            "auth.type": "dummy",
            "auth.allowedUsers": ["analyst1"],
            "auth.adminUsers": ["gateway-admin"],
            "helmValues.hub.services": {"dask-gateway": {}},  # still registered
        },
        values={
            "hub.networkPolicy.enabled": False,
            "singleuser.extraEnv.DASK_GATEWAY__CLUSTER__OPTIONS__IMAGE": "{JUPYTER_IMAGE_SPEC}",
        },
    ),
    "chart-1.x-github-no-rule-course.yaml": _case(
        "--from-chart",
        "1.1.3",
        "--set",
        "auth.clientId=Iv1.course0000demo",
        stack={
            "auth.type": "github",
            "auth.allowAll": True,  # chart 1.1 (OAuthenticator < 16): every GitHub user
            "domain": "localhost",
            "https.mode": "none",
            "singleuser.image": {"name": "jupyter/minimal-notebook", "tag": "2022-04-24"},
            "singleuser.extraEnv.COURSE_API_TOKEN": MISSING,
        },
        values={"singleuser.storage.homeMountPath": "/home/{username}"},
    ),
    "chart-2.x-multiauth-custom-secrets.yaml": _case(
        "--from-chart",
        "2.0.0",
        "--set",
        "auth.type=generic-oauth",
        "--set",
        f"auth.authorizeUrl={FH_KEYCLOAK}/auth",
        "--set",
        f"auth.tokenUrl={FH_KEYCLOAK}/token",
        "--set",
        f"auth.userdataUrl={FH_KEYCLOAK}/userinfo",
        "--set",
        "auth.clientId=jupyter-oidc-id",
        "--set",
        "domain=jupyter.fh-example.de",
        stack={"auth.type": "generic-oauth", "auth.allowAll": True},
        values={
            "custom.keycloak_client_id": 'jupyter-oidc-id"',  # the stray quote is kept
            "custom.keycloak_client_secret": MISSING,
            "hub.baseUrl": "/jupyterhub",
        },
    ),
    "chart-3.x-teehr-github-team.yaml": _case(
        "--set",
        "auth.clientId=Iv1.hydrohub0000demo",
        stack={
            "auth.type": "github",
            "auth.allowedOrganizations": ["hydro-example:hub-users"],
            "auth.allowAll": MISSING,
            "https.mode": "letsencrypt",
            "domain": "hub.hydro-example.org",
        },
        values={
            "hub.config.JupyterHub.allow_named_servers": True,
            "hub.config.JupyterHub.namedServerLimitPerUser": MISSING,  # no trait: ignored then
            "scheduling.userPods.nodeAffinity.matchNodePurpose": "require",
        },
    ),
    "chart-3.x-purdue-cilogon-subclass.yaml": _case(
        "--set",
        "auth.clientId=cilogon:/client_id/0a1b2c3d4e5f",
        # Pod Security (docs/checks.md): CVMFS through its CSI driver instead of a hostPath,
        # and the NetworkPolicy that keeps the cloud metadata service out of reach
        "--set",
        "helmValues.singleuser.storage.extraVolumes=[{name: cvmfs, csi: {driver: "
        "cvmfs.csi.cern.ch}}, {name: work, persistentVolumeClaim: {claimName: af-shared-storage}}]",
        "--set",
        "helmValues.singleuser.networkPolicy.enabled=true",
        options=True,
        stack={
            "auth.type": "cilogon",
            "auth.adminUsers": ["af-admin"],  # from the subclass's section
            "auth.allowAll": MISSING,  # each identity provider lets its users in
            ("auth", "options", "idps", "https://cern.ch/login", "allow_all"): True,
            "auth.secretOptions": MISSING,  # the client secret is the typed oauthClientSecret
            "helmValues.hub.extraFiles": MISSING,  # no content: the chart would refuse them
            "helmValues.hub.extraEnv": MISSING,  # the credentials are the stack's own now
            "podSecurity": "baseline",  # its servers run as root (singleuser.uid: 0)
        },
        values={"singleuser.podNameTemplate": "af-{userid}", "cull.timeout": 1209600},
    ),
    "chart-4.x-unidata-cilogon-placeholders.yaml": _case(
        "--set",
        "auth.clientId=cilogon:/client_id/5e6f7a8b",
        options=True,
        stack={
            "auth.type": "cilogon",
            "auth.allowedUsers": ["users"],
            "auth.adminUsers": ["admins"],
            "auth.options.allow_existing_users": True,
            "https.mode": "offload",  # TLS at the ingress
            "helmValues.hub.services.dask-gateway": {
                "url": "http://traefik-dask-gateway.course-dask"
            },
        },
        values={"imagePullSecrets": ["image-pull-secret"], "singleuser.storage.type": "none"},
    ),
    "chart-4.x-nautilus-cilogon-httproute.yaml": _case(
        "--set",
        "auth.clientId=cilogon:/client_id/9f8e7d",
        "--set",  # the cloud metadata service out of reach of user servers (docs/checks.md)
        "helmValues.singleuser.networkPolicy.enabled=true",
        options=True,
        stack={
            "auth.type": "cilogon",
            "auth.adminUsers": ["instructor@campus-example.edu"],
            "helmValues.hub.config.JupyterHub": MISSING,  # admin_users is no trait there
            "singleuser.image": {"name": "quay.io/jupyter/scipy-notebook", "tag": "2024-04-22"},
            "podSecurity": "baseline",  # its servers start as root (singleuser.uid: 0)
        },
        values={
            "httpRoute.gateway.name": "ingress",
            "singleuser.extraPodConfig.securityContext.fsGroup": 100,
        },
    ),
}
