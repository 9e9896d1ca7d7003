"""Helpers every backend shares: load ids, the clock, the time-decay formula, and keeping
credentials out of store URLs and messages.

Light on purpose: importing this module imports nothing heavier than the standard library
(:func:`decay_weight` imports numpy when it is called).

The decay formula is written three times, once per language, and kept here side by side so that
they cannot drift apart: :data:`DECAY_SQL` (DuckDB), :data:`DECAY_CYPHER` (Neo4j) and the numpy
reference :func:`decay_weight`, which the conformance suite compares both stores against.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from graph_influence.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["BULK_MODES", "DECAY_CYPHER", "DECAY_SQL", "decay_weight", "new_load_id", "now_utc",
           "quantile_position", "redact_url", "refuse_credentials"]


#: How a load writes into a Neo4j store: ``auto`` (a bulk import when the database is empty
#: and the server is one this machine controls, else Bolt), ``always`` (bulk, or an error that
#: says why not), ``never`` (Bolt).
BULK_MODES = ("auto", "always", "never")


def now_utc() -> datetime:
    """The current time as a naive UTC datetime (how every store keeps timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_load_id() -> str:
    """A sortable, unique load id: ``YYYYmmddTHHMMSS-<8 hex>``."""
    return now_utc().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


#: The decay factor of one interaction in DuckDB SQL: column ``ts``, named parameters
#: ``$as_of`` (TIMESTAMP or NULL) and ``$half_life`` (seconds, DOUBLE or NULL).
DECAY_SQL = """CASE
    WHEN ts IS NULL OR $half_life::DOUBLE IS NULL OR $as_of::TIMESTAMP IS NULL THEN 1.0
    ELSE exp(-ln(2.0) * ((epoch_us($as_of::TIMESTAMP) - epoch_us(ts)) / 1e6)
             / $half_life::DOUBLE)
END"""

#: The same factor in Cypher: relationship ``e`` with property ``ts`` (a datetime), parameters
#: ``$as_of`` (datetime or null), ``$as_of_us`` (epoch microseconds) and ``$half_life``.
DECAY_CYPHER = """CASE
    WHEN e.ts IS NULL OR $half_life IS NULL OR $as_of IS NULL THEN 1.0
    ELSE exp(-log(2.0) * (($as_of_us - (e.ts.epochSeconds * 1000000
                                        + e.ts.nanosecond / 1000)) / 1e6) / $half_life)
END"""


def decay_weight(age_seconds, half_life_seconds: float | None) -> np.ndarray:
    """The time-decay factor of interactions of the given ages (the reference formula).

    ``w = 2^(-age / half_life) = exp(-ln 2 · age / half_life)``: an event one half-life old
    counts half, two half-lives a quarter. Undated events (age NaN) and ``half_life=None``
    do not decay (factor 1). Stores sum ``weight · w`` per (src, dst, type), in SQL
    (:data:`DECAY_SQL`) or Cypher (:data:`DECAY_CYPHER`).

    Parameters
    ----------
    age_seconds : array-like of float
        ``as_of - ts`` in seconds; NaN for an event without a timestamp.
    half_life_seconds : float or None
        The half-life; ``None`` for no decay.

    Returns
    -------
    numpy.ndarray
        One float64 factor per age.

    Examples
    --------
    >>> decay_weight([0, 86400, 172800, float("nan")], 86400).tolist()
    [1.0, 0.5, 0.25, 1.0]
    """
    import numpy as np

    age = np.asarray(age_seconds, dtype=np.float64)
    if half_life_seconds is None:
        return np.ones_like(age)
    return np.where(np.isnan(age), 1.0, np.exp(-np.log(2.0) * age / float(half_life_seconds)))


#: ``scheme://user:password@`` (the userinfo of a URL) and secret query parameters.
_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<info>[^/@\s?#]*)@", re.I)
_SECRET_QUERY = re.compile(r"(?P<key>[?&;](?:password|passwd|pwd|pass|user|username|auth|"
                           r"token|secret|credentials)=)(?P<value>[^&;#\s'\"]*)", re.I)


def redact_url(text: str) -> str:
    """``text`` with the credentials of any URL in it replaced by ``***``.

    >>> redact_url("cannot reach bolt://neo4j:s3cret@db:7687?password=x&db=a")
    'cannot reach bolt://***@db:7687?password=***&db=a'
    """
    text = _USERINFO.sub(lambda m: f"{m['scheme']}***@", str(text))
    return _SECRET_QUERY.sub(lambda m: f"{m['key']}***", text)


def refuse_credentials(text: str) -> None:
    """Raise when a server URL carries credentials (they would be echoed in messages and in
    ``info``, and the backend would not use them): they go in environment variables."""
    shown = redact_url(text)
    if shown != text:
        raise StoreError(
            f"the store URL {shown} holds credentials — remove them from the URL (and from "
            "$GRAPH_INFLUENCE_STORE / $NEO4J_URI) and set NEO4J_USERNAME and NEO4J_PASSWORD "
            "instead")


def quantile_position(q: float, n: int) -> int:
    """The 0-based position of the ``q``-quantile in ``n`` sorted values: the first value with
    at least a share ``q`` of the values at or before it (every store uses this one rule).

    >>> quantile_position(0.7, 10), quantile_position(0.0, 10), quantile_position(1.0, 10)
    (6, 0, 9)
    """
    import math

    return min(max(math.ceil(round(q * n, 9)) - 1, 0), n - 1)  # (0.7 * 10 is 7.000000000000001)
