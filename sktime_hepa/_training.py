"""The one training path of every torch estimator: a skorch net, seeded, early-stopped.

``fit_net`` trains any module whose criterion returns ``(loss, parts)``;
``fit_event_net`` is the event-surface stage on top of it (labelled rows,
survival BCE). Estimators differ only in the module, criterion and callbacks
they hand over.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from dataclasses import dataclass, fields

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring, ProgressBar
from skorch.dataset import unpack_data
from skorch.helper import predefined_split
from skorch.hf import AccelerateMixin  # imports nothing of accelerate itself
from skorch.utils import to_device, to_tensor
from torch import nn
from torch.torch_version import TorchVersion

from ._split import labelled_segments, split_segments  # noqa: F401  (split_segments: re-export)
from .callbacks import MinStepsEarlyStopping, ProcessMeanScores, ValidRankScore
from .diagnostics import UntrainedWarning
from .nn.losses import SurvivalBCELoss

#: Training precisions: None trains in float32; the others run the forward
#: pass and the loss under ``torch.autocast`` (float16 with gradient scaling).
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class TrainingSettings:
    """The shared training settings of one fit, resolved: what ``fit_net`` reads.

    Built from an estimator's parameters by :meth:`from_estimator` (the
    device resolved, the seed drawn), never written by hand, so it hides no
    parameter from the user.
    """

    lr: float
    weight_decay: float
    batch_size: int
    max_epochs: int
    patience: int
    device: str
    seed: int
    verbose: int = 0
    callbacks: object = None
    precision: str = "float32"
    accelerator: object = None
    validation_fraction: float = 0.2
    stride: int = 1
    warm: bool = False  # the network continues a fitted one (warm_start), not a parameter

    @classmethod
    def from_estimator(cls, estimator, *, device: str, seed: int) -> TrainingSettings:
        """The settings an estimator's parameters hold, with the resolved device and seed."""
        names = [f.name for f in fields(cls) if f.name not in ("device", "seed", "warm")]
        warm = bool(getattr(estimator, "_warm", lambda: False)())
        return cls(device=device, seed=seed, warm=warm, **{n: getattr(estimator, n) for n in names})


@dataclass(frozen=True)
class Stage:
    """What one training stage adds to the shared settings.

    ``collate`` builds batches; ``part_names`` are the loss parts recorded in
    the history; early stopping watches ``monitor`` ("valid_loss", lower is
    better, or "valid_auroc", higher is better) and acts only after
    ``min_steps`` optimiser steps; ``callbacks`` are the stage's own named
    skorch callbacks.
    """

    collate: object = None
    part_names: tuple = ()
    monitor: str = "valid_loss"
    min_steps: int = 0
    callbacks: tuple = ()


@dataclass(frozen=True)
class NetworkRecipe:
    """How an estimator's network is made: what ``fit`` trains and ``load_weights`` rebuilds.

    ``build()`` returns a freshly initialised module of the fitted shapes;
    ``criterion`` is the training loss; ``stage`` the training stage (without
    data when the recipe only rebuilds a network).
    """

    build: object
    criterion: object
    stage: Stage = Stage()


def resolve_device(device: str) -> str:
    """Map "auto" to "cuda" when available, else "cpu"; check explicit requests.

    ValueError for a string torch cannot read as a device, and for a CUDA or
    MPS device that this machine does not have.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    forms = '"auto", "cpu", "cuda", "cuda:N" (N a GPU number) or "mps"'
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device={device!r} is not a device; use one of {forms}.") from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available.")
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(
                f"device={device!r} was requested but this machine has {count} CUDA "
                f"device(s) (cuda:0 .. cuda:{count - 1})."
            )
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return device


def fit_seed(random_state) -> int:
    """One int32 seed per fit from a ``random_state`` parameter (sklearn's convention)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def seeded(seed: int, device: str):
    """Seed torch inside, restoring the caller's global RNG state afterwards."""
    devices = []
    if device.startswith("cuda"):
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


#: fused AdamW on the CPU arrived in torch 2.4; older releases fuse on CUDA only
FUSED_ADAMW_ON_CPU = TorchVersion(torch.__version__) >= "2.4"


def optimizer_kwargs(*, weight_decay: float, device: str = "cpu") -> dict:
    """AdamW settings shared by the nets and the speed benchmark."""
    # fused AdamW: one kernel for all parameters instead of ~10 per tensor
    fused = str(device).startswith("cuda") or (FUSED_ADAMW_ON_CPU and str(device) == "cpu")
    return {"weight_decay": weight_decay, **({"fused": True} if fused else {})}


#: Layers whose weight matrices weight decay shrinks; every other parameter
#: (biases, norm gains, embeddings, learned tokens, state-space constants) is
#: left alone, as in nanoGPT's ``configure_optimizers``.
DECAYED_LAYERS = (
    nn.Linear,
    nn.Bilinear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.RNNBase,
    nn.RNNCellBase,
    nn.MultiheadAttention,
)


def decayed_parameters(module: nn.Module) -> set:
    """``id`` of every parameter of ``module`` that weight decay applies to.

    The weight matrices (2 or more dimensions) of ``DECAYED_LAYERS``; not
    biases, LayerNorm gains, ``nn.Embedding`` tables or parameters a module
    holds directly (positional tables, mask tokens, pooling queries, Mamba's
    ``A_log`` and ``D``): decay would only pull them towards zero.
    """
    return {
        id(p)
        for layer in module.modules()
        if isinstance(layer, DECAYED_LAYERS)
        for p in layer.parameters(recurse=False)
        if p.ndim >= 2
    }


def configure_optimizers(named_parameters, module: nn.Module, *, weight_decay: float) -> list:
    """AdamW parameter groups: decayed matrices, then everything else at 0.

    ``named_parameters`` (name, parameter) pairs are those to train (frozen
    parts already left out); empty groups are dropped.
    """
    decayed = decayed_parameters(module)
    params = [p for _, p in named_parameters]
    groups = [
        {"params": [p for p in params if id(p) in decayed], "weight_decay": weight_decay},
        {"params": [p for p in params if id(p) not in decayed], "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def make_optimizer(module: nn.Module, *, lr: float, weight_decay: float, device: str = "cpu"):
    """The AdamW optimizer the nets use, for code that steps a module directly."""
    groups = configure_optimizers(module.named_parameters(), module, weight_decay=weight_decay)
    return torch.optim.AdamW(
        groups, lr=lr, **optimizer_kwargs(weight_decay=weight_decay, device=device)
    )


class HEPANet(NeuralNet):
    """skorch net whose criterion returns (loss, parts); parts go to the history.

    Only parameters with ``requires_grad`` reach the optimizer, which is how
    frozen encoders stay frozen. ``precision`` (a ``PRECISIONS`` key) runs the
    forward pass and loss under autocast; "float16" also scales the loss
    (``torch.amp.GradScaler``) and unscales the gradients before the
    ``on_grad_computed`` callbacks, so gradient clipping sees true gradients.
    The weights and the optimizer state stay float32.
    """

    def __init__(self, *args, precision="float32", **kwargs):
        super().__init__(*args, **kwargs)
        self.precision = precision

    @property
    def _autocast_dtype(self):
        return PRECISIONS[self.precision]

    def _autocast(self):
        dtype = self._autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=torch.device(self.device).type, dtype=dtype)

    def initialize(self):
        super().initialize()
        scaled = self.precision == "float16"
        self.grad_scaler_ = torch.amp.GradScaler(torch.device(self.device).type) if scaled else None
        return self

    def infer(self, x, **fit_params):
        with self._autocast():
            return super().infer(x, **fit_params)

    def train_step_single(self, batch, **fit_params):
        if self.grad_scaler_ is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.grad_scaler_.scale(loss).backward()
        for name in self._optimizers:
            self.grad_scaler_.unscale_(getattr(self, name + "_"))
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        if self.grad_scaler_ is None:
            return super()._step_optimizer(step_fn)
        step_fn()  # forward, scaled backward, unscale, callbacks
        for name in self._optimizers:
            self.grad_scaler_.step(getattr(self, name + "_"))  # skipped on inf/NaN gradients
        self.grad_scaler_.update()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        with self._autocast():
            loss, parts = self.criterion_(y_pred, y_true)
        loss = loss.float()
        prefix = "train_" if training else "valid_"
        for name, value in parts.items():
            self.history.record_batch(prefix + name, float(value.detach()))
        return loss

    def bare_module(self):
        """``module_`` itself: the module a callback may call methods of."""
        return self.module_

    def get_all_learnable_params(self):
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param

    def get_params_for_optimizer(self, prefix, named_parameters):
        """The optimizer's parameter groups: weight decay on weight matrices only.

        ``configure_optimizers`` splits the trainable parameters; ``lr`` and
        the other ``optimizer__`` settings apply to both groups.
        """
        args, kwargs = super().get_params_for_optimizer(prefix, [])
        weight_decay = kwargs.get("weight_decay", 0.0)
        groups = configure_optimizers(named_parameters, self.module_, weight_decay=weight_decay)
        return (groups,), kwargs


class AcceleratedHEPANet(AccelerateMixin, HEPANet):
    """``HEPANet`` whose training an ``accelerate.Accelerator`` places (skorch's mixin).

    The mixin's training step (``accelerator.autocast`` and ``accelerator.backward``)
    replaces ``HEPANet``'s autocast and gradient scaling, so ``precision`` stays
    "float32" and the accelerator's ``mixed_precision`` decides. Only the
    training batches are sharded over the processes of ``accelerate launch``:
    every process scores the whole validation set, so the validation loss and
    ``valid_auroc`` are the same on all of them and early stopping stops them
    at the same epoch with the same best weights.
    """

    def bare_module(self):
        """``module_`` without accelerate's wrapper (DDP under ``accelerate launch``)."""
        return self.accelerator.unwrap_model(self.module_, keep_fp32_wrapper=True)

    def _initialize_accelerator(self):
        # accelerate would wrap a parameterless criterion in DDP, which refuses it
        criteria = self._criteria
        self._criteria = [
            name
            for name in criteria
            if any(p.requires_grad for p in getattr(self, name + "_").parameters())
        ]
        try:
            return super()._initialize_accelerator()
        finally:
            self._criteria = criteria

    def get_iterator(self, dataset, training=False):
        if training:
            return super().get_iterator(dataset, training=True)  # prepared: sharded, placed
        return NeuralNet.get_iterator(self, dataset, training=False)

    def validation_step(self, batch, **fit_params):
        # the unprepared validation loader leaves its batches on the CPU
        return super().validation_step(to_device(batch, self.accelerator.device), **fit_params)


def check_accelerator(accelerator, device: str, precision: str) -> str:
    """The device an ``accelerator`` trains on; ValueError where the estimator asks otherwise."""
    if precision != "float32":
        raise ValueError(
            f"precision={precision!r} and an accelerator both set mixed precision; keep "
            "precision='float32' and pass Accelerator(mixed_precision='bf16' or 'fp16')."
        )
    placed, asked = torch.device(accelerator.device), torch.device(device)
    same_index = placed.index is None or asked.index is None or placed.index == asked.index
    if placed.type != asked.type or not same_index:
        raise ValueError(
            f"device={device!r} but the accelerator places training on {placed}; leave "
            "device='auto' (or name the accelerator's device): with an accelerator, "
            "accelerate decides where each process trains."
        )
    return str(placed)


def fit_net(build_module, criterion, train_ds, valid_ds, settings, stage=Stage()):
    """Train ``module`` with AdamW; early stopping on whole-series validation.

    ``build_module`` is called under ``settings.seed``, so initial weights,
    dropout and SIGReg's random directions are reproducible. ``stage``
    (:class:`Stage`) holds the stage's collate function, recorded loss parts,
    early-stopping monitor and own callbacks; ``settings.callbacks`` are the
    user's. Returns the fitted skorch net; its module holds the best
    validation weights when a validation set is given. With an
    ``accelerator`` (an ``accelerate.Accelerator``) the net is skorch's
    ``AccelerateMixin`` variant: accelerate places the module, shards the
    batches over the processes of ``accelerate launch`` and runs its mixed
    precision; the module is unwrapped after training, so the fitted net
    pickles and predicts like any other.

    Raises
    ------
    KeyboardInterrupt
        When the user interrupts training (skorch swallows it; the stop of an
        early-stopping callback is told apart and does not raise).
    """
    lr, weight_decay, batch_size = settings.lr, settings.weight_decay, settings.batch_size
    max_epochs, patience, verbose = settings.max_epochs, settings.patience, settings.verbose
    device, seed, precision = settings.device, settings.seed, settings.precision
    accelerator, monitor = settings.accelerator, stage.monitor
    named = []
    for name in stage.part_names:
        named.append((f"train_{name}", PassthroughScoring(f"train_{name}", on_train=True)))
        if valid_ds is not None:
            named.append((f"valid_{name}", PassthroughScoring(f"valid_{name}")))
    named += list(stage.callbacks)
    if accelerator is not None and accelerator.num_processes > 1 and valid_ds is not None:
        named.append(("process_mean_scores", ProcessMeanScores()))  # one stop for all
    if valid_ds is not None and patience:
        stopper = MinStepsEarlyStopping(
            monitor=monitor,
            lower_is_better=monitor != "valid_auroc",
            patience=patience,
            load_best=True,
            min_steps=stage.min_steps,
        )
        named.append(("early_stopping", stopper))
    if verbose >= 2:  # a bar over each epoch's batches on long fits
        named.append(("progress_bar", ProgressBar()))
    named += user_callbacks(settings.callbacks)
    net_class, placement = HEPANet, dict(device=device, precision=precision)
    if accelerator is not None:
        device = check_accelerator(accelerator, device, precision)
        # device=None leaves placement to the accelerator; PrintLog stays quiet at
        # verbose=0 only with the plain print sink, and the main process prints
        sink = accelerator.print if verbose else print
        placement = dict(
            accelerator=accelerator,
            device=None,
            callbacks__print_log__sink=sink,
            unwrap_after_train=False,  # unwrapped below, after early stopping's load_best
        )
        net_class = AcceleratedHEPANet
    generator = torch.Generator().manual_seed(seed)
    with seeded(seed, device):
        module = build_module()
    net = net_class(
        module,
        criterion=criterion,
        optimizer=torch.optim.AdamW,
        lr=lr,
        **{
            f"optimizer__{k}": v
            for k, v in optimizer_kwargs(weight_decay=weight_decay, device=device).items()
        },
        batch_size=batch_size,
        max_epochs=max_epochs,
        train_split=predefined_split(valid_ds) if valid_ds is not None else None,
        iterator_train__shuffle=True,
        iterator_train__generator=generator,
        iterator_train__collate_fn=stage.collate,
        iterator_valid__collate_fn=stage.collate,
        callbacks=named,
        verbose=verbose,
        **placement,
    )
    if max_epochs and (train_ds is None or not len(train_ds)):
        raise ValueError(
            "no training samples are left after holding out the validation split; "
            "pass more or longer series, or a smaller validation_fraction."
        )
    with seeded(seed, device):
        try:
            if max_epochs == 0:
                if train_ds is not None and not settings.warm:  # data, and no epoch asked for
                    warnings.warn(
                        "max_epochs=0: the network is initialised and not trained; the "
                        "fitted model predicts from random weights (a random-init "
                        "control). Set max_epochs >= 1 to train it.",
                        UntrainedWarning,
                        stacklevel=4,
                    )
                net.initialize()  # "scratch" reuses the pretraining path with no epochs
            else:
                net.fit(train_ds, y=None)
        finally:
            if accelerator is not None:
                net._unwrap_accelerator()  # the plain module (DDP does not pickle)
                # the accelerator keeps every prepared module and loader (with
                # its training data): release them
                accelerator.free_memory()
        if max_epochs:
            _raise_if_interrupted(net, max_epochs)
    # The collate functions close over the training series and the train split
    # holds the validation set: dropping them lets the fitted net pickle
    # without a copy of its training data. Plain attributes, because skorch's
    # set_params would re-initialise a fitted net.
    net.iterator_train__collate_fn = None
    net.iterator_valid__collate_fn = None
    net.train_split = None
    net.grad_scaler_ = None  # training state only
    if accelerator is not None:
        net.device = device  # where the unwrapped module now is (unpickling reads it)
    return net


def named_callbacks(callbacks) -> list:
    """A user's ``callbacks`` parameter as (name, callback) pairs, the callbacks as given.

    A bare callback at position i is named ``user_<i>_<ClassName>``.
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or not isinstance(callbacks, list | tuple):
        raise ValueError(
            "callbacks must be a list of skorch callbacks or (name, callback) pairs, "
            f"got {type(callbacks).__name__}."
        )
    out = []
    for i, item in enumerate(callbacks):
        name, cb = item if isinstance(item, tuple) else (f"user_{i}_{type(item).__name__}", item)
        if not isinstance(cb, Callback):
            raise ValueError(
                f"callbacks[{i}] is a {type(cb).__name__}, not a skorch.callbacks.Callback."
            )
        out.append((name, cb))
    return out


def user_callbacks(callbacks) -> list:
    """A user's ``callbacks`` parameter as skorch's (name, callback) pairs, copied per fit."""
    # a fresh copy per fit: callbacks keep state, and a grid search reuses params
    return [(name, copy.deepcopy(cb)) for name, cb in named_callbacks(callbacks)]


def _raise_if_interrupted(net, max_epochs: int) -> None:
    """Re-raise a Ctrl-C that skorch's fit loop swallowed.

    skorch ends training on any KeyboardInterrupt, its early stopping's
    included; an epoch without a duration (EpochTimer, the first callback, writes
    it at epoch end) or fewer epochs than asked for without an early stop
    means the user interrupted.
    """
    done = sum("dur" in row for row in net.history)
    stopped = any(
        isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience
        for _, cb in net.callbacks_
    )
    if done < max_epochs and not stopped:
        raise KeyboardInterrupt(
            f"training was interrupted after {done} of {max_epochs} epochs; "
            "the estimator was left as it was before fit."
        )


def fit_event_net(build_module, source, cells, settings, *, monitor="valid_loss", min_steps=0):
    """Train an ``EventModule`` on the labelled rows of a row source with the survival BCE.

    ``source`` is an ``EmbeddingRows`` (frozen encoder: the network sees
    ``h``) or a ``PanelRows`` (trained encoder: contexts are cut per batch).
    Whole series (or, with few series, the end of each) are held out for
    early stopping, and both parts must hold an event (``_split``).
    ``cells`` is ``(labels, known, pos_weight)`` of ``targets.survival_cells``.
    ``monitor="valid_auroc"`` stops on the ranking of the validation rows.

    Returns the fitted net and the labelled rows it held out (int array,
    empty without a validation part), on which a probability scale can be fitted.
    """
    labels, known, pos_weight = cells
    seed = settings.seed
    labelled = known.any(axis=1)
    positive = (labels.astype(bool) & known).any(axis=1)
    offsets = source.offsets
    train_segs, valid_segs = labelled_segments(
        offsets, labelled, settings.validation_fraction, seed, positive=positive
    )

    def dataset(segments, stride):
        rows = [offsets[i] + np.arange(a, b) for i, a, b in segments]
        rows = [r[labelled[r]] for r in rows]
        lengths = np.array([len(r) for r in rows if len(r)], dtype=np.int64)
        if not lengths.sum():
            return None
        rows = np.concatenate(rows)
        return source.dataset(
            rows, labels[rows], known[rows], segment_lengths=lengths, stride=stride, seed=seed
        )

    valid_ds = dataset(valid_segs, 1)
    held_out = [offsets[i] + np.arange(a, b) for i, a, b in valid_segs]
    held_out = np.concatenate(held_out) if held_out else np.zeros(0, dtype=np.int64)
    held_out = held_out[labelled[held_out]]
    stage = Stage(
        collate=source.collate(),
        monitor=monitor,
        min_steps=min_steps,
        callbacks=[("valid_auroc", ValidRankScore())] if valid_ds is not None else [],
    )
    net = fit_net(
        build_module,
        SurvivalBCELoss(pos_weight=pos_weight),
        dataset(train_segs, settings.stride),
        valid_ds,
        settings,
        stage,
    )
    return net, (held_out if valid_ds is not None else held_out[:0])
