"""chartfiles: the chart's schema and defaults from ../shared, else from the published archive,
sha256-checked and cached outside the repository; under CI=true a missing chart fails."""

import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT
from up2u_jupyter import chart
from up2u_jupyter.chart import files as chartfiles
from up2u_jupyter.chart.files import ChartUnavailableError, chart_dir, fetch

SCHEMA = b'{"type": "object", "properties": {"hub": {"type": "object"}}}'
DEFAULTS = b"hub: {}\n"


def archive(files: dict[str, bytes]) -> bytes:
    """A gzipped tar shaped like the published chart (``jupyterhub/<file>``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"jupyterhub/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


CHART_ARCHIVE = archive(
    {"Chart.yaml": b"name: jupyterhub\n", "values.schema.json": SCHEMA, "values.yaml": DEFAULTS}
)
DIGEST = hashlib.sha256(CHART_ARCHIVE).hexdigest()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No shared reference data, an empty cache: as on a runner with a fresh clone."""
    monkeypatch.setenv(chartfiles.SHARED_ENV, str(tmp_path / "no-shared"))
    monkeypatch.setenv(chartfiles.CACHE_ENV, str(tmp_path / "cache"))
    for name in (chartfiles.ARCHIVE_URL_ENV, chartfiles.SHA256_ENV, "CI"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def served(tmp_path):
    """A chart archive served over HTTP from 127.0.0.1 (a free port), like the repository."""
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / f"jupyterhub-{chart.VERSION}.tgz").write_bytes(CHART_ARCHIVE)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jupyterhub-{chart.VERSION}.tgz"
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_shared_reference_data_comes_first(isolated, monkeypatch):
    shared = isolated / "shared" / "z2jh" / "1.2.3"
    shared.mkdir(parents=True)
    (shared / "values.schema.json").write_text("{}")
    monkeypatch.setenv(chartfiles.SHARED_ENV, str(isolated / "shared"))
    assert chart_dir("1.2.3") == shared
    assert fetch("1.2.3") == (shared, "the shared reference data")


def test_without_shared_data_or_cache_there_is_no_chart(isolated):
    assert chart_dir(chart.VERSION) is None


def test_the_cache_defaults_to_the_users_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(chartfiles.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert chartfiles.cache_dir("4.4.0") == tmp_path / "up2u-jupyter" / "chart" / "4.4.0"
    assert ROOT not in chartfiles.cache_dir("4.4.0").parents  # never inside the repository


def test_the_archive_is_fetched_checked_and_cached(isolated, served, monkeypatch):
    monkeypatch.setenv(chartfiles.ARCHIVE_URL_ENV, served)
    monkeypatch.setitem(chartfiles.ARCHIVE_SHA256, chart.VERSION, DIGEST)
    folder, source = fetch(chart.VERSION)
    assert folder == isolated / "cache" / "chart" / chart.VERSION
    assert source == f"{served}, sha256 verified"
    assert (folder / "values.schema.json").read_bytes() == SCHEMA
    assert (folder / "values.yaml").read_bytes() == DEFAULTS
    assert chart_dir(chart.VERSION) == folder
    assert fetch(chart.VERSION) == (folder, "the cache")  # once: the next call reads the cache


def test_a_file_url_works_as_well(isolated, monkeypatch):
    path = isolated / "chart.tgz"
    path.write_bytes(CHART_ARCHIVE)
    monkeypatch.setenv(chartfiles.ARCHIVE_URL_ENV, path.as_uri())
    monkeypatch.setenv(chartfiles.SHA256_ENV, DIGEST)
    folder, _ = fetch(chart.VERSION)
    assert (folder / "values.yaml").read_bytes() == DEFAULTS


def test_an_archive_that_is_not_the_pinned_one_is_refused(isolated, served, monkeypatch):
    monkeypatch.setenv(chartfiles.ARCHIVE_URL_ENV, served)
    monkeypatch.setitem(chartfiles.ARCHIVE_SHA256, chart.VERSION, "0" * 64)
    with pytest.raises(ChartUnavailableError) as raised:
        fetch(chart.VERSION)
    assert str(raised.value) == (
        f"chart {chart.VERSION}'s archive ({served}) has sha256 {DIGEST}, not the pinned "
        f"{'0' * 64}: refused (a different or altered file); nothing was cached"
    )
    assert not (isolated / "cache").exists()


def test_an_unpinned_version_is_refused_showing_the_digest_to_confirm(
    isolated, served, monkeypatch
):
    monkeypatch.setenv(chartfiles.ARCHIVE_URL_ENV, served)
    monkeypatch.setitem(chartfiles.ARCHIVE_SHA256, chart.VERSION, None)
    with pytest.raises(
        ChartUnavailableError, match=f"has sha256 {DIGEST}, but no sha256 is pinned"
    ):
        fetch(chart.VERSION)
    assert not (isolated / "cache").exists()


def test_an_archive_without_the_schema_is_refused(isolated, monkeypatch):
    path = isolated / "chart.tgz"
    path.write_bytes(archive({"values.yaml": DEFAULTS}))
    monkeypatch.setenv(chartfiles.ARCHIVE_URL_ENV, path.as_uri())
    monkeypatch.setenv(chartfiles.SHA256_ENV, hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(ChartUnavailableError, match=r"has no jupyterhub/values\.schema\.json$"):
        fetch(chart.VERSION)
    assert chart_dir(chart.VERSION) is None


def test_an_unreachable_archive_is_one_line_naming_the_url_and_the_fix(isolated, monkeypatch):
    url = f"{(isolated / 'absent.tgz').as_uri()}"
    monkeypatch.setenv(chartfiles.ARCHIVE_URL_ENV, url)
    with pytest.raises(ChartUnavailableError) as raised:
        fetch(chart.VERSION)
    message = str(raised.value)
    assert "\n" not in message
    assert f"its archive cannot be fetched from {url}" in message
    assert "run `make chart` where that URL is reachable" in message


def test_check_validates_with_a_chart_found_only_in_the_cache(isolated, served, monkeypatch):
    from tests.test_cli import call

    monkeypatch.setenv(chartfiles.ARCHIVE_URL_ENV, served)
    monkeypatch.setenv(chartfiles.SHA256_ENV, DIGEST)
    fetch(chart.VERSION)
    code, _, err = call("check", "--stack", "dev", "--project-dir", str(ROOT))
    assert code == 0 and "schema validation skipped" not in err


# --- make chart and the test suite under CI=true -------------------------------------------


def make_chart(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "-s", "chart", f"VENV={venv}"],
        cwd=ROOT,
        # as a person runs it, not as a sub-make of `make test` (whose lines say make[1])
        env={k: v for k, v in os.environ.items() if k not in MAKE_ENV} | env,
        capture_output=True,
        text=True,
        check=False,
    )


MAKE_ENV = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")


def hidden(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh clone with ../shared removed and no archive to fetch."""
    return {
        chartfiles.SHARED_ENV: str(tmp_path / "no-shared"),
        chartfiles.CACHE_ENV: str(tmp_path / "cache"),
        chartfiles.ARCHIVE_URL_ENV: (tmp_path / "no-archive.tgz").as_uri(),
        chartfiles.SHA256_ENV: "",
        **extra,
    }


def test_make_chart_under_ci_fails_with_one_line_when_no_source_has_the_chart(tmp_path):
    result = make_chart(hidden(tmp_path, CI="true"))
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make:")]
    assert len(ours) == 1 and ours[0].startswith(f"error: chart {chart.VERSION}'s values.schema")
    assert result.stdout == ""


def test_make_chart_elsewhere_warns_in_one_line_and_goes_on(tmp_path):
    result = make_chart(hidden(tmp_path, CI=""))
    assert result.returncode == 0
    [line] = result.stderr.splitlines()
    assert line.startswith("warning: ") and line.endswith(
        "(tests that need the chart skip; CI=true fails)"
    )


def test_make_chart_fetches_the_archive_once(tmp_path, served):
    env = hidden(tmp_path, CI="true")
    env |= {chartfiles.ARCHIVE_URL_ENV: served, chartfiles.SHA256_ENV: DIGEST}
    first, second = make_chart(env), make_chart(env)
    assert first.returncode == 0 and second.returncode == 0
    assert first.stderr.startswith(f"chart {chart.VERSION}: values.schema.json and values.yaml in")
    assert second.stderr == ""  # already cached: nothing to say
    assert (tmp_path / "cache" / "chart" / chart.VERSION / "values.schema.json").is_file()


@pytest.mark.parametrize(("ci", "code", "outcome"), [("true", 1, "1 error"), ("", 0, "1 skipped")])
def test_a_test_that_needs_the_chart_fails_under_ci_and_skips_elsewhere(
    tmp_path, ci, code, outcome
):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         "tests/test_chartschema.py::test_committed_stacks_pass_the_chart_schema"],
        cwd=ROOT, env={**os.environ, **hidden(tmp_path, CI=ci)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == code and outcome in result.stdout, result.stdout[-2000:]
    assert "run `make chart`" in result.stdout
