"""Sphinx configuration of the sktime_hepa documentation site.

Build it from the repository root (this is what ``.ci/run`` runs)::

    python -m pip install -e ".[docs]"
    python docs/build.py      # builds a copy of docs/ elsewhere; site in build/docs/html

(``python -m sphinx -W -b html docs docs/_build/html`` also works, and writes the
generated pages into ``docs/``.)

The site has four parts:

* the user guide and design pages, the Markdown files in ``docs/`` (myst-parser);
* the API reference, generated from the numpydoc docstrings: this file writes one
  page per public module and per public object into ``generated/`` of the source copy (see
  ``API_SECTIONS`` and ``write_api_pages``), so a class added to a module's
  ``__all__`` (a new detector in ``sktime_hepa.detectors``, say) or a new public
  module of the package appears without editing anything here;
* the gallery: sphinx-gallery runs every ``examples/*.py`` in quick mode
  (``SKTIME_HEPA_QUICK=1``) and shows its output and figures.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# docs/build.py builds a copy of docs/ elsewhere and names the checkout here
ROOT = Path(os.environ.get("SKTIME_HEPA_REPO", DOCS.parent)).resolve()
sys.path.insert(0, str(ROOT))  # document the checkout, installed or not

# The gallery runs the examples in quick mode (tiny budgets), on the CPU threads
# one process can use without stalling on a busy machine, with a non-GUI
# matplotlib, and reads the shared data where the repository's scripts look for
# it from the repository root (sphinx-gallery runs each example inside examples/).
os.environ.setdefault("SKTIME_HEPA_QUICK", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SKTIME_HEPA_DATA", str(ROOT.parent / "shared" / "data"))

import sktime_hepa  # noqa: E402

project = "sktime_hepa"
author = "sktime_hepa developers"
copyright = "sktime_hepa developers, BSD-3-Clause"
release = version = sktime_hepa.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.md5"]
templates_path = []
html_theme = "furo"
html_title = f"sktime_hepa {release}"
pygments_style = "sphinx"

# --- Markdown (myst-parser) ---------------------------------------------------
# The guide pages link to their own sections as GitHub renders them
# ("usage.md#gpu-and-devices", "#finetune-modes"): give every heading down to
# level 4 the same GitHub-style slug, so those links resolve on the site too.
myst_heading_anchors = 4

# --- API reference (autodoc + numpydoc; the pages are written by write_api_pages) ---
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections already give the types
# numpydoc's own per-class member tables would need one stub page per method;
# autodoc's :members: lists the methods on the class page instead.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Types are cross-referenced (words like "of", "shape" are left as text). This
# also keeps a type such as ``ndarray of shape (n_features_in_,)`` from being
# read as a reST reference ``n_features_in_`` (an "Unknown target name" error).
numpydoc_xref_param_type = True
numpydoc_xref_ignore = {
    "of",
    "or",
    "and",
    "shape",
    "default",
    "optional",
    "keyword-only",
    "like",
    "iterable",
    "instance",
}
# numpydoc's built-in aliases link words such as "int", "bool", "array_like"
# into the Python and NumPy docs through intersphinx, which a build without
# network cannot load: the :ref:/:term: ones would be "undefined label" warnings,
# and the others would show as "python:int". Each such word links as itself
# instead (unlinked, as nothing here documents it; not a warning).
from numpydoc.xref import DEFAULT_LINKS  # noqa: E402

numpydoc_xref_aliases = {word: word for word, link in DEFAULT_LINKS.items() if link.startswith(":")}

# --- gallery (sphinx-gallery) ---------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # run every script, not only plot_*.py: each example is part of the gallery
    "filename_pattern": r".*\.py$",
    "ignore_pattern": r"(__init__|conftest)\.py$",
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    # an example that raises fails the build (sphinx-gallery's default), and so
    # does any example that is not executed
    "only_warn_on_example_error": False,
}

# --- API pages ------------------------------------------------------------------
# Sections of the API reference, in order. Each module lists the objects in its
# __all__ (or, without __all__, the public objects defined in it). An object
# exported by several modules (``sktime_hepa.HEPAPretrainer`` is also
# ``sktime_hepa.encoders.HEPAPretrainer``) gets one page, under the first module
# here that exports it; the others link to that page. ``package.*`` stands for
# the public modules of a package (new ones are listed as they appear). A module of this list
# that does not exist yet (being written) is left out with a message; one that
# exists but fails to import fails the build. Public modules of the package that
# no section names are added to "Other modules", so a new one is never missing.
API_SECTIONS = [
    (
        "Estimators",
        "The surface estimators, the encoders of the encoder slot and the pipeline.",
        ["sktime_hepa", "sktime_hepa.encoders", "sktime_hepa.surfaces", "sktime_hepa.pipeline"],
    ),
    (
        "Detectors",
        "Encoders that also score each row as anomalous.",
        ["sktime_hepa.detectors"],
    ),
    ("Metrics and scorers", "", ["sktime_hepa.metrics"]),
    ("Datasets", "", ["sktime_hepa.datasets"]),
    ("Streaming", "", ["sktime_hepa.streaming"]),
    ("Callbacks", "", ["sktime_hepa.callbacks"]),
    ("Diagnostics", "", ["sktime_hepa.diagnostics"]),
    ("Plotting", "", ["sktime_hepa.plotting"]),
    ("Calibration", "", ["sktime_hepa.calibration"]),
    ("Persistence", "", ["sktime_hepa.persistence"]),
    (
        "Data conventions",
        "X and y as the estimators read them.",
        ["sktime_hepa.panel", "sktime_hepa.targets"],
    ),
    (
        "Neural network modules",
        "The pure-torch ``nn.Module`` building blocks the estimators train.",
        ["sktime_hepa.nn.*"],
    ),
]
API_EXCLUDE: set = set()  # every public module is documented
# Sections documented in full but kept out of the sidebar: their pages are
# ``:orphan:`` and reached from the tables of the API page, so the navigation
# shows what a user calls, not the torch modules underneath.
API_INTERNAL = {"Neural network modules"}
GENERATED = DOCS / "generated"


def _public_modules(package) -> list[str]:
    """Public modules of ``package`` one level down; a package that exports
    nothing itself (``sktime_hepa.nn``) stands for its public submodules."""
    names = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        name = f"{package.__name__}.{info.name}"
        if name in API_EXCLUDE:
            continue
        module = importlib.import_module(name)
        if info.ispkg and not _exports(module):
            names.extend(_public_modules(module))
        else:
            names.append(name)
    return names


def _exports(module) -> list[str]:
    """Names a module exports: its __all__, else the public objects defined in it."""
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if not n.startswith("__")]
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        if getattr(obj, "__module__", None) == module.__name__:
            names.append(name)
    return names


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isroutine(obj):
        return "function"
    return "data"  # constants, and instances such as the ready-made scorers


def _api_sections() -> list[tuple[str, str, list[str]]]:
    """API_SECTIONS with the modules that exist, plus the unlisted public ones."""
    sections = []
    listed = set()
    for title, intro, patterns in API_SECTIONS:
        modules = []
        for pattern in patterns:
            if pattern.endswith(".*"):
                modules.extend(_public_modules(importlib.import_module(pattern[:-2])))
            else:
                modules.append(pattern)
        listed.update(modules)
        present = []
        for name in modules:
            if importlib.util.find_spec(name) is None:
                print(f"[api] {name} does not exist (yet): left out of the API reference")
                continue
            importlib.import_module(name)  # an import error fails the build
            present.append(name)
        if present:
            sections.append((title, intro, present))
    others = [m for m in _public_modules(sktime_hepa) if m not in listed]
    if others:
        sections.append(("Other modules", "", others))
    return sections


def _underline(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


#: every documented name of an object -> its canonical (documented) name
ALIASES: dict[str, str] = {}
_ROLE = {"class": "class", "exception": "exc", "function": "func", "data": "data"}
_TITLE = {
    "class": "Classes",
    "function": "Functions",
    "exception": "Warnings and exceptions",
    "data": "Constants and ready-made objects",
}


def _data_doc(modname: str, name: str, obj) -> str:
    """The ``#:`` doc comment of a module constant, looked up in the module that
    exports it and in the package modules that hold the same object (where it
    is defined); else, for an instance of a class of this package, a link to it.

    autodoc would look in the exporting module only, and show an instance's
    class docstring (numpy's, for a dtype) when there is no comment.
    """
    from sphinx.pycode import ModuleAnalyzer

    holders = [
        m
        for m, module in sorted(sys.modules.items())
        if m.startswith("sktime_hepa") and m != modname and getattr(module, name, None) is obj
    ]
    for holder in [modname, *holders]:
        try:
            comments = ModuleAnalyzer.for_module(holder).find_attr_docs()
        except Exception:  # no source to read
            continue
        if ("", name) in comments:
            return "\n".join(comments["", name]).strip()
    cls = type(obj)
    if cls.__module__.startswith("sktime_hepa"):
        path = f"{cls.__module__}.{cls.__qualname__}"
        return f"An instance of :class:`~{ALIASES.get(path, path)}`."
    return ""


def _summary(obj, doc: str | None = None) -> str:
    """The numpydoc summary (first paragraph) of a docstring, on one line.

    Not autosummary's first *sentence*: its cut at ". " splits literals such as
    ``dt = 1 .. K`` in two and breaks their markup.
    """
    doc = inspect.getdoc(obj) if doc is None else doc
    if not doc:
        return ""
    return " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines())


def _table(rows) -> str:
    """A two-column list-table: a link to each object, and its summary."""
    out = [".. list-table::\n   :widths: 35 65\n\n"]
    for kind, canonical, obj in rows:
        doc = _data_doc(*canonical.rsplit(".", 1), obj) if kind == "data" else None
        out.append(f"   * - :{_ROLE[kind]}:`~{canonical}`\n     - {_summary(obj, doc)}\n")
    return "".join(out) + "\n"


def _module_rows(modname: str, owner: dict[int, str]) -> dict[str, list[tuple[str, str, object]]]:
    """The objects a module exports, grouped by kind, each under its canonical name."""
    module = importlib.import_module(modname)
    groups: dict[str, list[tuple[str, str, object]]] = {kind: [] for kind in _TITLE}
    for name in _exports(module):
        obj = getattr(module, name)
        kind = _kind(obj)
        canonical = f"{modname}.{name}" if kind == "data" else owner[id(obj)]
        groups[kind].append((kind, canonical, obj))
    return groups


def write_api_pages() -> None:
    """Write docs/generated/: the section list, one page per module and per object."""
    shutil.rmtree(GENERATED, ignore_errors=True)
    GENERATED.mkdir()
    sections = _api_sections()
    owner: dict[int, str] = {}  # id(object) -> canonical documented name
    for _, _, modules in sections:
        for modname in modules:
            module = importlib.import_module(modname)
            for name in _exports(module):
                obj = getattr(module, name)
                if _kind(obj) == "data":
                    continue  # documented on each module page that exports it
                canonical = owner.setdefault(id(obj), f"{modname}.{name}")
                ALIASES[f"{modname}.{name}"] = canonical
                ALIASES.setdefault(f"{obj.__module__}.{obj.__qualname__}", canonical)

    index = []
    for title, intro, modules in sections:
        index.append("\n" + _underline(title, "-") + "\n")
        if intro:
            index.append(intro + "\n\n")
        internal = title in API_INTERNAL
        if not internal:
            index.append(".. toctree::\n   :hidden:\n\n")
            index.extend(f"   generated/{modname}\n" for modname in modules)
            index.append("\n")
        for modname in modules:
            groups = _module_rows(modname, owner)
            index.append(f".. rubric:: :mod:`{modname}`\n\n")
            rows = [row for kind in _TITLE for row in groups[kind]]
            if rows:
                index.append(_table(rows))
            _write_module_page(modname, groups, orphan=internal)
    (GENERATED / "api_sections.inc").write_text("".join(index))


def _write_module_page(modname: str, groups, *, orphan: bool = False) -> None:
    lines = [":orphan:\n\n"] if orphan else []
    lines += [
        _underline(f"``{modname}``", "="),
        f"\n.. automodule:: {modname}\n   :no-members:\n\n",
    ]
    own = []
    for kind, rows in groups.items():
        for _, canonical, _ in rows:
            if kind != "data" and canonical.rsplit(".", 1)[0] == modname:
                own.append(canonical)
                _write_object_page(canonical, kind)
    if own:
        lines.append(".. toctree::\n   :hidden:\n\n")
        lines.extend(f"   {canonical}\n" for canonical in own)
        lines.append("\n")
    for kind, title in _TITLE.items():
        if not groups[kind]:
            continue
        lines.append(f".. rubric:: {title}\n\n")
        if kind != "data":
            lines.append(_table(groups[kind]))
            continue
        for _, canonical, obj in groups[kind]:
            lines.append(f".. py:data:: {canonical}\n")
            # a long value (a dict of constraints, a scorer) says less than its doc comment
            if len(repr(obj)) <= 80:
                lines.append(f"   :value: {obj!r}\n")
            doc = _data_doc(*canonical.rsplit(".", 1), obj)
            lines.append("\n" + "".join(f"   {line}\n" for line in doc.splitlines()) + "\n")
    (GENERATED / f"{modname}.rst").write_text("".join(lines))


def _write_object_page(canonical: str, kind: str) -> None:
    modname, name = canonical.rsplit(".", 1)
    directive = {"class": "autoclass", "function": "autofunction", "exception": "autoexception"}
    options = ""
    if kind in ("class", "exception"):
        options = "   :show-inheritance:\n"
        members = _package_members(getattr(importlib.import_module(modname), name))
        if members:
            options += f"   :members: {', '.join(members)}\n"
    (GENERATED / f"{canonical}.rst").write_text(
        _underline(name, "=")
        + f"\n.. currentmodule:: {modname}\n\n.. {directive[kind]}:: {name}\n{options}"
    )


def _defined_here(value) -> bool:
    """Whether a class attribute is a function, property or descriptor of this package."""
    for attr in ("__func__", "fget", "func", "fn"):  # classmethod, property, cached, available_if
        value = getattr(value, attr, value)
    module = getattr(value, "__module__", None) or ""
    return inspect.isroutine(value) and module.startswith("sktime_hepa")


def _package_members(cls) -> list[str]:
    """Public methods and properties a class defines or inherits within this package.

    What scikit-learn, skorch, torch or numpy add (``get_params``, the metadata
    routing ``set_*_request`` methods, ndarray's attributes) is their own
    documentation's business, and their docstrings are not written for this site.
    """
    names: list[str] = []
    for klass in cls.__mro__:
        for member, value in vars(klass).items():
            if not member.startswith("_") and member not in names and _defined_here(value):
                names.append(member)
    return names


_FITTED_NAME = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*?)_(?=[,)\s]|$)")


def _escape_fitted_names(app, what, name, obj, options, lines):
    """Escape a fitted attribute's name inside a numpydoc type, e.g. the
    ``n_features_in_`` of ``ndarray of shape (n_features_in_,)``: reST reads a
    word ending in ``_`` as a hyperlink reference ("Unknown target name"). Only
    the type part of ``name : type`` lines is touched, before numpydoc runs."""
    for i, line in enumerate(lines):
        head, sep, spec = line.partition(" : ")
        if sep and head.strip() and not head.strip().startswith((".. ", "*", "-")):
            lines[i] = head + sep + _FITTED_NAME.sub(r"\1\\_", spec)


def _resolve_alias(app, env, node, contnode):
    """Resolve a Python cross-reference written with another path of a documented
    object (``sktime_hepa.encoders.HEPAPretrainer`` for ``sktime_hepa.HEPAPretrainer``)."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    candidates = [target]
    if node.get("py:module"):
        candidates.append(f"{node['py:module']}.{target}")
    for candidate in candidates:
        parts = candidate.split(".")
        for cut in range(len(parts), 0, -1):
            canonical = ALIASES.get(".".join(parts[:cut]))
            if canonical is not None:
                new_target = ".".join([canonical, *parts[cut:]])
                if new_target == target:
                    return None
                return env.get_domain("py").resolve_xref(
                    env, node["refdoc"], app.builder, node["reftype"], new_target, node, contnode
                )
    return None


write_api_pages()


def setup(app):
    # before numpydoc's own handler (priority 500) rewrites the sections
    app.connect("autodoc-process-docstring", _escape_fitted_names, priority=400)
    app.connect("missing-reference", _resolve_alias)
