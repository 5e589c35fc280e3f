"""Build the documentation site without writing into the source tree.

The build generates pages (the API reference, the example gallery, execution
times) next to its sources. This script copies ``docs/`` to a temporary
directory, builds there with warnings as errors, writes the site to OUTDIR
(default ``build/docs/html``, ignored by git) and removes the copy, so a build
leaves ``docs/`` as it found it.

Usage::

    python docs/build.py [OUTDIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# what a build in place would have generated (never sources)
GENERATED = ("_build", "generated", "auto_examples", "sg_execution_times.rst", "__pycache__")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__)
        return 2
    out = Path(argv[0] if argv else ROOT / "build" / "docs" / "html").resolve()
    with tempfile.TemporaryDirectory(prefix="sktime_hepa_docs_") as tmp:
        src = Path(tmp) / "docs"
        shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns(*GENERATED))
        # conf.py finds the package and the examples through the repository root
        env = dict(os.environ, SKTIME_HEPA_REPO=str(ROOT))
        cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
        cmd += ["-d", str(Path(tmp) / "doctrees"), str(src), str(out)]
        code = subprocess.call(cmd, env=env)
    if code == 0:
        print(f"documentation: {out / 'index.html'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
