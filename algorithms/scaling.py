"""Scaling raw influence (a probability vector) to 0-100 scores.

Every method works on the *relative* influence ``x = ln(influence * n)`` (0 = the uniform share),
so a calibration fitted on one snapshot can be applied to another of a different size and the
scores stay comparable. Every method is monotone (more influence never scores lower) and gives
tied users equal scores.

Methods
-------
``klout`` (default)
    Anchored like Klout's score: the median user scores exactly 40 and the 95th-percentile user
    exactly 63. Between them the score is linear in ``x`` (a log-magnitude scale) with slope
    ``k = 23 / (x95 - x50)``. Above the 95th percentile the top 5 % are spread linearly in
    log-magnitude from 63 to 98, the score of the most influential user of the calibration
    snapshot (at ``xtop``), so the top is ordered by real influence, not squeezed against 100.
    Beyond ``xtop`` (a bigger star in a later snapshot scored with this calibration) the score
    bends smoothly towards 100 without reaching it: ``98 + 2 * (1 - exp(-s (x - xtop) / 2))``,
    ``s`` being the slope below ``xtop``. Below the median the score bends smoothly towards 0:
    ``40 * exp(k (x - x50) / 40)``. If the median and 95th percentile coincide (more than 45 % of
    users tied), ``k = 23 / ln 10``: a user ten times the median share scores 63.
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from graph_influence.errors import CalibrationError

__all__ = [
    "KLOUT_MEDIAN",
    "KLOUT_P95",
    "KLOUT_TOP",
    "SCALES",
    "TWEEPCRED_A",
    "TWEEPCRED_B",
    "Calibration",
    "apply_calibration",
    "fit_calibration",
    "relative_log_influence",
    "scale_scores",
]

SCALES: tuple[str, ...] = ("klout", "percentile", "log", "tweepcred")
KLOUT_MEDIAN = 40.0
KLOUT_P95 = 63.0
KLOUT_TOP = 98.0
TWEEPCRED_A = 130.0
TWEEPCRED_B = 5.21
_N_QUANTILES = 1001
_FLOOR = 1e-300  # keeps ln finite for users with zero influence


@dataclass(frozen=True)
class Calibration:
    """The fitted constants of a scale, saveable to JSON and reusable on another snapshot.

    Attributes
    ----------
    method : str
        One of :data:`SCALES`.
    params : dict
        The method's constants (``x50``, ``x95``, ``k`` for klout; ``quantiles`` for percentile;
        ``xmin``, ``xmax`` for log; ``a``, ``b`` for tweepcred).
    fitted_on : dict
        What it was fitted on (number of users), for the record.
    """

    method: str
    params: dict = field(default_factory=dict)
    fitted_on: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"version": 1, **asdict(self)}, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        try:
            obj = json.loads(text)
            cal = cls(obj["method"], dict(obj["params"]), dict(obj.get("fitted_on", {})))
        except (ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"not a graph-influence calibration: {exc}") from exc
        if cal.method not in SCALES:
            raise CalibrationError(f"unknown scale {cal.method!r} in calibration")
        return cal

    def save(self, path: str | Path) -> None:
        """Write the calibration to ``path`` as JSON."""
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read a calibration written by :meth:`save`."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CalibrationError(f"cannot read calibration file {path}: {exc.strerror}") from exc
        return cls.from_json(text)


def relative_log_influence(influence: np.ndarray) -> np.ndarray:
    """``ln(influence * n)``: 0 for a user holding exactly the uniform share ``1/n``."""
    r = np.asarray(influence, dtype=np.float64)
    return np.log(np.maximum(r, _FLOOR) * max(len(r), 1))


def _quantile(x: np.ndarray, q: float) -> float:
    # inverted_cdf returns a value some user really has: that user scores exactly the anchor.
    return float(np.quantile(x, q, method="inverted_cdf"))


def fit_calibration(influence: np.ndarray, method: str = "klout") -> Calibration:
    """Fit the constants of ``method`` to an influence vector.

    Parameters
    ----------
    influence : numpy.ndarray
        Raw influence (a probability vector).
    method : {"klout", "percentile", "log", "tweepcred"}, optional
        The scale (default ``"klout"``).

    Returns
    -------
    Calibration
    """
    if method not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {method!r}")
    x = relative_log_influence(influence)
    fitted_on = {"n_users": int(len(x))}
    if method == "tweepcred":
        return Calibration(method, {"a": TWEEPCRED_A, "b": TWEEPCRED_B}, fitted_on)
    if len(x) == 0:
        raise ValueError("cannot calibrate a scale on zero users")
    if method == "klout":
        x50, x95 = _quantile(x, 0.5), _quantile(x, 0.95)
        if x95 - x50 <= 1e-12:  # more than 45 % tied at the median: 63 at ten times its share
            x95 = x50 + float(np.log(10.0))
        k = (KLOUT_P95 - KLOUT_MEDIAN) / (x95 - x50)
        xtop = float(x.max())
        if xtop - x95 <= 1e-12:  # the 95th percentile user is the top: continue slope k
            xtop = x95 + (KLOUT_TOP - KLOUT_P95) / k
        return Calibration(
            method, {"x50": x50, "x95": x95, "k": float(k), "xtop": xtop}, fitted_on
        )
    if method == "log":
        return Calibration(method, {"xmin": float(x.min()), "xmax": float(x.max())}, fitted_on)
    levels = np.linspace(0.0, 1.0, _N_QUANTILES)
    quantiles = np.quantile(x, levels, method="inverted_cdf")
    return Calibration(method, {"quantiles": [float(v) for v in quantiles]}, fitted_on)


def apply_calibration(influence: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Scores in [0, 100] for ``influence`` under a (possibly foreign) calibration.

    Parameters
    ----------
    influence : numpy.ndarray
        Raw influence (a probability vector).
    calibration : Calibration
        From :func:`fit_calibration`, possibly on another snapshot.

    Returns
    -------
    numpy.ndarray
        One score per user.
    """
    x = relative_log_influence(influence)
    p = calibration.params
    try:
        if calibration.method == "klout":
            x50, x95, k, xtop = (float(p[key]) for key in ("x50", "x95", "k", "xtop"))
            slope = (KLOUT_TOP - KLOUT_P95) / (xtop - x95)
            head = 100.0 - KLOUT_TOP
            beyond = KLOUT_TOP + head * -np.expm1(-slope * np.maximum(x - xtop, 0.0) / head)
            top = KLOUT_P95 + slope * (x - x95)
            mid = KLOUT_MEDIAN + k * (x - x50)
            low = KLOUT_MEDIAN * np.exp(np.minimum(k * (x - x50) / KLOUT_MEDIAN, 0.0))
            scores = np.where(
                x > xtop, beyond, np.where(x >= x95, top, np.where(x >= x50, mid, low))
            )
            # x95 == x50 (degenerate spread): ``mid`` is never used between the anchors.
            return np.clip(scores, 0.0, 100.0)
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
    influence: np.ndarray, method: str = "klout", calibration: Calibration | None = None
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
        calibration = fit_calibration(influence, method)
        if method == "percentile":
            n = len(influence)
            if n == 1:
                return np.full(1, 100.0), calibration
            ranks = rankdata(relative_log_influence(influence), method="average")
            return 100.0 * (ranks - 1.0) / (n - 1), calibration
    return apply_calibration(influence, calibration), calibration
