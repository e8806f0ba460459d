"""Hypothesis strategies for stack configs, shared by the property suite (test_properties) and
the hostile-input suite (test_hostile): mostly plausible configs with junk at every leaf and
unknown keys (``configs``), and configs drawn from valid choices only (``valid_configs``)."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def ci(examples: int) -> settings:
    """Reproducible in CI: the same examples every run, no per-example deadline."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def either(*valid):
    return st.one_of(st.sampled_from(valid), junk)


def obj(**fields):
    return st.one_of(st.fixed_dictionaries({}, optional=fields), junk)


quantity = either("1G", "2G", "512Mi", "10Gi", "1e9", "0.5Gi", "100M", "0")
cores = either(0.1, 0.5, 1, 2, "500m", "1500m", 0)
url = either("https://proxy.eduteams.org/OIDC/token", "https://idp.example.org/a", "http://x/")
names = st.one_of(st.lists(st.sampled_from(["alice", "bob", "x@eduteams.org"]), max_size=3), junk)
image = obj(name=either("registry.example.org/hub", ""), tag=either("v1", "latest", ""))
resources = obj(
    requests=obj(cpu=quantity, memory=quantity), limits=obj(cpu=quantity, memory=quantity)
)

configs = st.fixed_dictionaries(
    {},
    optional={
        "namespace": either("jhub", "up2u-dev", "Bad_NS", "-x"),
        "releaseName": either("jhub", "up2u", "UPPER"),
        "chart": obj(version=either("4.4.0"), repo=url),
        "domain": either("jupyter.example.org", "https://x.org/", "a_b.org"),
        "https": obj(
            mode=either("offload", "letsencrypt", "secret", "none", "manual"),
            contactEmail=either("ops@example.org", "nope"),
            secretName=either("tls", "BAD"),
        ),
        "proxy": obj(
            serviceType=either("LoadBalancer", "ClusterIP", "NodePort", "Ingress"),
            resources=resources,
        ),
        "hub": obj(
            image=image,
            activeServerLimit=either(1, 100, 0),
            concurrentSpawnLimit=either(1, 64),
            templatePaths=either(["/opt/up2u/templates"], []),
            templateVars=obj(environment=junk),
            extraConfig=either({"a": "c.JupyterHub.log_level = 10"}),
            resources=resources,
            db=obj(
                type=either("sqlite-pvc", "postgres", "mysql"),
                storage=quantity,
                storageClass=either("ssd"),
                url=either("postgresql://h@db/hub", "postgresql://u:p@db/x"),
            ),
        ),
        "auth": obj(
            type=either("generic-oauth", "github", "google", "dummy", "tmp", "ldap"),
            loginService=either("SSO"),
            clientId=either("c"),
            authorizeUrl=url,
            tokenUrl=url,
            userdataUrl=url,
            usernameClaim=either("sub"),
            scope=either(["openid"]),
            userdataParams=either({"state": "state"}),
            allowAll=either(True, False),
            allowedUsers=names,
            adminUsers=names,
            allowedOrganizations=names,
            hostedDomain=names,
        ),
        "singleuser": obj(
            image=image,
            defaultUrl=either("/lab", "/tree"),
            cpu=obj(limit=cores, guarantee=cores),
            memory=obj(limit=quantity, guarantee=quantity),
            storage=obj(capacity=quantity, storageClass=either("standard")),
            extraEnv=either({"TZ": "UTC"}),
        ),
        "scheduling": obj(userScheduler=either(True, False)),
        "prePuller": obj(hook=either(True, False), continuous=either(True, False)),
        "cull": obj(
            enabled=either(True, False),
            timeout=either(60, 3600),
            every=either(10, 600, 7200),
            maxAge=either(0, 3600),
            users=either(True, False),
        ),
        "healthCheck": obj(enabled=either(True, False), user=either("health-check", "Bad User")),
        "protect": either(True, False),
        "adopt": either(True, False),
        "nmespace": junk,  # an unknown key
    },
)


# Configs built only from valid choices, so the values side of the property is exercised too.
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
valid_configs = st.fixed_dictionaries(
    {
        "domain": st.sampled_from(["jupyter.example.org", "hub.school.example.org", "a.b"]),
        "auth": st.fixed_dictionaries(
            {
                "clientId": texts.filter(bool),
                "authorizeUrl": st.sampled_from(["https://idp.example.org/authorize"]),
                "tokenUrl": st.sampled_from(["https://idp.example.org/token"]),
                "userdataUrl": st.sampled_from(["https://idp.example.org/userinfo"]),
                "adminUsers": st.lists(texts.filter(bool), min_size=1, max_size=3),
            },
            optional={
                "allowAll": st.booleans(),
                "allowedUsers": st.lists(texts.filter(bool), max_size=3),
                "loginService": texts.filter(bool),
                "scope": st.lists(texts.filter(bool), max_size=3),
                "userdataParams": st.dictionaries(texts, texts, max_size=2),
            },
        ),
    },
    optional={
        "namespace": st.from_regex(r"[a-z]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True),
        "https": st.sampled_from(
            [
                {"mode": "offload"},
                {"mode": "none"},
                {"mode": "secret", "secretName": "tls"},
                {"mode": "letsencrypt", "contactEmail": "ops@example.org"},
            ]
        ),
        "proxy": st.fixed_dictionaries(
            {}, optional={"serviceType": st.sampled_from(["LoadBalancer", "ClusterIP", "NodePort"])}
        ),
        "hub": st.fixed_dictionaries(
            {},
            optional={
                "image": st.fixed_dictionaries(
                    {"name": texts.filter(bool), "tag": texts.filter(bool)}
                ),
                "activeServerLimit": st.integers(1, 10_000),
                "concurrentSpawnLimit": st.integers(1, 500),
                "templatePaths": st.lists(texts.filter(bool), max_size=2),
                "templateVars": st.dictionaries(texts, texts, max_size=3),
                "extraConfig": st.dictionaries(texts, texts, max_size=2),
                "db": st.sampled_from(
                    [
                        {"type": "sqlite-pvc", "storage": "5Gi"},
                        {"type": "postgres", "url": "postgresql+psycopg2://hub@db:5432/hub"},
                    ]
                ),
            },
        ),
        "singleuser": st.fixed_dictionaries(
            {},
            optional={
                "defaultUrl": st.sampled_from(["/lab", "/tree", "/lab/tree/README.md"]),
                "cpu": st.sampled_from([{"limit": 2, "guarantee": 0.5}, {"limit": "1500m"}, {}]),
                "memory": st.sampled_from([{"limit": "2G", "guarantee": "1G"}, {"limit": "4Gi"}]),
                "storage": st.fixed_dictionaries(
                    {"capacity": st.sampled_from(["1Gi", "10G", "1e10"])}
                ),
                "extraEnv": st.dictionaries(texts.filter(bool), texts, max_size=2),
            },
        ),
        "scheduling": st.fixed_dictionaries({"userScheduler": st.booleans()}),
        "prePuller": st.fixed_dictionaries({"hook": st.booleans(), "continuous": st.booleans()}),
        "cull": st.fixed_dictionaries(
            {"timeout": st.integers(60, 7200), "every": st.integers(1, 60)},
            optional={
                "enabled": st.booleans(),
                "maxAge": st.integers(0, 10**6),
                "users": st.booleans(),
            },
        ),
        "healthCheck": st.fixed_dictionaries({"enabled": st.booleans()}),
        "adopt": st.booleans(),
    },
)
