"""Where the z2jh chart's ``values.schema.json`` and ``values.yaml`` are: the one place that knows.

The files are the chart's, not this project's, so they are never committed. Two sources, the
first that has them wins:

1. the shared reference data, ``<shared>/z2jh/<version>/``: ``<project>/../shared`` on this
   project's machines, or the folder ``UP2U_SHARED_DIR`` names (a missing folder there acts as
   if ``../shared`` were removed);
2. the cache, ``<cache>/chart/<version>/`` (``UP2U_CACHE_DIR``, else
   ``$XDG_CACHE_HOME/up2u-jupyter``, else ``~/.cache/up2u-jupyter``), which ``make chart``
   fills from the chart repository's published archive after checking its pinned sha256.

``python -m up2u_jupyter.chart.files`` (``make chart``) makes sure the files are there. When
they cannot be had it says why in one line: an error under ``CI=true`` (exit 1), otherwise a
warning (the tests that need the chart then skip).
"""

import os
import sys
from pathlib import Path

from .. import chart

FILES = ("values.schema.json", "values.yaml")
"""What the project reads from the chart: its values schema and its default values."""
SHARED_ENV = "UP2U_SHARED_DIR"
"""A folder to use instead of ``<project>/../shared`` (holding ``z2jh/<version>/``)."""
CACHE_ENV = "UP2U_CACHE_DIR"
"""A folder to use instead of ``~/.cache/up2u-jupyter`` (holding ``chart/<version>/``)."""
ARCHIVE_URL_ENV = "UP2U_CHART_ARCHIVE_URL"
"""Where to fetch the chart archive from instead of the chart repository (a mirror, a file)."""
SHA256_ENV = "UP2U_CHART_SHA256"
"""The archive's sha256 to expect instead of the pinned one (a mirror's own build)."""
MAX_ARCHIVE_BYTES = 16 * 1024 * 1024
"""The published chart archive is ~100 KB; anything far bigger is not it."""

ARCHIVE_SHA256: dict[str, str | None] = {"4.4.0": None}
"""The sha256 of each chart version's published archive (``<repo>jupyterhub-<version>.tgz``).

None: NOT YET CONFIRMED. The machine this was written on cannot reach the chart repository,
and a digest is never guessed. The first ``make chart`` on a connected machine without
``../shared`` stops, printing the archive's sha256: compare it with the ``digest`` of
jupyterhub 4.4.0 in the repository's ``index.yaml`` (Helm's own sha256 of the archive) and,
if they are equal, write it here. Until then the archive is refused, never used unchecked.
"""

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout: up2u_jupyter/chart/ is two folders below it."""


class ChartUnavailableError(Exception):
    """The chart's files are not here and could not be fetched (one line: what, why, the fix)."""


def shared_dirs(version: str, project_dir: Path = PROJECT_ROOT) -> list[Path]:
    """The shared reference folders of a chart version, in the order they are tried."""
    named = os.environ.get(SHARED_ENV)
    roots = [Path(named)] if named else [p.parent / "shared" for p in (project_dir, PROJECT_ROOT)]
    return [root / "z2jh" / version for root in dict.fromkeys(roots)]


def cache_root() -> Path:
    """This project's cache, outside every checkout: the chart's files, the theme's wheel."""
    named = os.environ.get(CACHE_ENV)
    if named:
        return Path(named)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "up2u-jupyter"


def cache_dir(version: str) -> Path:
    """The cache folder of a chart version (filled by ``fetch``)."""
    return cache_root() / "chart" / version


def chart_dir(version: str, project_dir: Path = PROJECT_ROOT) -> Path | None:
    """The folder holding a chart version's ``values.schema.json`` (and ``values.yaml``
    beside it, when the source has it); None when no source has it."""
    for folder in [*shared_dirs(version, project_dir), cache_dir(version)]:
        if (folder / FILES[0]).is_file():
            return folder
    return None


def archive_url(version: str) -> str:
    """Where a chart version's archive is fetched from."""
    return os.environ.get(ARCHIVE_URL_ENV) or f"{chart.REPO}{chart.NAME}-{version}.tgz"


def fetch(version: str, project_dir: Path = PROJECT_ROOT) -> tuple[Path, str]:
    """Make sure a chart version's files are somewhere: (their folder, where they came from).

    Raises ChartUnavailableError, with nothing written, when the archive cannot be fetched, is not
    the pinned one, or lacks the files.
    """
    found = chart_dir(version, project_dir)
    if found is not None:
        source = "the cache" if found == cache_dir(version) else "the shared reference data"
        return found, source
    url = archive_url(version)
    data = _download(version, url)
    _verify(version, url, data)
    target = cache_dir(version)
    _unpack(version, url, data, target)
    return target, f"{url}, sha256 verified"


def _download(version: str, url: str) -> bytes:
    import urllib.error
    import urllib.request

    where = " nor ".join(str(d) for d in [*shared_dirs(version), cache_dir(version)])
    missing = f"chart {version}'s {' and '.join(FILES)} are neither in {where}"
    if not url.startswith(("https://", "http://", "file:")):
        raise ChartUnavailableError(f"{missing}, and {ARCHIVE_URL_ENV} {url[:200]!r} is no URL")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data: bytes = response.read(MAX_ARCHIVE_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise ChartUnavailableError(
            f"{missing}, and its archive cannot be fetched from {url} ({str(reason)[:200]}); "
            f"run `make chart` where that URL is reachable, or set {ARCHIVE_URL_ENV} to a copy"
        ) from None
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ChartUnavailableError(f"{url} is over {MAX_ARCHIVE_BYTES} bytes: not the chart")
    return data


def _verify(version: str, url: str, data: bytes) -> None:
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    pinned = os.environ.get(SHA256_ENV) or ARCHIVE_SHA256.get(version)
    if pinned is None:
        raise ChartUnavailableError(
            f"chart {version}'s archive ({url}) has sha256 {digest}, but no sha256 is pinned "
            f"for {version}: compare it with jupyterhub {version}'s digest in "
            f"{chart.REPO}index.yaml and, if equal, pin it in ARCHIVE_SHA256 "
            "(up2u_jupyter/chart/files.py); nothing was cached"
        )
    if digest != pinned.lower():
        raise ChartUnavailableError(
            f"chart {version}'s archive ({url}) has sha256 {digest}, not the pinned "
            f"{pinned[:64]}: refused (a different or altered file); nothing was cached"
        )


def _unpack(version: str, url: str, data: bytes, target: Path) -> None:
    """Write the two files into ``target``, all or nothing (a temporary folder, renamed)."""
    import io
    import shutil
    import tarfile
    import tempfile

    contents = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for name in FILES:
                # read by name, never extracted by the archive's own paths
                path = f"{chart.NAME}/{name}"
                try:
                    member = archive.getmember(path)
                except KeyError:
                    raise ChartUnavailableError(f"{url} has no {path}") from None
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is None:
                    raise ChartUnavailableError(f"{url}: {path} is not a file")
                contents[name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ChartUnavailableError(f"{url} is not a chart archive ({str(error)[:200]})") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    for name, content in contents.items():
        (staging / name).write_bytes(content)
    (staging / "SOURCE").write_text(f"{url}\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def ci() -> bool:
    """Whether this runs in CI (``CI=true``, as GitHub Actions and this project's CI set)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def main() -> int:
    """``make chart``: one line on stderr when something happened or is missing."""
    try:
        folder, source = fetch(chart.VERSION)
    except ChartUnavailableError as error:
        if ci():
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"warning: {error} (tests that need the chart skip; CI=true fails)", file=sys.stderr)
        return 0
    if "verified" in source:
        fetched = f"chart {chart.VERSION}: {' and '.join(FILES)} in {folder}, from {source}"
        print(fetched, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
