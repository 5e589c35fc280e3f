"""The training settings every torch estimator shares, owned in one place.

Every torch estimator of the package (the encoders, the detectors and
:class:`~sktime_hepa.HEPAEventPredictor`) takes the same 15 training settings
(``TRAINING_PARAMETERS``). :class:`TorchEstimatorMixin` owns them: their
validation constraints, their default values (a class may change a default
through ``_training_defaults``), their numpydoc text (assembled into the class
docstring where it holds the line ``TRAINING_DOC_MARKER``, with a class's own
remarks from ``_training_notes``), and their assignment in ``__init__``.

A subclass declares only its own parameters::

    class MyEncoder(SelfSupervisedEncoder):
        _training_defaults = {"lr": 1e-3}

        def __init__(self, *, d_model=64, context_length=64, **training):
            self.d_model = d_model
            self.context_length = context_length
            super().__init__(**training)

scikit-learn reads an estimator's parameters from the signature of its
``__init__``; ``__init_subclass__`` therefore gives that ``__init__`` a
signature (``__signature__``) that lists the class's own keyword parameters
followed by the 15 settings with the class's defaults. ``get_params``,
``clone``, ``repr`` and ``help()`` see every parameter by name, and
``__init__`` still only assigns.
"""

from __future__ import annotations

import copy
import inspect
from numbers import Integral, Real

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = [
    "MISSING_CONSTRAINTS",
    "TRAINING_CONSTRAINTS",
    "TRAINING_DEFAULTS",
    "TRAINING_DOC_MARKER",
    "TRAINING_PARAMETERS",
    "TorchEstimatorMixin",
]

#: The ``missing`` parameter every torch estimator has: "error" refuses X with
#: NaN (the default), "mask" masks NaN steps out of scaling and contexts.
MISSING_CONSTRAINTS = {"missing": [StrOptions({"error", "mask"})]}

#: Constraints of the shared settings (``missing`` included).
TRAINING_CONSTRAINTS: dict = {
    **MISSING_CONSTRAINTS,
    # float32, or mixed precision under torch.autocast (_training.PRECISIONS)
    "precision": [StrOptions({"float32", "bfloat16", "float16"})],
    "accelerator": [None, HasMethods(["prepare", "backward", "autocast"])],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 0, None, closed="left")],
    "patience": [Interval(Integral, 0, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "stride": [Interval(Integral, 1, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "callbacks": [list, tuple, None],
    "warm_start": ["boolean"],
}

#: The shared settings, in the order of the assembled docs and signature.
TRAINING_PARAMETERS = tuple(TRAINING_CONSTRAINTS)

#: Their defaults; a class overrides some through ``_training_defaults``.
TRAINING_DEFAULTS = {
    "missing": "error",
    "precision": "float32",
    "accelerator": None,
    "lr": 3e-4,
    "weight_decay": 1e-2,
    "batch_size": 64,
    "max_epochs": 100,
    "patience": 10,
    "validation_fraction": 0.2,
    "stride": 1,
    "device": "auto",
    "random_state": None,
    "verbose": 0,
    "callbacks": None,
    "warm_start": False,
}

#: The line of a class docstring that the settings' docs replace.
TRAINING_DOC_MARKER = "    <training settings>"

#: name -> (type text, description) of each shared setting.
_DOCS = {
    "missing": (
        '{"error", "mask"}',
        'What NaN in X means. "error": X with a NaN is refused. "mask": NaN is a missing '
        "value: the scaling ignores it and a step whose sensors are all NaN is masked out "
        "of every context, like padding (a NaN sensor of a partly observed step reads as "
        "its training mean). A series, or in ``fit`` a sensor, with no observed value is "
        "refused; inf always is. Without NaN both give the same numbers.",
    ),
    "precision": (
        '{"float32", "bfloat16", "float16"}',
        'Training precision: "bfloat16" and "float16" run the forward pass and the loss '
        'under ``torch.autocast`` (mixed precision; "float16" also scales the loss against '
        "underflow). Weights, optimizer state and inference stay float32, so predictions "
        "do not depend on it.",
    ),
    "accelerator": (
        "accelerate.Accelerator or None",
        "Train through Hugging Face accelerate (skorch's ``AccelerateMixin``): the "
        "accelerator places the network, and under ``accelerate launch`` shards the "
        "batches over several GPUs (data parallel). Its ``mixed_precision`` replaces "
        '``precision``, which must stay "float32"; ``device`` must be "auto" or the '
        "accelerator's device. The network is unwrapped after training, so the fitted "
        "estimator pickles and predicts as usual. Needs the ``accelerate`` extra.",
    ),
    "lr": ("float", "AdamW learning rate."),
    "weight_decay": ("float", "AdamW weight decay (0 makes it Adam)."),
    "batch_size": ("int", "Samples per optimiser step."),
    "max_epochs": (
        "int",
        "Epochs at most. 0 trains nothing: the network keeps its random initial "
        "weights (a random-init control).",
    ),
    "patience": (
        "int",
        "Epochs without a better held-out loss before early stopping.",
    ),
    "validation_fraction": (
        "float",
        "Share of whole series held out for early stopping (with fewer than 5 series, the "
        "end of each is held out instead). 0 disables validation and early stopping.",
    ),
    "stride": (
        "int",
        "An epoch visits one random sample per ``stride`` consecutive rows of each series: "
        "neighbouring rows share almost all of their context, so this cuts the cost of an "
        "epoch ``stride``-fold while every row is still seen over the epochs. Validation "
        "always scores every held-out row.",
    ),
    "device": (
        '{"auto", "cpu", "cuda"} or str',
        '"auto" takes CUDA when it is available, else the CPU.',
    ),
    "random_state": (
        "int, RandomState or None",
        "Seeds weights, sampling and dropout: CPU fits are reproducible.",
    ),
    "verbose": (
        "int",
        "1 prints one line per epoch with train/valid losses; 2 also shows progress bars "
        "over each epoch's batches and over long inference calls.",
    ),
    "callbacks": (
        "list of skorch callbacks or (name, callback) pairs, or None",
        "Added to the package's own (early stopping, diagnostics), e.g. "
        "``skorch.callbacks.Checkpoint`` or ``LRScheduler``; copied per fit.",
    ),
    "warm_start": (
        "bool",
        "True: a ``fit`` on a fitted estimator continues from its network (weights and "
        "input scaling kept, ``max_epochs`` more epochs on the new X, whose sensors must "
        "match), as skorch's warm start; the optimiser's state starts afresh. False: every "
        "``fit`` starts from new random weights.",
    ),
}


def _wrap(text: str, indent: str, width: int = 79) -> list[str]:
    """``text`` as lines of at most ``width`` characters, each starting with ``indent``."""
    lines, line = [], ""
    for word in text.split():
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([indent + line] if line else [])


def _default_text(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _set_callback_params(callbacks, nested: dict) -> list:
    """A copy of ``callbacks`` with ``{"callbacks__<name>__<param>": value}`` applied."""
    from ._training import named_callbacks  # noqa: PLC0415  (torch-free import of this module)

    pairs = named_callbacks(callbacks)
    items = list(callbacks)
    for key, value in nested.items():
        _, name, param = (key.split("__", 2) + [""])[:3]
        names = [n for n, _ in pairs]
        if name not in names or not param:
            raise ValueError(
                f"invalid parameter {key!r}: use callbacks__<name>__<param> with <name> one "
                f"of the callbacks' names {names}."
            )
        i = names.index(name)
        cb = copy.deepcopy(pairs[i][1])
        cb.set_params(**{param: value})
        pairs[i] = (name, cb)
        items[i] = (name, cb) if isinstance(items[i], tuple) else cb
    return items


class TorchEstimatorMixin:
    """Owner of the 15 training settings of every torch estimator (see the module docs).

    Class attributes a subclass may set:

    ``_training_defaults`` : dict
        Defaults that differ from ``TRAINING_DEFAULTS`` (inherited and merged
        along the class hierarchy).
    ``_training_notes`` : dict
        A sentence or two per setting, appended to the shared description in
        the class docstring (the original's schedule, the paper's value).
    """

    _training_defaults: dict = {}
    _training_notes: dict = {}

    def __init__(self, **training):
        unknown = sorted(set(training) - set(TRAINING_PARAMETERS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) {unknown}."
            )
        defaults = type(self).training_defaults()
        for name in TRAINING_PARAMETERS:
            setattr(self, name, training.get(name, defaults[name]))

    def set_params(self, **params):
        """Set parameters; ``callbacks__<name>__<param>`` sets a parameter of one callback.

        As skorch does: ``<name>`` is the name of a ``(name, callback)`` pair of
        ``callbacks``, or ``user_<i>_<ClassName>`` for a bare callback at
        position i. The callback is copied before it changes, so a list shared
        with other estimators (a grid search's clones) is left as it was.
        """
        nested = {k: v for k, v in params.items() if k.startswith("callbacks__")}
        super().set_params(**{k: v for k, v in params.items() if k not in nested})
        if nested:
            self.callbacks = _set_callback_params(self.callbacks, nested)
        return self

    def network_recipe(self):
        """The :class:`~sktime_hepa._training.NetworkRecipe` of this estimator's network.

        Read from the fitted state (the number of sensors, the encoder width),
        so it is available once ``fit`` has set those, and it is what ``fit``
        trains, what ``warm_start`` continues and what ``load_weights``
        rebuilds before loading the stored weights. Each family implements it.

        Returns
        -------
        recipe : NetworkRecipe
        """
        raise NotImplementedError(f"{type(self).__name__} does not describe its network.")

    def _warm(self) -> bool:
        """Whether this ``fit`` continues the fitted network (``warm_start``)."""
        return bool(self.warm_start) and hasattr(self, "net_")

    def _network_builder(self, build):
        """``build``, or under a warm start a copy of the fitted network."""
        if self._warm():
            fitted = self.net_.module_
            return lambda: copy.deepcopy(fitted)
        return build

    @classmethod
    def training_defaults(cls) -> dict:
        """The defaults of the shared settings for this class."""
        out = dict(TRAINING_DEFAULTS)
        for klass in reversed(cls.__mro__):
            out.update(klass.__dict__.get("_training_defaults", {}))
        return out

    @classmethod
    def training_settings_doc(cls) -> str:
        """The numpydoc entries of the shared settings, with this class's defaults and notes."""
        defaults = cls.training_defaults()
        notes = {}
        for klass in reversed(cls.__mro__):
            notes.update(klass.__dict__.get("_training_notes", {}))
        lines = []
        for name in TRAINING_PARAMETERS:
            kind, text = _DOCS[name]
            lines.append(f"    {name} : {kind}, default={_default_text(defaults[name])}")
            lines += _wrap(f"{text} {notes.get(name, '')}".strip(), " " * 8)
        return "\n".join(lines)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own_constraints = cls.__dict__.get("_parameter_constraints")
        if own_constraints is not None:
            cls._parameter_constraints = {**own_constraints, **TRAINING_CONSTRAINTS}
        init = cls.__dict__.get("__init__")
        if init is None:
            if "_training_defaults" in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} sets _training_defaults without an __init__ of its own: "
                    "define __init__(self, *, ..., **training) so its signature shows them."
                )
            return
        params = list(inspect.signature(init).parameters.values())
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return  # a class that spells out every parameter itself
        own = [p for p in params if p.kind is not p.VAR_KEYWORD]
        clash = {p.name for p in own} & set(TRAINING_PARAMETERS)
        if clash:
            raise TypeError(f"{cls.__name__}.__init__ repeats shared settings {sorted(clash)}.")
        defaults = cls.training_defaults()
        shared = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name])
            for name in TRAINING_PARAMETERS
        ]
        init.__signature__ = inspect.Signature(own + shared)
        if cls.__doc__ and TRAINING_DOC_MARKER in cls.__doc__:
            cls.__doc__ = cls.__doc__.replace(TRAINING_DOC_MARKER, cls.training_settings_doc())
