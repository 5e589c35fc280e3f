"""LabelEfficiencyDisplay: h-AUROC against the label fraction, one line per method."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._base import _axes, _check_mapping, _pyplot

__all__ = ["LabelEfficiencyDisplay"]

_RECORD_FIELDS = ("dataset", "method", "label_fraction", "seed")


def _load_records(records) -> list[dict]:
    if isinstance(records, str | Path):
        path = Path(records)
        if not path.is_file():
            raise ValueError(f"records file {str(path)!r} does not exist.")
        lines = path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    return list(records)


def _seed_stats(values: np.ndarray):
    """Mean, sample std (ddof=1; 0 for one seed) and count of the finite values per row."""
    means, stds, counts = [], [], []
    for row in values:
        row = row[np.isfinite(row)]
        means.append(row.mean() if row.size else np.nan)
        stds.append(row.std(ddof=1) if row.size > 1 else 0.0)
        counts.append(row.size)
    return np.asarray(means), np.asarray(stds), np.asarray(counts)


class LabelEfficiencyDisplay:
    """h-AUROC against the fraction of labelled data, one line per method.

    Points are the mean over seeds, error bars the sample standard deviation
    over seeds (``ddof=1``, as in docs/benchmarks.md; 0 with one seed). The x
    axis is logarithmic.

    Parameters
    ----------
    label_fractions, means, stds, counts : dict of str to ndarray
        Per method: the label fractions, the mean and std of the metric over
        seeds at each, and the number of seeds.
    metric : str, default="h_auroc"
        Name of the metric (the y label).
    dataset : str, optional
        Shown in the title.

    Attributes
    ----------
    errorbars_ : dict of str to matplotlib.container.ErrorbarContainer
        One per method.
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure
    """

    def __init__(self, label_fractions, means, stds, counts, *, metric="h_auroc", dataset=None):
        self.label_fractions = label_fractions
        self.means = means
        self.stds = stds
        self.counts = counts
        self.metric = metric
        self.dataset = dataset

    def plot(self, ax=None, *, capsize=3, **kwargs):
        """Draw one line with error bars per method.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        capsize : float, default=3
        **kwargs
            Passed to ``ax.errorbar`` for every method.

        Returns
        -------
        display : LabelEfficiencyDisplay
        """
        methods = list(_check_mapping(self.label_fractions, "label_fractions"))
        for attr in ("means", "stds", "counts"):
            if set(getattr(self, attr)) != set(methods):
                raise ValueError(f"{attr} must have the same methods as label_fractions.")
        ax, fig = _axes(ax, f"{type(self).__name__}.plot")
        self.errorbars_ = {}
        ticks = set()
        for m in methods:
            x = np.asarray(self.label_fractions[m], dtype=np.float64)
            y, err = np.asarray(self.means[m]), np.asarray(self.stds[m])
            if not (x.shape == y.shape == err.shape) or x.ndim != 1:
                raise ValueError(f"the label fractions, means and stds of {m!r} differ in length.")
            if (x <= 0).any():
                raise ValueError(f"label fractions must be > 0 (log axis), got {x.tolist()}.")
            self.errorbars_[m] = ax.errorbar(
                x, y, yerr=err, **{"marker": "o", "capsize": capsize, "label": m, **kwargs}
            )
            ticks.update(x.tolist())
        ax.set_xscale("log")
        ticks = sorted(ticks)
        ax.set_xticks(ticks, [f"{t:.0%}" if t >= 0.01 else f"{t:.1%}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("fraction of labelled data (log scale)")
        metric = {"h_auroc": "h-AUROC"}.get(self.metric, self.metric)
        ax.set_ylabel(f"{metric} (mean \u00b1 std over seeds)")
        title = "label efficiency"
        ax.set_title(title if self.dataset is None else f"{title}: {self.dataset}")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_records(
        cls, records, *, dataset=None, methods=None, metric="h_auroc", ax=None, **kwargs
    ):
        """Plot label efficiency from benchmark records.

        Parameters
        ----------
        records : str or Path, or iterable of dict
            A jsonl file such as ``benchmarks/results/benchmark.jsonl``, or its
            records: dicts with ``dataset``, ``method``, ``label_fraction``,
            ``seed`` and ``metric``. As in ``benchmarks/report.py``, a later
            record of the same (dataset, method, label fraction, seed) replaces
            an earlier one, and missing (None or NaN) values are skipped.
        dataset : str, optional
            The dataset to plot; may be omitted when the records hold one.
        methods : list of str, optional
            Methods to plot, in this order; all with records when None.
        metric : str, default="h_auroc"
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : LabelEfficiencyDisplay
        """
        what = f"{cls.__name__}.from_records"
        _pyplot(what)
        records = _load_records(records)
        if not records:
            raise ValueError(f"{what}: records is empty.")
        for i, r in enumerate(records):
            if not isinstance(r, Mapping):
                raise ValueError(f"record {i} is not a dict: {r!r}.")
            missing = [f for f in (*_RECORD_FIELDS, metric) if f not in r]
            if missing:
                raise ValueError(f"record {i} lacks the field(s) {missing}.")
        datasets = list(dict.fromkeys(r["dataset"] for r in records))
        if dataset is None:
            if len(datasets) != 1:
                raise ValueError(
                    f"{what}: the records hold {len(datasets)} datasets {datasets}; choose one "
                    "with dataset=<name>."
                )
            dataset = datasets[0]
        elif dataset not in datasets:
            raise ValueError(f"dataset {dataset!r} has no record; the records hold {datasets}.")
        latest = {}
        for r in records:  # later records of the same run replace earlier ones
            if r["dataset"] == dataset:
                latest[(r["method"], float(r["label_fraction"]), r["seed"])] = r[metric]
        available = list(dict.fromkeys(m for m, _, _ in latest))
        if methods is None:
            methods = available
        else:
            methods = list(methods)
            unknown = [m for m in methods if m not in available]
            if unknown or not methods:
                raise ValueError(
                    f"methods {unknown or methods} have no {dataset!r} record; available: "
                    f"{available}."
                )
        fractions, means, stds, counts = {}, {}, {}, {}
        for m in methods:
            values = {}
            for (mm, f, _), v in latest.items():
                if mm == m and v is not None and np.isfinite(float(v)):
                    values.setdefault(f, []).append(float(v))
            if not values:
                raise ValueError(f"method {m!r} has no finite {metric} on {dataset!r}.")
            fs = sorted(values)
            width = max(len(v) for v in values.values())
            table = np.full((len(fs), width), np.nan)
            for i, f in enumerate(fs):
                table[i, : len(values[f])] = values[f]
            fractions[m] = np.asarray(fs)
            means[m], stds[m], counts[m] = _seed_stats(table)
        display = cls(fractions, means, stds, counts, metric=metric, dataset=dataset)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_values(
        cls, label_fractions, scores, *, metric="h_auroc", dataset=None, ax=None, **kwargs
    ):
        """Plot label efficiency from scores per label fraction and seed.

        Parameters
        ----------
        label_fractions : array-like of float, shape (n_fractions,)
            Fractions of labelled data, in (0, 1].
        scores : dict of str to array-like of shape (n_fractions,) or (n_fractions, n_seeds)
            Each method's metric at each fraction, one column per seed; NaN for
            a missing seed.
        metric : str, default="h_auroc"
        dataset : str, optional
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : LabelEfficiencyDisplay
        """
        _pyplot(f"{cls.__name__}.from_values")
        x = np.asarray(label_fractions, dtype=np.float64)
        if x.ndim != 1 or x.size == 0:
            raise ValueError(f"label_fractions must be a non-empty 1-D array, got shape {x.shape}.")
        if (x <= 0).any() or (x > 1).any():
            raise ValueError(f"label fractions must be in (0, 1], got {x.tolist()}.")
        scores = _check_mapping(scores, "scores")
        fractions, means, stds, counts = {}, {}, {}, {}
        for m, values in scores.items():
            values = np.asarray(values, dtype=np.float64)
            values = values[:, None] if values.ndim == 1 else values
            if values.ndim != 2 or values.shape[0] != x.size:
                raise ValueError(
                    f"scores[{m!r}] has shape {np.shape(scores[m])}, expected ({x.size},) or "
                    f"({x.size}, n_seeds): one row per label fraction."
                )
            fractions[m] = x
            means[m], stds[m], counts[m] = _seed_stats(values)
        display = cls(fractions, means, stds, counts, metric=metric, dataset=dataset)
        return display.plot(ax=ax, **kwargs)
