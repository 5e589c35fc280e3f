"""Scoring a stream as it grows: new rows in, their surface rows out.

A fitted model's row ``t`` reads only the last ``context_length`` steps of its
series, so a stream needs to keep only that tail: :class:`SurfaceStream` holds
it per series and scores each batch of new rows with the tail in front, which
gives exactly the numbers of scoring the whole series at once.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._rows import MAX_HISTORY, ContextLengthWarning
from .panel import SeriesLayoutWarning

__all__ = ["SurfaceStream"]


def _context_length(model) -> int:
    """Steps of history a fitted surface model's rows read."""
    check_is_fitted(model)
    encoder = getattr(model, "pretrainer_", None)
    if encoder is None:
        raise ValueError(
            f"{type(model).__name__} was fitted on embeddings or has no encoder: streaming "
            "needs a model that reads raw series (a HEPAEventPredictor with an encoder)."
        )
    return MAX_HISTORY if encoder.context_length is None else int(encoder.context_length)


class SurfaceStream:
    """Feed a fitted surface model a stream in pieces; get the surface of each new row.

    Parameters
    ----------
    model : fitted HEPAEventPredictor
        Its encoder's ``context_length`` fixes how much of each series is kept
        (``MAX_HISTORY`` steps for whole-history contexts).

    Attributes
    ----------
    tails_ : dict
        Series id -> the last ``context_length`` rows seen (a 2-D array).

    Examples
    --------
    >>> stream = SurfaceStream(model)                  # doctest: +SKIP
    >>> for chunk in chunks:                           # doctest: +SKIP
    ...     surface = stream.update(chunk)             # (len(chunk), K)
    """

    def __init__(self, model):
        self.model = model
        self.context_length_ = _context_length(model)
        self.tails_: dict = {}

    def update(self, X_new, *, batch_size: int = 256) -> np.ndarray:
        """Surface rows of the new observations.

        Parameters
        ----------
        X_new : 2-D array or DataFrame (new steps of ONE stream, in time order),
            or a DataFrame with a (series id, time) MultiIndex (new steps of
            several streams; each series' rows contiguous)
        batch_size : int, default=256

        Returns
        -------
        surface : ndarray of float32, shape (n_new_rows, horizons), in the order of X_new
        """
        if isinstance(X_new, pd.DataFrame) and isinstance(X_new.index, pd.MultiIndex):
            ids = X_new.index.get_level_values(0)
            parts = [X_new.iloc[np.flatnonzero(ids == key)] for key in pd.unique(ids)]
            keys = list(pd.unique(ids))
        else:
            parts, keys = [X_new], [None]
        out = [
            self._update_one(key, part, batch_size) for key, part in zip(keys, parts, strict=True)
        ]
        return np.concatenate(out) if out else np.zeros((0, self.model.horizons), np.float32)

    def _update_one(self, key, part, batch_size: int) -> np.ndarray:
        values = np.asarray(part, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"new rows must be 2-D (steps, sensors), got shape {values.shape}.")
        if not len(values):
            return np.zeros((0, self.model.horizons), np.float32)
        tail = self.tails_.get(key)
        history = values if tail is None else np.concatenate([tail, values])
        rows = np.arange(len(history) - len(values), len(history))
        frame = self._as_input(history)
        with warnings.catch_warnings():
            # the kept history is one series by construction, cut where the model's
            # contexts are cut anyway
            warnings.simplefilter("ignore", SeriesLayoutWarning)
            warnings.simplefilter("ignore", ContextLengthWarning)
            surface = self.model.predict_surface(frame, rows=rows, batch_size=batch_size)
        self.tails_[key] = history[-self.context_length_ :]
        return surface

    def _as_input(self, history):
        """The kept history in the layout the model was fitted on (column names kept)."""
        names = getattr(self.model, "feature_names_in_", None)
        if names is None:
            return history
        return pd.DataFrame(history, columns=names)
