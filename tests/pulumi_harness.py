"""Pulumi mocks that record what the program registers, set up so that assertions really run.

The traps this avoids: resources created before ``set_mocks`` never resolve (we set mocks
first, per test); failures inside ``apply`` are lost without ``@pulumi.runtime.test`` (every
program runs under it); ``preview=True`` skips ``apply`` on unknowns (we run as an update);
inputs are read only after the program has finished registering (the decorator waits for
every outstanding RPC); mocks ignore ``additional_secret_outputs`` (RandomBytes' ``hex`` is
returned as a secret Output here, as the provider marks it); secret inputs arrive wrapped
(``unwrap`` separates them); config keys are fully qualified with JSON string values.
"""

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

PROJECT = "up2u-jupyter"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
LB_IP = "203.0.113.10"
CLUSTER_IP = "10.96.0.42"


def fake_hex(name: str) -> str:
    """A deterministic 64-hex-digit stand-in for a RandomBytes value."""
    return hashlib.sha256(name.encode()).hexdigest()


@dataclass
class Registration:
    """One resource the program registered (or read), as the engine saw it."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str
    dependencies: list[str]
    urn: str
    protect: bool = False
    import_id: str = ""
    read_id: str = ""


class Mocks(pulumi.runtime.Mocks):
    """Provider stand-ins returning what the real providers would, for the parts we read."""

    def __init__(self, lb_ingress: list[dict[str, str]] | None = None) -> None:
        self.lb_ingress = [{"ip": LB_IP}] if lb_ingress is None else lb_ingress

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        if args.typ == "random:index/randomBytes:RandomBytes":
            value = fake_hex(args.name)
            return f"{args.name}-id", {
                **inputs,
                "hex": pulumi.Output.secret(value),
                "base64": pulumi.Output.secret(value),
            }
        if args.typ == "kubernetes:helm.sh/v3:Release":
            status = {
                "name": inputs.get("name"),
                "namespace": _plain(inputs.get("namespace")),
                "chart": inputs.get("chart"),
                "version": inputs.get("version"),
                "status": "deployed",
                "revision": 1,
            }
            return f"{status['namespace']}/{status['name']}", {**inputs, "status": status}
        if args.typ == "kubernetes:core/v1:Service" and args.resource_id:
            return args.resource_id, {
                "metadata": {"name": args.resource_id.split("/")[-1]},
                "spec": {"type": "LoadBalancer", "clusterIP": CLUSTER_IP},
                "status": {"loadBalancer": {"ingress": self.lb_ingress}},
            }
        return f"{args.name}-id", inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, None]:
        return {}, None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock engine, also keeping each request's options (parent, protect, import id)."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(
                request,
                response,
                request.object,
                protect=bool(request.protect),
                import_id=request.importId,
            )
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self._record(request, response, request.properties, read_id=request.id)
        return response

    def _record(self, request: Any, response: Any, properties: Any, **options: Any) -> None:
        self.registrations.append(
            Registration(
                type=request.type,
                name=request.name,
                inputs=_deserialize(properties),
                parent=request.parent,
                dependencies=list(request.dependencies),
                urn=response.urn,
                **options,
            )
        )


@dataclass
class Harness:
    """One test's Pulumi runtime: mocks, the recording engine, and a fresh event loop."""

    mocks: Mocks
    monitor: RecordingMonitor
    loop: asyncio.AbstractEventLoop
    stack: str = "test"

    def set_config(self, config: dict[str, Any], secrets: dict[str, str] | None = None) -> None:
        """Set this project's config as the CLI passes it: full keys, JSON string values."""
        items = {
            f"{PROJECT}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in config.items()
        }
        secrets = secrets or {}
        items.update({f"{PROJECT}:{k}": v for k, v in secrets.items()})
        pulumi.runtime.set_all_config(items, [f"{PROJECT}:{k}" for k in secrets])

    def run(self, program: Callable[[], Any]) -> Any:
        """Run ``program`` as a Pulumi program and wait until everything it registered resolves."""
        result: dict[str, Any] = {}

        @pulumi.runtime.test
        def _program() -> Any:
            result["value"] = program()
            return None

        _program()
        return result.get("value")

    def resolve(self, output: Any) -> tuple[Any, bool]:
        """The value of an Output after the program ran, and whether it is secret."""
        out = pulumi.Output.from_input(output)
        value = self.loop.run_until_complete(out.future())
        secret = self.loop.run_until_complete(out.is_secret())
        return value, bool(secret)

    def registered(self, type_: str) -> list[Registration]:
        """Every registration of one resource type, in order."""
        return [r for r in self.monitor.registrations if r.type == type_]

    def one(self, type_: str) -> Registration:
        """The single registration of a type (fails if there are none or several)."""
        found = self.registered(type_)
        assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
        return found[0]


def start(mocks: Mocks | None = None, stack: str = "test") -> Harness:
    """Fresh loop, fresh root resource, mocks installed: call before creating any resource."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi_settings.ROOT.set(None)
    mocks = mocks or Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({}, [])
    return Harness(mocks=mocks, monitor=monitor, loop=loop, stack=stack)


def stop(harness: Harness) -> None:
    """Undo ``start``: no runtime state leaks into the next test."""
    pulumi.runtime.set_all_config({}, [])
    pulumi_settings.reset_options()
    harness.loop.close()
    asyncio.set_event_loop(None)


def unwrap(value: Any, path: str = "") -> tuple[Any, set[str]]:
    """Strip Pulumi's secret wrappers from deserialized inputs; return (plain, secret paths)."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        plain, inner = unwrap(value.get("value"), path)
        return plain, {path or "<root>", *inner}
    if isinstance(value, dict):
        plain_dict, secrets = {}, set()
        for key, item in value.items():
            plain_dict[key], found = unwrap(item, f"{path}.{key}" if path else str(key))
            secrets |= found
        return plain_dict, secrets
    if isinstance(value, list):
        plain_list, secrets = [], set()
        for index, item in enumerate(value):
            plain, found = unwrap(item, f"{path}[{index}]")
            plain_list.append(plain)
            secrets |= found
        return plain_list, secrets
    return value, set()


def _plain(value: Any) -> Any:
    return unwrap(value)[0]


def _deserialize(struct: Any) -> dict[str, Any]:
    from pulumi.runtime import rpc

    return rpc.deserialize_properties(struct)
