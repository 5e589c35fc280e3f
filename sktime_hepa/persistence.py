"""Weights-only persistence: fitted torch estimators in one safetensors file.

``save_weights(estimator, path)`` writes the ``state_dict`` of every fitted
torch module of the estimator (and of the fitted encoder inside it) and its
numeric fitted arrays (scaling ``mean_`` / ``scale_``, ...) as safetensors
tensors, and everything else needed to rebuild it as a JSON document in the
file's header: the class path, ``get_params()`` (nested estimators such as
``pretrainer=`` recursively), the other fitted attributes (``n_features_in_``,
``feature_names_in_``, ``classes_``, ``threshold_``, ...), and the package,
torch and format versions. ``load_weights(path, device=...)`` rebuilds the
networks the way ``fit`` builds them (the estimator's own ``_build_module`` /
``_event_module``, through the one training path ``fit_net`` with zero
epochs), loads the weights onto the requested device and returns an
estimator that predicts exactly as the saved one.

Unlike pickle (and so joblib), reading such a file runs no code from it: the
header is JSON, the tensors are raw little-endian buffers (memory-mapped on
load), and only classes of this package are ever instantiated. What is not
kept: ``history_``, the optimizer state and the ``callbacks`` parameter (and
any other parameter whose value is not plain data, which falls back to its
default with a :class:`WeightsWarning`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

from . import __version__
from ._torch_estimator import TorchEstimatorMixin
from ._training import TrainingSettings, fit_net, resolve_device, seeded
from .panel import warn_at_caller

__all__ = ["WeightsWarning", "load_weights", "save_weights", "weights_info"]

#: Header key of the JSON document, and the layout version of that document.
METADATA_KEY = "sktime_hepa"
FORMAT_VERSION = 1
#: Fitted attributes that are not kept: the network is stored as weights, the
#: training history is a record of the fit, not needed to predict.
NOT_KEPT = {"net_", "history_"}


class WeightsWarning(UserWarning):
    """A weights file was written by another minor version, or a parameter was not kept."""


def _safetensors():
    try:
        import safetensors.torch  # noqa: F401

        return safetensors
    except ImportError:  # pragma: no cover - optional dependency
        raise ImportError(
            "weights-only persistence needs safetensors: pip install 'sktime_hepa[weights]' "
            "(or pip install safetensors)."
        ) from None


def _major_minor(version: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", str(version))
    if match is None:
        raise ValueError(f"unreadable package version {version!r} in the weights file.")
    return int(match[1]), int(match[2])


def _is_torch_estimator(obj) -> bool:
    return isinstance(obj, TorchEstimatorMixin)


def _object_class_path(obj) -> str:
    return _class_path(type(obj))


# ---------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------


class _Writer:
    """Encodes an estimator tree as JSON nodes, collecting its tensors on the side."""

    def __init__(self):
        self.tensors: dict[str, torch.Tensor] = {}
        self.ids: dict[int, str] = {}
        self.dropped: list[str] = []

    def estimator(self, est, where: str) -> dict:
        if id(est) in self.ids:  # e.g. a frozen pretrainer and the fitted pretrainer_
            return {"__ref__": self.ids[id(est)]}
        if not (type(est).__module__.startswith("sktime_hepa.") or _is_torch_estimator(est)):
            raise ValueError(
                f"{where} is a {type(est).__name__}, which is not an estimator of sktime_hepa "
                "or a subclass of one of its torch estimators; only those can be saved "
                "weights-only (use joblib)."
            )
        key = str(len(self.ids))
        self.ids[id(est)] = key
        node = {"id": key, "class": _object_class_path(est), "params": {}}
        for name, value in est.get_params(deep=False).items():
            encoded = self.param(value, f"{where}.{name}")
            if encoded is _DROP:
                self.dropped.append(f"{where}.{name}")
            else:
                node["params"][name] = encoded
        if _fitted(est):
            if not _is_torch_estimator(est):
                raise ValueError(
                    f"{where} is a fitted {type(est).__name__}, which holds no torch network; "
                    "a weights-only file cannot hold it (use joblib)."
                )
            node["fitted"] = {
                name: self.attribute(value, key, name, where)
                for name, value in vars(est).items()
                if name.endswith("_") and not name.startswith("_") and name not in NOT_KEPT
            }
            module = est.net_.module_
            node["modules"] = {"net_": f"{key}/net_/"}
            for name, tensor in module.state_dict().items():
                # a CPU copy of its own: safetensors refuses tensors that share memory
                self.tensors[f"{key}/net_/{name}"] = tensor.detach().to("cpu", copy=True)
        return node

    def param(self, value, where: str):
        if isinstance(value, FrozenEstimator):
            return {"__frozen__": self.estimator(value.estimator, f"{where}.estimator")}
        if isinstance(value, BaseEstimator):
            return {"__estimator__": self.estimator(value, where)}
        try:
            return _plain(value)
        except TypeError:
            return _DROP

    def attribute(self, value, key: str, name: str, where: str):
        if isinstance(value, BaseEstimator):
            return {"__estimator__": self.estimator(value, f"{where}.{name}")}
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            self.tensors[f"{key}/{name}"] = torch.from_numpy(np.ascontiguousarray(value).copy())
            return {"__array__": f"{key}/{name}"}
        try:
            return _plain(value)
        except TypeError:
            raise ValueError(
                f"the fitted attribute {where}.{name} is a {type(value).__name__}, which a "
                "weights-only file cannot hold; save this estimator with joblib."
            ) from None


_DROP = object()


def _fitted(est) -> bool:
    try:
        check_is_fitted(est)
    except NotFittedError:
        return False
    return True


def _plain(value):
    """JSON form of plain data; TypeError for anything else."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, int | float):
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [_plain(v) for v in value]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _plain(v) for k, v in value.items()}}
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUSb" and value.ndim == 1:
        return {"__list_array__": [_plain(v) for v in value.tolist()], "dtype": value.dtype.str}
    raise TypeError(type(value).__name__)


def _weights_path(path) -> Path:
    """``path`` as a Path, or a TypeError that says what a path is."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"path must be a str or os.PathLike naming a weights file, got "
            f"{type(path).__name__} ({path!r})."
        )
    return Path(path)


def save_weights(estimator, path) -> Path:
    """Save a fitted torch estimator's weights and what rebuilds it, without pickle.

    Parameters
    ----------
    estimator : fitted HEPAPretrainer, MAEPretrainer, HEPAEventPredictor, ...
        Any fitted estimator of the package that holds a torch network
        (``net_``): the encoders, the detectors and ``HEPAEventPredictor``
        (with its fitted encoder ``pretrainer_``, frozen or not), and a
        subclass of your own of one of its encoder bases (load it with
        ``load_weights(..., classes=[YourClass])``).
    path : str or os.PathLike
        The file to write (conventionally ``*.safetensors``); overwritten.

    Returns
    -------
    path : pathlib.Path

    Warns
    -----
    WeightsWarning
        When a parameter holds something other than plain data (the
        ``callbacks`` list, a ``RandomState`` ``random_state``); it is not
        stored, and the loaded estimator has the parameter's default.
    """
    st = _safetensors()
    path = _weights_path(path)
    if isinstance(estimator, FrozenEstimator):
        estimator = estimator.estimator
    if hasattr(estimator, "steps"):
        raise ValueError(
            "save_weights saves one estimator, not a Pipeline: save each torch step "
            "(save_weights(pipe[0], ...), save_weights(pipe[-1], ...)) and rebuild the "
            "Pipeline from the loaded steps."
        )
    if not _is_torch_estimator(estimator):
        raise ValueError(
            f"save_weights stores the torch networks of the package's estimators; "
            f"{type(estimator).__name__} has none (save it with joblib)."
        )
    check_is_fitted(estimator)
    writer = _Writer()
    doc = {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "torch_version": torch.__version__,
        "estimator": writer.estimator(estimator, type(estimator).__name__),
    }
    doc["tensor_sha256"] = _tensor_digest(writer.tensors)
    if writer.dropped:
        warn_at_caller(
            f"save_weights does not keep {', '.join(writer.dropped)}: not plain data (skorch "
            "callbacks, a RandomState, ...). load_weights gives them their default values.",
            WeightsWarning,
        )
    metadata = {"format": "pt", METADATA_KEY: json.dumps(doc)}
    st.torch.save_file(writer.tensors, path, metadata=metadata)
    return path


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------


def weights_info(path) -> dict:
    """The JSON document of a weights file (versions, class, parameters), no tensors read.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    info : dict
        ``format_version``, ``package_version``, ``torch_version`` and
        ``estimator`` (the node tree: ``class``, ``params``, ``fitted``).
    """
    st = _safetensors()
    path = _weights_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}.")
    try:
        with st.safe_open(path, framework="pt") as fh:
            metadata = fh.metadata() or {}
    except Exception as exc:  # SafetensorError, OSError
        raise ValueError(f"{path} is not a safetensors file ({exc}).") from None
    if METADATA_KEY not in metadata:
        raise ValueError(
            f"{path} is a safetensors file but was not written by sktime_hepa.save_weights "
            f"(its header has no {METADATA_KEY!r} entry)."
        )
    return json.loads(metadata[METADATA_KEY])


def _check_versions(info: dict, path) -> None:
    if info.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses weights format {info['format_version']}, newer than this "
            f"sktime_hepa ({__version__}) reads ({FORMAT_VERSION}); upgrade sktime_hepa."
        )
    theirs, ours = info.get("package_version", "?"), __version__
    (t_major, t_minor), (o_major, o_minor) = _major_minor(theirs), _major_minor(ours)
    if t_major > o_major:
        raise ValueError(
            f"{path} was written by sktime_hepa {theirs}, a newer major version than the "
            f"installed {ours}; its estimators may not exist here. Upgrade sktime_hepa."
        )
    if (t_major, t_minor) != (o_major, o_minor):
        warn_at_caller(
            f"{path} was written by sktime_hepa {theirs} and is loaded by {ours}: the "
            "networks are rebuilt by the installed code, so check its predictions.",
            WeightsWarning,
        )


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _estimator_class(path: str, classes=()) -> type:
    """The estimator class at ``path``.

    Only modules of this package are ever imported; a class from elsewhere
    is taken only from ``classes``, the classes the caller passed (matched by
    module and name, never imported from the file's string).
    """
    for cls in classes:
        if _class_path(cls) == path:
            return cls
    module, _, name = str(path).rpartition(".")
    if not module.startswith("sktime_hepa.") or not name.isidentifier():
        raise ValueError(
            f"the weights file names the class {path!r}, not one of sktime_hepa; for an "
            "estimator class of your own, pass it as load_weights(..., classes=[TheClass])."
        )
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise ValueError(
            f"the weights file names the class {path!r}, which this sktime_hepa "
            f"({__version__}) does not have."
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
        raise ValueError(f"the weights file names {path!r}, which is not an estimator class.")
    return cls


class _Reader:
    """Decodes the node tree of a weights file into estimators on one device."""

    def __init__(self, tensors: dict, device: str, classes=()):
        self.tensors = tensors
        self.device = device
        self.classes = tuple(classes)
        self.built: dict[str, object] = {}

    def estimator(self, node: dict):
        if "__ref__" in node:
            return self.built[node["__ref__"]]
        cls = _estimator_class(node["class"], self.classes)
        params = {name: self.value(v) for name, v in node["params"].items()}
        try:
            est = cls(**params)
        except TypeError as exc:
            raise ValueError(
                f"the weights file's parameters do not fit {cls.__name__} of this sktime_hepa "
                f"({__version__}): {exc}."
            ) from None
        for name, value in node.get("fitted", {}).items():
            setattr(est, name, self.value(value))
        if "modules" in node:
            est.net_ = self.net(est, node["modules"]["net_"])
        self.built[node["id"]] = est
        return est

    def value(self, v):
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "__estimator__" in v:
            return self.estimator(v["__estimator__"])
        if "__frozen__" in v:
            return FrozenEstimator(self.estimator(v["__frozen__"]))
        if "__array__" in v:
            return self.tensors[v["__array__"]].numpy().copy()
        if "__tuple__" in v:
            return tuple(self.value(x) for x in v["__tuple__"])
        if "__dict__" in v:
            return {k: self.value(x) for k, x in v["__dict__"].items()}
        if "__list_array__" in v:
            dtype = np.dtype(v["dtype"]) if v["dtype"][1] != "O" else object
            return np.asarray([self.value(x) for x in v["__list_array__"]], dtype=dtype)
        raise ValueError(f"unreadable entry in the weights file: {sorted(v)}.")

    def net(self, est, prefix: str):
        """The fitted net of ``est``, built as ``fit`` builds it, holding the stored weights."""
        state = {k[len(prefix) :]: t for k, t in self.tensors.items() if k.startswith(prefix)}
        if not isinstance(est, TorchEstimatorMixin):
            raise ValueError(f"{type(est).__name__} holds no torch network to rebuild.")
        recipe = est.network_recipe()  # the network fit trains, from the fitted state
        settings = TrainingSettings.from_estimator(est, device=self.device, seed=0)
        # zero epochs: the training path only builds and initialises the net
        settings = replace(settings, max_epochs=0, verbose=0, callbacks=None, accelerator=None)
        net = fit_net(recipe.build, recipe.criterion, None, None, settings, recipe.stage)
        try:
            net.module_.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ValueError(
                f"the stored weights do not fit the {type(net.module_).__name__} that "
                f"{type(est).__name__}'s stored parameters build: {exc}"
            ) from None
        return net


def _tensor_digest(tensors: dict) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def load_weights(path, *, device="auto", estimator_class=None, classes=()):
    """Rebuild a fitted estimator from a file of :func:`save_weights`.

    Parameters
    ----------
    path : str or os.PathLike
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where the weights go ("auto": CUDA when present), whatever device they
        were saved from. The estimator's ``device`` parameter is kept as
        saved (it says where a new ``fit`` trains).
    estimator_class : type, optional
        The class the file must hold (e.g. ``HEPAEventPredictor``); a
        ValueError otherwise.
    classes : sequence of estimator classes, default=()
        Classes from outside sktime_hepa that the file may name (an encoder
        of your own, at any depth of the saved estimator). Only the classes
        given here and those of this package are ever built: nothing is
        imported from a name the file holds. ``estimator_class`` counts as
        given.

    Returns
    -------
    estimator
        Fitted, predicting as the saved one did; ``history_`` is not restored.

    Raises
    ------
    ValueError
        For a file not written by :func:`save_weights`, whose tensors were
        altered after it was written (a SHA-256 digest in the header), from a newer major
        version of sktime_hepa or format, naming a class this package does
        not have or other than ``estimator_class``, or whose weights do not
        fit the network its parameters build.

    Warns
    -----
    WeightsWarning
        When the file comes from another minor (or an older major) version.
    """
    st = _safetensors()
    info = weights_info(path)
    _check_versions(info, path)
    node = info["estimator"]
    classes = tuple(classes)
    if estimator_class is not None:
        classes += (estimator_class,)
    for c in classes:
        if not (isinstance(c, type) and issubclass(c, BaseEstimator)):
            raise ValueError(f"classes must hold estimator classes, got {c!r}.")
    cls = _estimator_class(node["class"], classes)
    if estimator_class is not None and cls is not estimator_class:
        raise ValueError(
            f"{path} holds a {cls.__name__}, not the {getattr(estimator_class, '__name__', '?')} "
            "asked for."
        )
    device = resolve_device(device)
    tensors = st.torch.load_file(Path(path), device="cpu")  # memory-mapped
    expected = info.get("tensor_sha256")
    if expected is not None and _tensor_digest(tensors) != expected:
        raise ValueError(
            f"{path} has been altered since save_weights wrote it: its tensors no longer match "
            "the SHA-256 digest stored in its header. Refusing to load it."
        )
    with seeded(0, "cpu"):  # building modules draws random weights: keep the caller's RNG
        return _Reader(tensors, device, classes).estimator(node)
