"""skorch callbacks of the training path: early stopping, EMA targets, collapse statistics.

Every torch estimator of the package trains one skorch net (``_training.fit_net``);
what differs between stages is only which of these callbacks it carries. Users'
own skorch callbacks (``callbacks=`` on each estimator) are added after them.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from skorch.callbacks import Callback, EarlyStopping

from .diagnostics import embedding_stats, prediction_reference, sigreg_references
from .nn.event_head import cdf_from_hazard_logits

__all__ = [
    "CollapseMonitor",
    "EMATargetUpdate",
    "MinStepsEarlyStopping",
    "PartRatio",
    "PredictionReference",
    "ValidRankScore",
]


class MinStepsEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping`` that may act only after ``min_steps`` optimiser steps.

    With few labels an epoch is a handful of batches, and patience counted in
    epochs stops a head after ~20 steps, before it has left its random start
    (issue 7: heads inverted at 10 % labels). The best epoch is still tracked
    from the first epoch, and the best weights are restored at the end.

    Parameters
    ----------
    min_steps : int
        Optimiser steps before a stop may happen.
    **kwargs
        ``EarlyStopping``'s parameters (``monitor``, ``patience``,
        ``lower_is_better``, ``load_best``, ...).
    """

    def __init__(self, *, min_steps: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.min_steps = min_steps

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.steps_ = 0
        self.stopped_ = False

    def on_epoch_end(self, net, **kwargs):
        self.steps_ += sum("train_loss" in b for b in net.history[-1]["batches"])
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            if self.steps_ < self.min_steps:
                self.misses_ -= 1  # not yet: the next miss after min_steps stops
                return
            self.stopped_ = True
            raise


class ProcessMeanScores(Callback):
    """Average each epoch's ``valid_*`` scores over the processes of ``accelerate launch``.

    Every process scores the whole validation set with the same weights, but
    the random parts of a loss (SIGReg's directions) differ between them.
    Early stopping has to read one value everywhere: otherwise the processes
    stop at different epochs and restore different best weights.
    """

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        names = sorted(k for k, v in row.items() if k.startswith("valid_") and isinstance(v, float))
        if not names:
            return
        values = torch.tensor(
            [row[k] for k in names], dtype=torch.float64, device=net.accelerator.device
        )
        means = net.accelerator.reduce(values, "mean").tolist()
        for name, value in zip(names, means, strict=True):
            net.history.record(name, value)


class EMATargetUpdate(Callback):
    """After every optimiser step, move the EMA target encoder towards the online one.

    Parameters
    ----------
    momentum : float
        tau in ``target <- tau * target + (1 - tau) * online`` (paper I.3: 0.99).
    """

    def __init__(self, momentum: float = 0.99):
        self.momentum = momentum

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            net.bare_module().update_target(self.momentum)  # under DDP too


class CollapseMonitor(Callback):
    """Record per epoch the spread of ``h_t`` and of the predictor output.

    Reads the outputs ``(h_hat, h_star, h_t)`` of the JEPA module on the
    validation batches (dropout off), or on the training batches when there
    is no validation set, keeping at most ``max_rows`` rows per epoch, and
    records ``h_std``, ``h_rank``, ``h_cos``, ``pred_std``, ``pred_rank`` and
    the SIGReg references ``sigreg_gauss_ref`` / ``sigreg_const_ref`` at the
    net's batch size (``diagnostics``) in the history.
    """

    def __init__(self, *, max_rows: int = 2048):
        self.max_rows = max_rows

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.has_valid_ = dataset_valid is not None
        self.h_, self.pred_ = [], []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if training == self.has_valid_ or y_pred is None:
            return
        if sum(len(h) for h in self.h_) >= self.max_rows:
            return
        self.pred_.append(y_pred[0].detach().float().cpu())  # (B, D)
        self.h_.append(y_pred[2].detach().float().cpu())  # (B, D)

    def on_epoch_end(self, net, **kwargs):
        if not self.h_:
            return
        h, pred = torch.cat(self.h_), torch.cat(self.pred_)  # (n, D) each
        stats = embedding_stats(h)
        pred_stats = embedding_stats(pred)
        record = {
            "h_std": stats["std"],
            "h_rank": stats["rank"],
            "h_cos": stats["cos"],
            "pred_std": pred_stats["std"],
            "pred_rank": pred_stats["rank"],
            **sigreg_references(pred, batch_size=net.batch_size, scale=_sigreg_scale(net)),
        }
        for key, value in record.items():
            net.history.record(key, value)
        self.h_, self.pred_ = [], []


class PredictionReference(Callback):
    """Record per epoch the JEPA prediction error against a shuffled-target reference.

    Collects ``(h_hat, h_star, dt)`` of the validation batches (or of the
    training batches without a validation set), at most ``max_rows`` per
    epoch, and records ``diagnostics.prediction_reference`` on them:
    ``l1_shuffled`` (the error against the target of another row of nearly
    the same ``dt``), ``pred_ratio`` (``l1`` / ``l1_shuffled``; about 1 when
    the predictor ignores its context) and ``pred_ratio_<band>`` per dt band.
    """

    def __init__(self, *, max_rows: int = 4096):
        self.max_rows = max_rows

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.has_valid_ = dataset_valid is not None
        self.parts_ = []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if training == self.has_valid_ or y_pred is None:
            return
        if sum(len(p[2]) for p in self.parts_) >= self.max_rows:
            return
        h_hat, h_star = y_pred[0].detach().float().cpu(), y_pred[1].detach().float().cpu()
        self.parts_.append((h_hat, h_star, batch[0]["dt"].detach().cpu()))  # (B,D),(B,D),(B,)

    def on_epoch_end(self, net, **kwargs):
        if sum(len(p[2]) for p in self.parts_) < 2:
            return
        h_hat, h_star, dt = (torch.cat(v) for v in zip(*self.parts_, strict=True))
        ref = prediction_reference(h_hat, h_star, dt, seed=len(net.history))
        net.history.record("l1_shuffled", ref.pop("l1_shuffled"))
        ref.pop("l1")  # already in the history as (train|valid)_l1
        for key, value in ref.items():
            net.history.record(f"pred_{key}", value)
        self.parts_ = []


class PartRatio(Callback):
    """Record per epoch the ratio of two loss parts (a loss over its reference value).

    Reads ``valid_<numerator>`` and ``valid_<denominator>`` of the epoch (the
    ``train_`` ones when the fit has no validation set) and records
    ``name`` = their quotient. Must come after the parts' scoring callbacks.

    Parameters
    ----------
    numerator, denominator : str
        Part names (``_part_names`` of the estimator).
    name : str
        History key of the ratio.
    """

    def __init__(self, numerator: str, denominator: str, *, name: str):
        self.numerator = numerator
        self.denominator = denominator
        self.name = name

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        for prefix in ("valid_", "train_"):
            num, den = row.get(prefix + self.numerator), row.get(prefix + self.denominator)
            if num is not None and den is not None:
                net.history.record(self.name, float(num) / float(den) if den > 0 else float("nan"))
                return


def _sigreg_scale(net) -> str:
    """The scale of the SIGReg in the net's criterion ("batch" when it has none)."""
    sigreg = getattr(getattr(net, "criterion_", None), "sigreg", None)
    return getattr(sigreg, "scale", "batch")


class ValidRankScore(Callback):
    """Record ``valid_auroc``: the mean per-horizon AUROC of the validation surface.

    An early-stopping monitor that ranks rather than calibrates: with few
    events the validation BCE is dominated by the base rate and can improve
    while the ranking of rows inverts. Horizons whose known validation cells
    hold a single class are skipped; with none left the score is 0.5.
    """

    def on_epoch_begin(self, net, **kwargs):
        self.logits_, self.labels_, self.known_ = [], [], []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if training or y_pred is None:
            return
        labels, known = batch[1]
        self.logits_.append(y_pred.detach().float().cpu())  # (B, K)
        self.labels_.append(torch.as_tensor(labels).cpu())
        self.known_.append(torch.as_tensor(known).cpu())

    def on_epoch_end(self, net, **kwargs):
        if not self.logits_:
            return
        cdf = cdf_from_hazard_logits(torch.cat(self.logits_)).numpy()  # (n, K)
        labels = torch.cat(self.labels_).numpy().astype(bool)  # (n, K)
        known = torch.cat(self.known_).numpy()  # (n, K)
        scores = []
        for k in range(cdf.shape[1]):
            y, p = labels[known[:, k], k], cdf[known[:, k], k]
            if y.any() and not y.all():
                scores.append(roc_auc_score(y, p))
        net.history.record("valid_auroc", float(np.mean(scores)) if scores else 0.5)
