"""docs/design.md's package layout table names every module, so it cannot drift."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _layout_rows() -> dict:
    text = (ROOT / "docs" / "design.md").read_text()
    section = text.split("## Package layout", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `sktime_hepa/"):
            path, owns = line[2:].split("` |", 1)
            rows[path.strip("`")] = owns
    return rows


def test_every_module_is_in_the_layout_table():
    rows = _layout_rows()
    package = ROOT / "sktime_hepa"
    for module in sorted(package.glob("*.py")):
        if module.name != "__init__.py":
            assert f"sktime_hepa/{module.name}" in rows, f"{module.name} missing from design.md"
    for sub in ("nn", "encoders", "surfaces", "detectors", "plotting"):
        owns = rows.get(f"sktime_hepa/{sub}/")
        assert owns is not None, f"sktime_hepa/{sub}/ missing from design.md"
        for module in sorted((package / sub).glob("*.py")):
            if module.name != "__init__.py":
                assert f"`{module.name}`" in owns or f"{sub}/{module.name}" in owns, (
                    f"{sub}/{module.name} is not named in design.md's row for {sub}/"
                )
    for name in rows:  # and the table names no module that is gone
        assert (ROOT / name).exists(), f"design.md names {name}, which does not exist"
