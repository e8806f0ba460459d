"""Rewrite the golden reports after an intended change (run it from anywhere with python).

Review the diff (``git diff tests/values_files/real``) before committing: each change is a
change to what operators are told about their old files.
"""

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.importer_helpers import import_values  # noqa: E402
from tests.test_importer_corpus import CORPUS, REAL  # noqa: E402

for name, case in CORPUS.items():
    args, _ = case.values
    project = Path(tempfile.mkdtemp())
    shutil.copy(ROOT / "Pulumi.yaml", project)
    code, _, err = import_values(project, REAL / name, *args)
    if code != 0:
        sys.exit(f"{name}: import failed\n{err}")
    (REAL / name.replace(".yaml", ".report.txt")).write_text(err.replace(str(project), "PROJECT"))
    shutil.rmtree(project)
