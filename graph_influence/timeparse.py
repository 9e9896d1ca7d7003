"""Parsing the time options of the CLI: durations (``30d``) and instants (``2012-07-04``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from graph_influence.errors import GraphInfluenceError

__all__ = ["format_duration", "parse_duration", "parse_instant"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdwy]?)\s*$", re.IGNORECASE)


def parse_duration(text: str | float | None) -> float | None:
    """Seconds in a duration such as ``30d``, ``12h``, ``90m``, ``3600`` or ``3600s``.

    ``none``, ``off`` or ``inf`` (and ``None``) mean no decay and return ``None``.

    Examples
    --------
    >>> parse_duration("30d")
    2592000.0
    >>> parse_duration("none") is None
    True
    """
    if text is None:
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        if text.strip().lower() in ("none", "off", "inf", "never"):
            return None
        m = _DURATION.match(text)
        if not m:
            raise GraphInfluenceError(
                f"cannot read duration {text!r} — use a number and a unit such as 30d, 12h, "
                "90m, 3600s, or 'none' for no decay"
            )
        value = float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()]
    if value <= 0:
        raise GraphInfluenceError(f"a half-life must be > 0, not {text!r}")
    return value


def format_duration(seconds: float | None) -> str:
    """Inverse of :func:`parse_duration` for display (``2592000`` -> ``30d``)."""
    if seconds is None:
        return "none"
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def parse_instant(text: str | datetime | None) -> datetime | None:
    """A UTC datetime from ISO-8601 (``2012-07-04``, ``2012-07-04T12:00:00Z``) or epoch seconds.

    Returns a naive datetime in UTC (the stores keep UTC without a zone).
    """
    if text is None or isinstance(text, datetime):
        if isinstance(text, datetime) and text.tzinfo is not None:
            return text.astimezone(UTC).replace(tzinfo=None)
        return text
    s = text.strip()
    try:
        return datetime.fromtimestamp(float(s), tz=UTC).replace(tzinfo=None)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphInfluenceError(
            f"cannot read time {text!r} — use ISO-8601 (2012-07-04 or 2012-07-04T12:00:00Z) "
            "or epoch seconds"
        ) from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt
