"""Topic names: the one normalisation rule for topics and hashtags (no heavy imports)."""

from __future__ import annotations

import unicodedata

__all__ = ["normalize_topic"]


def normalize_topic(text: str) -> str:
    """Normalise one topic or hashtag: NFKC, case-folded, without a leading ``#``.

    Examples
    --------
    >>> normalize_topic(" #Python ")
    'python'
    >>> normalize_topic("Straße") == normalize_topic("STRASSE")
    True
    >>> normalize_topic("#2024")  # no letter: not a topic
    ''

    """
    topic = unicodedata.normalize("NFKC", text).strip().lstrip("#").strip().casefold()
    # like Twitter's hashtags, a topic needs a letter: '#1', '#2024' and '#...' are not topics
    return topic if any(ch.isalpha() for ch in topic) else ""
