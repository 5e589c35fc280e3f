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


def test_assembled_docstrings_have_no_marker_left_and_document_every_parameter():
    """Shared docs are assembled, not copied (issue 19): check the assembly is complete."""
    import inspect
    import re

    import sktime_hepa
    import sktime_hepa.datasets as datasets
    from sktime_hepa._torch_estimator import TorchEstimatorMixin

    for name in datasets.__all__:
        func = getattr(datasets, name)
        if callable(func) and func.__doc__:
            assert not re.search(r"^\s*<[a-z ]+>", func.__doc__, re.MULTILINE), name
    torch_estimators = [
        obj
        for obj in vars(sktime_hepa).values()
        if inspect.isclass(obj) and issubclass(obj, TorchEstimatorMixin)
    ]
    assert len(torch_estimators) >= 11
    for cls in torch_estimators:
        doc = cls.__doc__
        assert "<training settings>" not in doc, cls
        params = doc[doc.index("Parameters") : doc.index("Attributes")]
        for param in cls().get_params():
            assert re.search(rf"^    [a-z_, ]*\b{param}\b[a-z_, ]* :", params, re.MULTILINE), (
                cls.__name__,
                param,
            )
