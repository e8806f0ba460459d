"""Erase one user: stop their servers, delete their volumes under every name, delete them.

Shared by the data-retention service (``retention.py``) and the operator's ``forget-user``.
Volumes go before the user: the hub's record holds the names KubeSpawner remembered, and a
failure then leaves the user in the hub, so that running it again finishes the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .hubapi import HubAPI, HubError
from .volumes import USERNAME_ANNOTATION, Candidate, Claims, candidates, remembered


@dataclass
class Erasure:
    """What erasing one user did, or would do (``dry_run``), and what it could not do."""

    user: str
    dry_run: bool = False
    known_to_hub: bool = False
    servers_stopped: list[str] = field(default_factory=list)
    user_deleted: bool = False
    volumes_deleted: list[Candidate] = field(default_factory=list)
    volumes_absent: list[Candidate] = field(default_factory=list)
    volumes_kept: list[str] = field(default_factory=list)
    """Claims annotated with this user but not named after them (shared, or another scheme)."""
    shared_templates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Nothing failed."""
        return not self.failures

    def removed(self) -> str:
        """One line: what was removed (the retention service logs it per user)."""
        verb = "would delete" if self.dry_run else "deleted"
        parts = [
            f"user {'known to the hub' if self.known_to_hub else 'not in the hub'}"
            + (f" ({verb})" if self.user_deleted else ""),
            f"servers stopped: {', '.join(s or '(default)' for s in self.servers_stopped) or '-'}",
            f"volumes {verb}: {', '.join(v.name for v in self.volumes_deleted) or '-'}",
        ]
        return "; ".join(parts)

    def lines(self) -> list[str]:
        """The report ``forget-user`` prints: what it deleted and what it could not."""
        verb = "would delete" if self.dry_run else "deleted"
        lines = [f"{'dry run: ' if self.dry_run else ''}forget {self.user}"]
        if self.known_to_hub:
            stopped = ", ".join(s or "(default)" for s in self.servers_stopped)
            if stopped:
                lines.append(f"  servers {'would stop' if self.dry_run else 'stopped'}: {stopped}")
            if self.user_deleted:
                lines.append(f"  hub user: {verb}")
        else:
            lines.append("  hub user: not in the hub (already deleted, or never signed in)")
        for volume in self.volumes_deleted:
            lines.append(f"  volume {volume.name}: {verb} ({volume.why})")
        for volume in self.volumes_absent:
            lines.append(f"  volume {volume.name}: none ({volume.why})")
        for name in self.volumes_kept:
            lines.append(
                f"  volume {name}: NOT deleted: annotated with this user but not named after "
                "them (a shared volume, or a custom template); delete it by hand if it is theirs"
            )
        for template in self.shared_templates:
            lines.append(f"  template {template}: names a shared volume, never deleted per user")
        for note in self.notes:
            lines.append(f"  note: {note}")
        for failure in self.failures:
            lines.append(f"  could not: {failure}")
        return lines


class Eraser:
    """Erases users from one hub and one namespace's volumes."""

    def __init__(
        self,
        hub: HubAPI,
        claims: Claims,
        templates: Sequence[str] = (),
        dry_run: bool = False,
    ) -> None:
        self.hub = hub
        self.claims = claims
        self.templates = list(templates)
        self.dry_run = dry_run

    async def erase(self, name: str, model: dict[str, Any] | None = None) -> Erasure:
        """Erase one user (by their hub name); ``model`` saves a lookup when it is at hand."""
        done = Erasure(name, dry_run=self.dry_run)
        try:
            model = model if model is not None else await self.hub.user(name)
        except HubError as error:
            done.failures.append(f"read the user from the hub: {error}")
            return done
        servers: dict[str, Any] = (model or {}).get("servers") or {}
        done.known_to_hub = model is not None
        named, done.shared_templates = candidates(
            name,
            self.claims.namespace,
            servers=servers,
            templates=self.templates,
            user_id=(model or {}).get("id"),
        )
        state_names = [
            str((entry.get("state") or {}).get("pvc_name"))
            for entry in servers.values()
            if (entry.get("state") or {}).get("pvc_name")
        ]
        targets = named + remembered(name, state_names, [c.name for c in named])
        existing = await self._existing(done)

        for server, entry in servers.items():
            if entry.get("stopped") and not entry.get("pending"):
                continue
            done.servers_stopped.append(server)
            if not self.dry_run:
                try:
                    await self.hub.stop(name, server)
                except HubError as error:
                    done.failures.append(f"stop server {server or '(default)'}: {error}")
        if done.failures:
            return done  # a running server holds its volume: stop before anything goes

        wanted = {t.name for t in targets}
        if existing is not None:
            done.volumes_kept = sorted(
                claim.name
                for claim in existing.values()
                if claim.annotations.get(USERNAME_ANNOTATION) == name and claim.name not in wanted
            )
        for target in targets:
            if existing is not None and target.name not in existing:
                done.volumes_absent.append(target)
            elif self.dry_run:
                done.volumes_deleted.append(target)
            else:
                await self._delete(target, done)

        if done.known_to_hub and not done.failures:
            done.user_deleted = True
            if not self.dry_run:
                try:
                    await self.hub.delete_user(name)
                except HubError as error:
                    done.user_deleted = False
                    done.failures.append(f"delete the user from the hub: {error}")
        return done

    async def _existing(self, done: Erasure) -> dict[str, Any] | None:
        """The namespace's claims by name; None when they cannot be listed (then every
        candidate is asked for by name, and a missing one answers 404)."""
        try:
            return {claim.name: claim for claim in await self.claims.list()}
        except Exception as error:  # the API's own error types vary by client
            done.notes.append(
                f"could not list volumes in namespace {self.claims.namespace} ({_short(error)}); "
                "each name above was asked for by name instead"
            )
            return None

    async def _delete(self, target: Candidate, done: Erasure) -> None:
        try:
            found = await self.claims.delete(target.name)
        except Exception as error:  # the API's own error types vary by client
            done.failures.append(f"delete volume {target.name}: {_short(error)}")
            return
        (done.volumes_deleted if found else done.volumes_absent).append(target)


def _short(error: Exception) -> str:
    status = getattr(error, "status", None)
    reason = getattr(error, "reason", None)
    if status is not None:
        return f"{status} {reason or ''}".strip()
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
