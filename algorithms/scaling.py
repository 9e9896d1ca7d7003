"""Scaling raw influence (a probability vector) to 0-100 scores.

Every method works on the *relative* influence ``x = ln(influence * n)`` (0 = the uniform share),
so a calibration fitted on one snapshot can be applied to another of a different size and the
scores stay comparable. Every method is monotone (more influence never scores lower) and gives
tied users equal scores.

Methods
-------
``klout`` (default)
    Users who received **no attention** (in-strength 0 in the attention graph that was scored,
    see :func:`received_attention`) get the floor, ``KLOUT_FLOOR`` = 10, as Klout gave accounts
    without engagement. The anchors are fitted on the others, the *attended* users: the median
    attended user scores exactly 40 and the 95th-percentile attended user exactly 63. Between
    them the score is linear in ``x`` (a log-magnitude scale) with slope
    ``k = 23 / (x95 - x50)``. Above the 95th percentile the top 5 % are spread linearly in
    log-magnitude from 63 to 98, the score of the most influential user of the calibration
    snapshot (at ``xtop``), so the top is ordered by real influence, not squeezed against 100.
    Beyond ``xtop`` (a bigger star in a later snapshot scored with this calibration) the score
    bends smoothly towards 100 without reaching it: ``98 + 2 * (1 - exp(-s (x - xtop) / 2))``,
    ``s`` being the slope below ``xtop``. Below the median the score bends smoothly towards the
    floor ``f`` without reaching it: ``f + (40 - f) * exp(k (x - x50) / (40 - f))``, so an
    attended user always scores above every user without attention (under uniform teleport
    those hold the least influence, so the scale stays monotone in influence).
    Where the anchors' users coincide (values within :data:`TIE_TOLERANCE` are the same value):

    * the 95th-percentile value is the median's (more than 45 % of the attended users tied at
      the median): 63 goes to the lowest value above the median's tie block;
    * the 95th-percentile value is the top one (fewer than 20 attended users, or at least 5 %
      of them tied at the top): 63 goes to the highest value below the top's tie block, so the
      top still scores 98; with no value strictly between the median and the top, no user
      scores 63 and the score is linear from 40 at the median to 98 at the top
      (``x95 = x50 + 23/58 (xtop - x50)``);
    * the median value is the top one (a single attended user, or more than half of them tied
      at the top): those users score 40, nobody 63 or 98 (``k = 23 / ln 10``: a user ten times
      the median share would score 63).

    Without an attention mask (``attended=None``: topic scales, calibrations saved before the
    floor existed) there is no floor: every user counts as attended and ``f = 0``.
``percentile``
    100 × (average rank − 1) / (n − 1), ties sharing their average rank, values within
    :data:`TIE_TOLERANCE` of each other counting as tied. On reuse, ``x`` is placed among the
    reference snapshot's 1001 quantiles: a value within :data:`TIE_TOLERANCE` of a quantile
    scores exactly what that quantile's users scored when the calibration was fitted (a tied
    block, however many quantiles it spans, keeps its one score), a value between two
    quantiles scores halfway between the last rank of the lower and the first rank of the
    upper one, below the least 0 and above the most 100.
``log``
    Min-max of ``x``: 0 for the least, 100 for the most influential (clipped on reuse).
``tweepcred``
    ``a + b · ln(influence)`` clipped to [0, 100], with Twitter's TweepCred constants
    ``a = 130``, ``b = 5.21`` (the raw probability, not ``x``, as TweepCred did).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from graph_influence.errors import CalibrationError

__all__ = [
    "KLOUT_FLOOR",
    "KLOUT_MEDIAN",
    "KLOUT_P95",
    "KLOUT_TOP",
    "SCALES",
    "TIE_TOLERANCE",
    "TWEEPCRED_A",
    "TWEEPCRED_B",
    "Calibration",
    "apply_calibration",
    "fit_calibration",
    "received_attention",
    "relative_log_influence",
    "scale_scores",
]

SCALES: tuple[str, ...] = ("klout", "percentile", "log", "tweepcred")
#: Klout score of a user who received no attention (Klout gave such accounts about 10).
KLOUT_FLOOR = 10.0
KLOUT_MEDIAN = 40.0
KLOUT_P95 = 63.0
KLOUT_TOP = 98.0
TWEEPCRED_A = 130.0
TWEEPCRED_B = 5.21
_N_QUANTILES = 1001
_FLOOR = 1e-300  # keeps ln finite for users with zero influence
#: Two relative influences ``x`` closer than this are the same value (a tie) for the scales:
#: influences within a relative 1e-9 of each other, far below PageRank's own precision, so
#: floating-point noise (a copy of the snapshot, another summation order) cannot split a tie.
TIE_TOLERANCE = 1e-9
#: Calibration files this module writes (2: klout may carry a ``floor``, percentile the ranks
#: of its quantiles' users, ``n`` and ``ranks``) and can read.
CALIBRATION_VERSION = 2


@dataclass(frozen=True)
class Calibration:
    """The fitted constants of a scale, saveable to JSON and reusable on another snapshot.

    Attributes
    ----------
    method : str
        One of :data:`SCALES`.
    params : dict
        The method's constants (``x50``, ``x95``, ``k``, ``xtop`` and, when fitted with an
        attention mask, ``floor`` for klout; ``quantiles`` and, since the tie rule, ``n`` and
        ``ranks`` for percentile; ``xmin``, ``xmax`` for log; ``a``, ``b`` for tweepcred).
        A percentile calibration without ``ranks`` (saved before the tie rule) places a
        value among its quantiles' own positions, as it did. A klout calibration without
        ``floor`` (files written before version 2) scores everyone on its curve, bending
        towards 0, exactly as it did when it was saved.
    fitted_on : dict
        What it was fitted on (``n_users``; ``n_attended`` when fitted with a mask), for the
        record.
    """

    method: str
    params: dict = field(default_factory=dict)
    fitted_on: dict = field(default_factory=dict)

    @property
    def floor(self) -> float | None:
        """The score of users who received no attention, or None when this scale has none."""
        value = self.params.get("floor") if self.method == "klout" else None
        return None if value is None else float(value)

    def to_json(self) -> str:
        return json.dumps({"version": CALIBRATION_VERSION, **asdict(self)}, indent=2,
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        try:
            obj = json.loads(text)
            version = obj.get("version", 1)
            cal = cls(obj["method"], dict(obj["params"]), dict(obj.get("fitted_on", {})))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CalibrationError(f"not a graph-influence calibration: {exc}") from exc
        if not isinstance(version, int) or version > CALIBRATION_VERSION:
            raise CalibrationError(
                f"calibration version {version!r} is newer than this graph-influence reads "
                f"(up to {CALIBRATION_VERSION}): upgrade graph-influence or refit it")
        if cal.method not in SCALES:
            raise CalibrationError(f"unknown scale {cal.method!r} in calibration")
        floor = cal.params.get("floor") if cal.method == "klout" else None
        number = isinstance(floor, int | float) and not isinstance(floor, bool)
        if floor is not None and not (number and 0.0 <= floor < KLOUT_MEDIAN):
            raise CalibrationError(
                f"calibration floor must be a number in [0, {KLOUT_MEDIAN:g}), not {floor!r}")
        return cal

    @staticmethod
    def check_can_save(path: str | Path, *, store_url: str | os.PathLike | None = None,
                       inputs: tuple[str | os.PathLike, ...] = ()) -> None:
        """Raise :class:`CalibrationError` unless :meth:`save` could write ``path``.

        Checked before an analysis starts, so a typo in the path costs no computation; the
        store (``store_url``) and the ``inputs`` are refused
        (:func:`graph_influence.outputs.check_output`).
        """
        from graph_influence.errors import OutputError
        from graph_influence.outputs import check_output

        try:
            check_output(path, store_url=store_url, inputs=inputs,
                         what="save the calibration to")
        except OutputError as exc:
            raise CalibrationError(str(exc)) from None

    def save(self, path: str | Path) -> None:
        """Write the calibration to ``path`` as JSON."""
        try:
            Path(path).write_text(self.to_json() + "\n", encoding="utf-8")
        except OSError as exc:
            raise CalibrationError(
                f"cannot save the calibration to {path}: {exc.strerror}") from exc

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read a calibration written by :meth:`save`."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CalibrationError(f"cannot read calibration file {path}: {exc.strerror}") from exc
        return cls.from_json(text)


def received_attention(adjacency) -> np.ndarray:
    """Which users received attention: in-strength > 0 in the attention adjacency.

    A user received no attention when nobody follows them and no interaction with a decayed,
    type-weighted weight > 0 is aimed at them in the graph that is scored (self-loops never
    count, events after the as-of time do not exist yet, a type weighted 0 or a follow weight 0
    gives no attention). Under uniform teleport these are exactly the users holding the least
    influence (the teleport and dangling share, nothing else), all tied.

    Parameters
    ----------
    adjacency : scipy.sparse array or matrix
        The attention adjacency ``A[u, v]`` (credit flows from u to v), non-negative.

    Returns
    -------
    numpy.ndarray of bool
        ``True`` for users with in-strength > 0 (column sums of ``A``).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> a = sp.csr_array(([1.0, 0.5], ([0, 1], [1, 2])), shape=(4, 4))
    >>> received_attention(a).tolist()
    [False, True, True, False]
    """
    in_strength = np.asarray(adjacency.sum(axis=0), dtype=np.float64).ravel()
    return in_strength > 0


def relative_log_influence(influence: np.ndarray) -> np.ndarray:
    """``ln(influence * n)``: 0 for a user holding exactly the uniform share ``1/n``."""
    r = np.asarray(influence, dtype=np.float64)
    return np.log(np.maximum(r, _FLOOR) * max(len(r), 1))


def _quantile(x: np.ndarray, q: float) -> float:
    # inverted_cdf returns a value some user really has: that user scores exactly the anchor.
    return float(np.quantile(x, q, method="inverted_cdf"))


def _check_attended(attended: np.ndarray | None, x: np.ndarray) -> np.ndarray | None:
    """The attention mask as booleans, checked against the relative influence ``x``."""
    if attended is None:
        return None
    mask = np.asarray(attended)
    if mask.shape != x.shape or mask.dtype != np.bool_:
        raise ValueError(f"attended must be one boolean per user ({len(x)}), not "
                         f"{mask.dtype} of shape {mask.shape}")
    if mask.any() and not mask.all() and x[mask].min() < x[~mask].max():
        # Under uniform teleport a user without attention holds the least influence; a mask
        # that says otherwise would make the floor outscore more influential users.
        raise ValueError("attended: a user without attention holds more influence than an "
                         "attended one (the floor needs uniform teleport)")
    return mask


def _tie_blocks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sort ``x`` into tie blocks (neighbours within :data:`TIE_TOLERANCE` chain into one).

    Returns
    -------
    order : numpy.ndarray
        The stable sort order of ``x``.
    heads, tails : numpy.ndarray
        The first and last sorted position (0-based) of each block, in increasing order.
    block : numpy.ndarray
        The block of each sorted position.
    """
    order = np.argsort(x, kind="stable")
    new = np.diff(x[order]) > TIE_TOLERANCE
    heads = np.flatnonzero(np.concatenate(([True], new)))
    tails = np.concatenate((heads[1:], [len(x)])) - 1
    block = np.concatenate(([0], np.cumsum(new)))
    return order, heads, tails, block


def _percentile_of(first, last, n: int) -> np.ndarray:
    """``100 * mean(first, last) / (n - 1)``: the percentile of sorted positions first..last.

    The same arithmetic as ``100 * (average rank - 1) / (n - 1)``, so a tie block scores bit
    for bit the same when it is fitted and when its calibration is reused.
    """
    mid = (np.asarray(first, dtype=np.float64) + np.asarray(last, dtype=np.float64)) / 2.0
    return np.full(mid.shape, 100.0) if n <= 1 else 100.0 * mid / (n - 1)


def _fit_percentile(x: np.ndarray) -> tuple[dict, np.ndarray]:
    """The percentile calibration of ``x`` and the users' scores (their tie block's percentile).

    ``params``: the 1001 inverted-CDF quantiles (every value of a tie block replaced by the
    block's least), ``n`` and, per quantile, ``ranks`` = [first, last] sorted position of the
    quantile's tie block, from which :func:`apply_calibration` gives that block exactly the
    score it has here.
    """
    n = len(x)
    order, heads, tails, block = _tie_blocks(x)
    values = x[order][heads]  # each block's least value, strictly increasing
    scores = np.empty(n)
    scores[order] = _percentile_of(heads[block], tails[block], n)
    levels = np.linspace(0.0, 1.0, _N_QUANTILES)
    quantiles = np.quantile(values[block], levels, method="inverted_cdf")
    which = np.searchsorted(values, quantiles)  # exact: every quantile is a block's value
    params = {"quantiles": [float(v) for v in quantiles], "n": int(n),
              "ranks": [[int(f), int(t)] for f, t in zip(heads[which], tails[which],
                                                           strict=True)]}
    return params, scores


def _klout_anchors(ref: np.ndarray) -> dict:
    """``x50``, ``x95``, ``k`` and ``xtop`` of the klout scale fitted on ``ref`` (attended x)."""
    tol = TIE_TOLERANCE
    x50, x95, xtop = _quantile(ref, 0.5), _quantile(ref, 0.95), float(ref.max())
    if xtop - x50 <= tol:  # the median user is the top one: 63 at ten times its share
        x95 = x50 + float(np.log(10.0))
        k = (KLOUT_P95 - KLOUT_MEDIAN) / (x95 - x50)
        return {"x50": x50, "x95": x95, "k": float(k),
                "xtop": x95 + (KLOUT_TOP - KLOUT_P95) / k}
    if x95 - x50 <= tol:  # over 45 % tied at the median: 63 for the next value above them
        x95 = float(ref[ref > x50 + tol].min())
    if xtop - x95 <= tol:  # the 95th percentile is the top (< 20 users, or >= 5 % tied there)
        inner = ref[(ref > x50 + tol) & (ref < xtop - tol)]
        x95 = (float(inner.max()) if inner.size else  # 63 for the value below the top
               x50 + (KLOUT_P95 - KLOUT_MEDIAN) / (KLOUT_TOP - KLOUT_MEDIAN) * (xtop - x50))
    k = (KLOUT_P95 - KLOUT_MEDIAN) / (x95 - x50)
    return {"x50": x50, "x95": x95, "k": float(k), "xtop": xtop}


def _fit(influence: np.ndarray, method: str,
         attended: np.ndarray | None) -> tuple[Calibration, np.ndarray | None]:
    """:func:`fit_calibration`, and the fitted percentile scores (None for other methods)."""
    if method not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {method!r}")
    x = relative_log_influence(influence)
    mask = _check_attended(attended, x)
    fitted_on = {"n_users": int(len(x))}
    if mask is not None:
        fitted_on["n_attended"] = int(mask.sum())
    if method == "tweepcred":
        return Calibration(method, {"a": TWEEPCRED_A, "b": TWEEPCRED_B}, fitted_on), None
    if len(x) == 0:
        raise ValueError("cannot calibrate a scale on zero users")
    if method == "klout":
        # Anchors on the attended users (all users when no one or every one is attended).
        params = _klout_anchors(x[mask] if mask is not None and mask.any() else x)
        if mask is not None:
            params["floor"] = KLOUT_FLOOR
        return Calibration(method, params, fitted_on), None
    if method == "log":
        params = {"xmin": float(x.min()), "xmax": float(x.max())}
        return Calibration(method, params, fitted_on), None
    params, scores = _fit_percentile(x)
    return Calibration(method, params, fitted_on), scores


def fit_calibration(
    influence: np.ndarray, method: str = "klout", *, attended: np.ndarray | None = None
) -> Calibration:
    """Fit the constants of ``method`` to an influence vector.

    Parameters
    ----------
    influence : numpy.ndarray
        Raw influence (a probability vector).
    method : {"klout", "percentile", "log", "tweepcred"}, optional
        The scale (default ``"klout"``).
    attended : numpy.ndarray of bool, optional
        Which users received attention (:func:`received_attention`). Given, the klout anchors
        are fitted on the attended users only and the calibration carries the floor
        (``params["floor"] = KLOUT_FLOOR``); the other scales ignore it. Default: no floor,
        every user counts as attended.

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        If ``method`` is unknown, there are no users, or ``attended`` does not fit.
    """
    return _fit(influence, method, attended)[0]


def _percentile(x: np.ndarray, p: dict) -> np.ndarray:
    """Scores of ``x`` under a percentile calibration (see the module docstring)."""
    q = np.asarray(p["quantiles"], dtype=np.float64)
    if q.ndim != 1 or q.size == 0 or not np.isfinite(q).all() or (np.diff(q) < 0).any():
        raise ValueError("quantiles must be a non-empty, non-decreasing list of numbers")
    if "ranks" in p:
        n = p["n"]
        ranks = np.asarray(p["ranks"])
        if (not isinstance(n, int) or isinstance(n, bool) or n < 1
                or ranks.shape != (q.size, 2) or ranks.dtype.kind not in "iu"
                or ranks.min() < 0 or ranks.max() >= n or (ranks[:, 0] > ranks[:, 1]).any()
                or (np.diff(ranks, axis=0) < 0).any()):
            raise ValueError("n and ranks must be a user count and, per quantile, a "
                             "non-decreasing [first, last] sorted position below it")
    else:  # saved before the tie rule: the quantiles' own positions among the quantiles
        n = q.size
        ranks = np.repeat(np.arange(n)[:, None], 2, axis=1)
    new = np.diff(q) > TIE_TOLERANCE
    heads = np.flatnonzero(np.concatenate(([True], new)))  # the quantiles' tie blocks
    tails = np.concatenate((heads[1:], [q.size])) - 1
    first, last = ranks[heads, 0], ranks[tails, 1]
    below = np.searchsorted(q[heads], x + TIE_TOLERANCE, side="right") - 1
    block = np.maximum(below, 0)
    tied = (below >= 0) & (x <= q[tails][block] + TIE_TOLERANCE)
    above = np.minimum(below + 1, heads.size - 1)
    scores = np.where(tied, _percentile_of(first[block], last[block], n),
                      _percentile_of(last[block], first[above], n))
    scores[~tied & (below < 0)] = 0.0
    scores[~tied & (below == heads.size - 1)] = 100.0
    return scores


def _klout(x: np.ndarray, p: dict, mask: np.ndarray | None) -> np.ndarray:
    x50, x95, k, xtop = (float(p[key]) for key in ("x50", "x95", "k", "xtop"))
    floor = p.get("floor")
    f = 0.0 if floor is None else float(floor)
    if not 0.0 <= f < KLOUT_MEDIAN:
        raise ValueError(f"floor must be in [0, {KLOUT_MEDIAN:g}), not {floor!r}")
    slope = (KLOUT_TOP - KLOUT_P95) / (xtop - x95)
    head = 100.0 - KLOUT_TOP
    beyond = KLOUT_TOP + head * -np.expm1(-slope * np.maximum(x - xtop, 0.0) / head)
    top = KLOUT_P95 + slope * (x - x95)
    mid = KLOUT_MEDIAN + k * (x - x50)
    span = KLOUT_MEDIAN - f  # f = 0 (no floor): 40 * exp(k (x - x50) / 40), as before floors
    low = f + span * np.exp(np.minimum(k * (x - x50) / span, 0.0))
    scores = np.where(x > xtop, beyond, np.where(x >= x95, top, np.where(x >= x50, mid, low)))
    # x95 == x50 (degenerate spread): ``mid`` is never used between the anchors.
    if floor is not None and mask is not None:
        scores[~mask] = f
    return scores


def apply_calibration(
    influence: np.ndarray, calibration: Calibration, *, attended: np.ndarray | None = None
) -> np.ndarray:
    """Scores in [0, 100] for ``influence`` under a (possibly foreign) calibration.

    Parameters
    ----------
    influence : numpy.ndarray
        Raw influence (a probability vector).
    calibration : Calibration
        From :func:`fit_calibration`, possibly on another snapshot.
    attended : numpy.ndarray of bool, optional
        Which users received attention in *this* snapshot (:func:`received_attention`). A
        klout calibration with a floor gives the others the floor; one without a floor (a
        file saved before version 2) and the other scales ignore it. Default: every user
        counts as attended.

    Returns
    -------
    numpy.ndarray
        One score per user.

    Examples
    --------
    Two users nobody paid attention to, both at the floor, and three who were noticed: the
    median scores 40 and the top 98 (with nobody between them, nobody scores 63):

    >>> import numpy as np
    >>> r = np.array([0.1, 0.1, 0.15, 0.25, 0.4])
    >>> seen = r > 0.1
    >>> cal = fit_calibration(r, attended=seen)
    >>> np.round(apply_calibration(r, cal, attended=seen), 1).tolist()
    [10.0, 10.0, 13.7, 40.0, 98.0]
    """
    x = relative_log_influence(influence)
    mask = _check_attended(attended, x)
    p = calibration.params
    try:
        if calibration.method == "klout":
            return np.clip(_klout(x, p, mask), 0.0, 100.0)
        if calibration.method == "log":
            lo, hi = float(p["xmin"]), float(p["xmax"])
            if hi - lo <= 1e-12:
                return np.full(len(x), 50.0)
            return np.clip(100.0 * (x - lo) / (hi - lo), 0.0, 100.0)
        if calibration.method == "tweepcred":
            r = np.maximum(np.asarray(influence, dtype=np.float64), _FLOOR)
            return np.clip(float(p["a"]) + float(p["b"]) * np.log(r), 0.0, 100.0)
        if calibration.method == "percentile":
            return np.clip(_percentile(x, p), 0.0, 100.0)
    except (KeyError, TypeError, ValueError) as exc:
        raise CalibrationError(
            f"calibration for {calibration.method!r} is incomplete: {exc}"
        ) from exc
    raise CalibrationError(f"unknown scale {calibration.method!r}")


def scale_scores(
    influence: np.ndarray,
    method: str = "klout",
    calibration: Calibration | None = None,
    *,
    attended: np.ndarray | None = None,
) -> tuple[np.ndarray, Calibration]:
    """Scale influence to 0-100, fitting a calibration unless one is given.

    Parameters
    ----------
    influence : numpy.ndarray
        Raw influence (a probability vector).
    method : {"klout", "percentile", "log", "tweepcred"}, optional
        The scale, used when ``calibration`` is None (default ``"klout"``).
    calibration : Calibration, optional
        A calibration to reuse (for instance from an earlier snapshot).
    attended : numpy.ndarray of bool, optional
        Which users received attention (:func:`received_attention`): the klout scale puts the
        others at its floor and fits its anchors on these. Default: every user counts as
        attended (no floor).

    Returns
    -------
    (scores, calibration)

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([0.1, 0.1, 0.2, 0.6])
    >>> scores, cal = scale_scores(r, "percentile")
    >>> np.round(scores, 2).tolist()
    [16.67, 16.67, 66.67, 100.0]
    """
    if calibration is None:
        calibration, fitted = _fit(influence, method, attended)
        if fitted is not None:  # percentile: the exact ranks, not the 1001 quantiles
            return fitted, calibration
    return apply_calibration(influence, calibration, attended=attended), calibration
