"""A scikit-learn Pipeline that knows ``predict_surface``.

``sklearn.pipeline.Pipeline`` forwards only the methods it knows, so
``Pipeline([("encode", HEPAPretrainer()), ("events", HEPAEventPredictor())])``
has no ``predict_surface``. :class:`SurfacePipeline` adds it (and only it);
:func:`make_pipeline` builds one like sklearn's ``make_pipeline``.
"""

from __future__ import annotations

import inspect

from sklearn.pipeline import Pipeline, _name_estimators
from sklearn.utils.metaestimators import available_if

from .encoders._base import check_rows

__all__ = ["SurfacePipeline", "make_pipeline"]


def _final_has_surface(pipeline) -> bool:
    final = pipeline._final_estimator
    return final == "passthrough" or hasattr(final, "predict_surface")


class SurfacePipeline(Pipeline):
    """``sklearn.pipeline.Pipeline`` with ``predict_surface`` of its final step.

    Everything else (fit, predict_proba, set_params, grid-search parameter
    names such as ``events__lr``, cloning, pickling) is the Pipeline's own.
    """

    @available_if(_final_has_surface)
    def predict_surface(self, X, *, rows=None, **params):
        """Transform X through the earlier steps, then the final step's ``predict_surface``.

        Parameters
        ----------
        X : input of the first step
        rows : array-like of int, optional
            Row numbers of X to score. With a single encoder before the final
            step, only those rows are embedded (their contexts still reach back
            into X); otherwise every row is transformed and the rows selected.
        **params
            Passed to the final step's ``predict_surface`` (e.g. ``batch_size``).

        Returns
        -------
        surface : ndarray of shape (n_rows or len(rows), horizons)
        """
        transforms = [t for _, _, t in self._iter(with_final=False)]
        if rows is not None and len(transforms) == 1 and hasattr(transforms[0], "transform_rows"):
            H = transforms[0].transform_rows(X, rows)
            return self._final_estimator.predict_surface(H, **params)
        Xt = X
        for transform in transforms:
            Xt = transform.transform(Xt)
        final = self._final_estimator.predict_surface
        if rows is None:
            return final(Xt, **params)
        if "rows" in inspect.signature(final).parameters:
            return final(Xt, rows=rows, **params)
        # a final step without row selection (the baselines): score all, then select
        surface = final(Xt, **params)
        return surface[check_rows(rows, len(surface))]


def make_pipeline(*steps, memory=None, verbose=False) -> SurfacePipeline:
    """Build a :class:`SurfacePipeline` from estimators, naming steps as sklearn does.

    Parameters
    ----------
    *steps : estimators
        For example ``make_pipeline(HEPAPretrainer(), HEPAEventPredictor())``:
        steps ``"hepapretrainer"`` and ``"hepaeventpredictor"``.
    memory, verbose :
        As in ``sklearn.pipeline.make_pipeline``.

    Returns
    -------
    SurfacePipeline
    """
    return SurfacePipeline(_name_estimators(steps), memory=memory, verbose=verbose)
