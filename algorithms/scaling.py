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
    those hold the least influence, so the scale stays monotone in influence). If the median
    and 95th percentile coincide (more than 45 % of the attended users tied),
    ``k = 23 / ln 10``: a user ten times the median share scores 63.
    Without an attention mask (``attended=None``: topic scales, calibrations saved before the
    floor existed) there is no floor: every user counts as attended and ``f = 0``.
``percentile``
    100 × (average rank − 1) / (n − 1), ties sharing their average rank; on reuse, the position
    of ``x`` among the reference snapshot's 1001 quantiles.
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
from scipy.stats import rankdata

from graph_influence.errors import CalibrationError

__all__ = [
    "KLOUT_FLOOR",
    "KLOUT_MEDIAN",
    "KLOUT_P95",
    "KLOUT_TOP",
    "SCALES",
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
#: Calibration files this module writes (2: klout may carry a ``floor``) and can read.
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
        attention mask, ``floor`` for klout; ``quantiles`` for percentile; ``xmin``, ``xmax``
        for log; ``a``, ``b`` for tweepcred). A klout calibration without ``floor`` (files
        written before version 2) scores everyone on its curve, bending towards 0, exactly as
        it did when it was saved.
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
    if method not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {method!r}")
    x = relative_log_influence(influence)
    mask = _check_attended(attended, x)
    fitted_on = {"n_users": int(len(x))}
    if mask is not None:
        fitted_on["n_attended"] = int(mask.sum())
    if method == "tweepcred":
        return Calibration(method, {"a": TWEEPCRED_A, "b": TWEEPCRED_B}, fitted_on)
    if len(x) == 0:
        raise ValueError("cannot calibrate a scale on zero users")
    if method == "klout":
        # Anchors on the attended users (all users when no one or every one is attended).
        ref = x[mask] if mask is not None and mask.any() else x
        x50, x95 = _quantile(ref, 0.5), _quantile(ref, 0.95)
        if x95 - x50 <= 1e-12:  # more than 45 % tied at the median: 63 at ten times its share
            x95 = x50 + float(np.log(10.0))
        k = (KLOUT_P95 - KLOUT_MEDIAN) / (x95 - x50)
        xtop = float(ref.max())
        if xtop - x95 <= 1e-12:  # the 95th percentile user is the top: continue slope k
            xtop = x95 + (KLOUT_TOP - KLOUT_P95) / k
        params = {"x50": x50, "x95": x95, "k": float(k), "xtop": xtop}
        if mask is not None:
            params["floor"] = KLOUT_FLOOR
        return Calibration(method, params, fitted_on)
    if method == "log":
        return Calibration(method, {"xmin": float(x.min()), "xmax": float(x.max())}, fitted_on)
    levels = np.linspace(0.0, 1.0, _N_QUANTILES)
    quantiles = np.quantile(x, levels, method="inverted_cdf")
    return Calibration(method, {"quantiles": [float(v) for v in quantiles]}, fitted_on)


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
    Two users nobody paid attention to, both at the floor, and three who were noticed:

    >>> import numpy as np
    >>> r = np.array([0.1, 0.1, 0.15, 0.25, 0.4])
    >>> seen = r > 0.1
    >>> cal = fit_calibration(r, attended=seen)
    >>> np.round(apply_calibration(r, cal, attended=seen), 1).tolist()
    [10.0, 10.0, 23.0, 40.0, 63.0]
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
            q = np.asarray(p["quantiles"], dtype=np.float64)
            left = np.searchsorted(q, x, side="left")
            right = np.searchsorted(q, x, side="right")
            pos = (left + right) / 2.0 - 0.5
            return np.clip(100.0 * pos / (len(q) - 1), 0.0, 100.0)
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
        calibration = fit_calibration(influence, method, attended=attended)
        if method == "percentile":
            n = len(influence)
            if n == 1:
                return np.full(1, 100.0), calibration
            ranks = rankdata(relative_log_influence(influence), method="average")
            return 100.0 * (ranks - 1.0) / (n - 1), calibration
    return apply_calibration(influence, calibration, attended=attended), calibration
