"""Hub database backups: consistent SQLite copies in S3-compatible object storage.

Runs as a sidecar of the hub (``hub.extraContainers``, the Up2U hub image):
``python3 -m up2u_jupyter.pupildata.backup run --database /srv/jupyterhub/jupyterhub.sqlite
--bucket B --prefix P --every SECONDS --keep N``. Each backup is SQLite's online backup API
(``sqlite3.Connection.backup``, what the ``.backup`` command uses) from the live database into
a file, checked with ``PRAGMA integrity_check``, gzipped and uploaded as
``<prefix>jupyterhub-<UTC time>.sqlite.gz``; then all but the newest ``keep`` are deleted. A
file copy of a live database can catch a half-written page; the backup API cannot.

It serves Prometheus metrics (the newest backup's time, failures) on ``--metrics-port``.
``restore`` writes a backup to a file, checked the same way. Standard library and boto3 only.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .names import BACKUP_LAST_SUCCESS, LOG_FORMAT

KEY_TIME = "%Y%m%dT%H%M%SZ"
KEY = re.compile(r"jupyterhub-(\d{8}T\d{6}Z)\.sqlite\.gz")
LAST_SUCCESS = BACKUP_LAST_SUCCESS
FAILURES = "up2u_hub_db_backup_failures_total"
BACKUPS = "up2u_hub_db_backups"
SIZE = "up2u_hub_db_backup_size_bytes"
RETRY_SECONDS = 300
"""A failed backup is tried again this soon (or at the next ``every``, if sooner)."""
BUSY_TIMEOUT_SECONDS = 60
"""How long the backup waits for the hub's write lock (SQLite's busy timeout)."""

log = logging.getLogger("hub-db-backup")


class BackupError(Exception):
    """A backup or restore failed; the message is the one line the operator reads."""


@dataclass(frozen=True)
class Backup:
    """One backup in the bucket."""

    key: str
    taken: datetime
    size: int


# --- SQLite ------------------------------------------------------------------------------------


def snapshot(database: Path, into: Path) -> None:
    """Copy a live SQLite database with the online backup API, then check the copy.

    The source is opened read-write without create (``mode=rw``), so that a missing database
    is an error and not a new empty file, and so that SQLite can finish a hot journal the way
    the hub itself would.
    """
    if not database.is_file():
        raise BackupError(f"no database at {database} (has the hub started yet?)")
    source = sqlite3.connect(f"file:{database}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        target = sqlite3.connect(into)
        try:
            source.backup(target)  # all pages in one step: one consistent read
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"backup of {database} failed: {error}") from None
    finally:
        source.close()
    check(into)


def check(database: Path) -> dict[str, int]:
    """``PRAGMA integrity_check`` must say ok; returns how many users and groups it holds."""
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"{database} fails SQLite's integrity check: {verdict}")
            counts = {}
            for table in ("users", "groups"):
                found = connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (table,)
                ).fetchone()[0]
                counts[table] = (
                    connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    if found
                    else 0
                )
            return counts
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{database} is not a readable SQLite database: {error}") from None


# --- object storage ----------------------------------------------------------------------------


class Store:
    """One bucket folder of S3-compatible object storage (credentials: boto3's own chain,
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the sidecar)."""

    def __init__(
        self, bucket: str, prefix: str, endpoint_url: str | None = None, region: str = "us-east-1"
    ) -> None:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )

    def create_bucket(self) -> None:
        """Create the bucket if it is missing (the local preview's; create your own)."""
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def backups(self) -> list[Backup]:
        """The backups in the folder, oldest first (other files are left alone)."""
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                match = KEY.fullmatch(item["Key"].removeprefix(self.prefix))
                if match:
                    taken = datetime.strptime(match.group(1), KEY_TIME).replace(tzinfo=UTC)
                    found.append(Backup(item["Key"], taken, int(item["Size"])))
        return sorted(found, key=lambda b: b.taken)

    def upload(self, path: Path, key: str) -> None:
        """Upload a file, private and unchanged (no public ACL is ever set)."""
        self.client.upload_file(str(path), self.bucket, key)

    def download(self, key: str, path: Path) -> None:
        """Download one object to a file."""
        self.client.download_file(self.bucket, key, str(path))

    def delete(self, keys: Sequence[str]) -> None:
        """Delete objects."""
        for key in keys:
            self.client.delete_object(Bucket=self.bucket, Key=key)


# --- the work ----------------------------------------------------------------------------------


def backup_once(store: Store, database: Path, now: datetime | None = None) -> Backup:
    """Take, check and upload one backup."""
    now = now or datetime.now(UTC)
    key = f"{store.prefix}jupyterhub-{now.strftime(KEY_TIME)}.sqlite.gz"
    with tempfile.TemporaryDirectory(prefix="hub-db-backup-") as work:
        copy = Path(work) / "jupyterhub.sqlite"
        snapshot(database, copy)
        packed = Path(work) / "jupyterhub.sqlite.gz"
        with copy.open("rb") as raw, gzip.open(packed, "wb") as out:
            shutil.copyfileobj(raw, out)
        store.upload(packed, key)
        return Backup(key, now.replace(microsecond=0), packed.stat().st_size)


def prune(store: Store, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups; the deleted keys."""
    backups = store.backups()
    doomed = [b.key for b in backups[: max(len(backups) - keep, 0)]]
    store.delete(doomed)
    return doomed


def restore(
    store: Store, to: Path, key: str | None = None, force: bool = False
) -> tuple[str, dict[str, int]]:
    """Write a backup (the newest unless ``key``) to ``to``; (its key, users and groups)."""
    if to.exists() and not force:
        raise BackupError(f"{to} exists; choose another file, or pass --force to replace it")
    backups = store.backups()
    if key is None:
        if not backups:
            raise BackupError(f"no backups in s3://{store.bucket}/{store.prefix}")
        key = backups[-1].key
    elif key not in {b.key for b in backups}:
        raise BackupError(f"no backup {key} in s3://{store.bucket}/{store.prefix}")
    with tempfile.TemporaryDirectory(prefix="hub-db-restore-", dir=to.parent) as work:
        packed = Path(work) / "backup.sqlite.gz"
        store.download(key, packed)
        unpacked = Path(work) / "jupyterhub.sqlite"
        try:
            with gzip.open(packed, "rb") as raw, unpacked.open("wb") as out:
                shutil.copyfileobj(raw, out)
        except (OSError, EOFError) as error:
            raise BackupError(f"{key} is not a gzipped backup: {error}") from None
        counts = check(unpacked)
        unpacked.replace(to)
    return key, counts


# --- the sidecar -------------------------------------------------------------------------------


class Metrics:
    """What Prometheus scrapes from the sidecar (text exposition format)."""

    def __init__(self) -> None:
        self.last_success: float | None = None
        self.failures = 0
        self.count = 0
        self.size = 0
        self._lock = threading.Lock()

    def seen(self, backups: Sequence[Backup]) -> None:
        """Update from the bucket's listing: the newest backup is what counts, not this run."""
        with self._lock:
            self.count = len(backups)
            if backups:
                self.last_success = backups[-1].taken.timestamp()
                self.size = backups[-1].size

    def failed(self) -> None:
        """Count a failed attempt."""
        with self._lock:
            self.failures += 1

    def text(self) -> str:
        """The exposition: the newest backup's time only once one exists."""
        with self._lock:
            lines = [
                f"# HELP {FAILURES} Backups that failed since the sidecar started.",
                f"# TYPE {FAILURES} counter",
                f"{FAILURES} {self.failures}",
                f"# HELP {BACKUPS} Backups in the bucket folder.",
                f"# TYPE {BACKUPS} gauge",
                f"{BACKUPS} {self.count}",
            ]
            if self.last_success is not None:
                lines += [
                    f"# HELP {LAST_SUCCESS} When the newest backup in the bucket was taken.",
                    f"# TYPE {LAST_SUCCESS} gauge",
                    f"{LAST_SUCCESS} {self.last_success:.0f}",
                    f"# HELP {SIZE} Size of the newest backup (gzipped).",
                    f"# TYPE {SIZE} gauge",
                    f"{SIZE} {self.size}",
                ]
            return "\n".join(lines) + "\n"


def serve_metrics(metrics: Metrics, port: int, host: str = "") -> ThreadingHTTPServer:
    """Serve ``/metrics`` in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = metrics.text().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per scrape would drown the backup log

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def next_due(newest: datetime | None, every: int, now: datetime) -> float:
    """Seconds until the next backup: now if there is none or the newest is ``every`` old."""
    if newest is None:
        return 0
    return max((newest.timestamp() + every) - now.timestamp(), 0)


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> None:
    """Back up every ``--every`` seconds, counted from the newest backup in the bucket, so
    that a restarted sidecar neither skips nor repeats one."""
    stop = stop or threading.Event()
    store = Store(args.bucket, args.prefix, args.endpoint_url, args.region)
    bucket_made = not args.create_bucket
    metrics = Metrics()
    if args.metrics_port:
        serve_metrics(metrics, args.metrics_port, args.metrics_host)
    log.info("backing up %s to s3://%s/%s every %ss, keeping %s",
             args.database, args.bucket, args.prefix, args.every, args.keep)  # fmt: skip
    while not stop.is_set():
        try:
            if not bucket_made:
                store.create_bucket()
                bucket_made = True
            backups = store.backups()
            metrics.seen(backups)
            wait = next_due(backups[-1].taken if backups else None, args.every, datetime.now(UTC))
            if wait > 0:
                stop.wait(wait)
                continue
            taken = backup_once(store, args.database)
            deleted = prune(store, args.keep)
            metrics.seen(store.backups())
            log.info("backup %s (%s bytes); deleted %s", taken.key, taken.size,
                     ", ".join(deleted) or "nothing")  # fmt: skip
        except Exception as error:  # S3 or the database may come back: keep going
            metrics.failed()
            log.error("backup failed: %s", str(error).splitlines()[0] if str(error) else error)
            stop.wait(min(args.every, RETRY_SECONDS))


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m up2u_jupyter.pupildata.backup")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "restore", "list"):
        command = commands.add_parser(name)
        command.add_argument("--bucket", required=True)
        command.add_argument("--prefix", default="")
        command.add_argument("--endpoint-url")
        command.add_argument("--region", default="us-east-1")
    run_ = commands.choices["run"]
    run_.add_argument("--database", type=Path, required=True)
    run_.add_argument("--every", type=int, required=True, help="seconds")
    run_.add_argument("--keep", type=int, required=True)
    run_.add_argument("--metrics-port", type=int, default=0, help="0: none")
    run_.add_argument("--metrics-host", default="")
    run_.add_argument("--create-bucket", action="store_true")
    restore_ = commands.choices["restore"]
    restore_.add_argument("--to", type=Path, required=True)
    restore_.add_argument("--key")
    restore_.add_argument("--force", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the sidecar (``run``) and of the restore helper pod (``restore``)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format=LOG_FORMAT)
    args = _arguments(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "run":
            run(args)
        elif args.command == "list":
            store = Store(args.bucket, args.prefix, args.endpoint_url, args.region)
            for backup in store.backups():
                print(f"{backup.key}\t{backup.taken.isoformat()}\t{backup.size}")
        else:
            store = Store(args.bucket, args.prefix, args.endpoint_url, args.region)
            key, counts = restore(store, args.to, args.key, args.force)
            print(f"restored {key} to {args.to}: {counts['users']} users, "
                  f"{counts['groups']} groups")  # fmt: skip
    except BackupError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
