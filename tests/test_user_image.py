"""The Up2U user image's additions (images/singleuser/requirements.txt): what the preview runs,
and complete over the chart's sample image, since the image installs them with --no-deps."""

import re
from importlib.metadata import distribution

from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import ROOT, chart_file

IMAGE = ROOT / "images" / "singleuser" / "requirements.txt"


def pins(text: str) -> dict[str, str]:
    """name -> version of each ``name==version`` line (hashes and comments aside)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"([A-Za-z0-9_.\[\]-]+)==([^\s;\\]+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1].split("[")[0]).lower()] = match[2]
    return found


def test_the_image_adds_what_the_preview_runs():
    preview = pins((ROOT / "requirements-preview.txt").read_text())
    image = pins(IMAGE.read_text())
    assert {name: preview.get(name) for name in image} == image


def test_every_dependency_of_the_additions_is_in_the_sample_image_or_pinned_here():
    sample = pins(chart_file("singleuser-sample-requirements.txt").read_text())
    image = pins(IMAGE.read_text())
    have = sample | image
    missing = []
    for name in image:
        for text in distribution(name).requires or []:
            need = Requirement(text)
            if need.marker is not None and not need.marker.evaluate({"extra": ""}):
                continue
            key = re.sub(r"[-_.]+", "-", need.name).lower()
            version = have.get(key)
            if version is None or not need.specifier.contains(Version(version), prereleases=True):
                missing.append(f"{name} needs {text} (has {version})")
    assert missing == []
    # the check bites: without the sample image's pins, the base's own packages are missing
    assert any(
        key not in image
        for name in image
        for key in (
            re.sub(r"[-_.]+", "-", Requirement(t).name).lower()
            for t in distribution(name).requires or []
        )
    )
