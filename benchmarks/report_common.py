"""What every table of docs/benchmarks.md shares: records, cells, method and dataset names."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

#: Column order and display names of our methods.
METHODS = {
    "hepa": "HEPA",
    "hepa_random": "HEPA random enc.",
    "hepa_scratch": "HEPA scratch",
    "hepa_paper": "HEPA (paper norm.)",
    "hepa_dtmlp": "HEPA enc. + dt-MLP",
    "mae": "MAE",
    "patchtst": "PatchTST",
    "itransformer": "iTransf.",
    "rsf": "RSF",
    "ridge": "ridge",
    "age": "age",
    # the related systems (issue 9), frozen under the dt-MLP head like MAE
    "trep": "T-Rep",
    "mts_jepa": "MTS-JEPA",
    "lstm_vae": "LSTM-VAE",
    "lstm_attention": "LSTM-attn AE",
    "anomaly_transformer": "Anomaly Transf.",
    "sensitive_mamba": "SensitiveMamba",
}


#: Methods with a table of their own (the related systems); the others form the main table.
RELATED_NAMES = (
    "trep",
    "mts_jepa",
    "lstm_vae",
    "lstm_attention",
    "anomaly_transformer",
    "sensitive_mamba",
)


#: Columns repeated beside the related systems, for reference.
RELATED_REFERENCE = ("hepa", "hepa_random", "mae", "rsf")


#: Row order and display names of the datasets.
DATASETS = {
    "fd001": "C-MAPSS FD001",
    "fd002": "C-MAPSS FD002",
    "fd002-regime": "FD002, per-regime norm.",
    "fd001-rtf": "FD001, held-out run-to-failure",
    "smap": "SMAP",
    "msl": "MSL",
    "mba": "MBA",
    "batadal": "BATADAL",
    "gecco": "GECCO",
    "tep": "TEP",
    "ettm1": "ETTm1",
    "weather": "Weather",
    "beijing": "Beijing-AQ",
    "vix": "VIX",
}


def load(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def group(records, key) -> dict:
    """(dataset, fraction, method) -> list of key values, latest record per seed."""
    latest = {}
    for r in records:  # later records of the same run replace earlier ones
        latest[(r["dataset"], r["label_fraction"], r["method"], r["seed"])] = r
    out = defaultdict(list)
    for (d, f, m, _), r in sorted(latest.items(), key=lambda kv: kv[0][3]):
        v = r.get(key)
        if v is not None and not (isinstance(v, float) and np.isnan(v)):
            out[(d, f, m)].append(v)
    return out


def fmt(values, digits=3, bold=False) -> str:
    if not values:
        return "–"
    mean = float(np.mean(values))
    s = f"{mean:.{digits}f}"
    if len(values) > 1:
        s += f" ± {float(np.std(values, ddof=1)):.{digits}f}"
    s += f" ({len(values)})" if len(values) != 3 else ""
    return f"**{s}**" if bold else s


def present(records, *, related=False) -> dict:
    """The methods of METHODS that have a record, in column order.

    The main tables hold the package's own methods; ``related=True`` gives the
    related systems with ``RELATED_REFERENCE`` beside them.
    """
    have = {r["method"] for r in records}
    keep = (
        (lambda m: m in RELATED_NAMES or m in RELATED_REFERENCE)
        if related
        else (lambda m: m not in RELATED_NAMES)
    )
    return {m: name for m, name in METHODS.items() if m in have and keep(m)}


def dataset_rows(records) -> dict:
    """Row order and names: DATASETS, then any other dataset with a record (by key)."""
    extra = sorted({r["dataset"] for r in records} - set(DATASETS))
    return {**DATASETS, **{d: d for d in extra}}


def diff(a, b, digits=3) -> str:
    """Difference of the means of two cells, or – when either is empty."""
    if not a or not b:
        return "–"
    return f"{float(np.mean(a)) - float(np.mean(b)):+.{digits}f}"
