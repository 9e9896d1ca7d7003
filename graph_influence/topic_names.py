"""Topic names: the one normalisation rule for topics and hashtags (no heavy imports).

:func:`normalize_topic` turns a raw token — a ``#hashtag`` found in a post's text, or a value of
a ``topics`` column — into a topic name, or into ``''`` when the token is no topic:

1. Unicode NFKC, then case-folded (``Straße`` and ``STRASSE`` are one topic, full-width
   ``ＣＲＹＰＴＯ`` is ``crypto``);
2. invisible format characters (zero-width space U+200B, word joiner, BOM U+FEFF, soft hyphen,
   bidi marks: Unicode category ``Cf``) are removed, except the joiners U+200C/U+200D, which
   matter inside Persian, Indic and emoji words and are only removed at the ends;
3. whitespace of any kind, punctuation (Unicode ``P*``: ``! , . … " “ ( _``) and invisible
   characters are removed at both ends, and so are the leading ``#``s; a trailing ``#`` right
   after a letter or digit stays (``c#``, ``f#``), symbols stay (``c++``, emoji);
4. a hashtag (a token that started with ``#``) ends at its first whitespace, as a hashtag
   cannot hold a space (``#NASATV\\xa0today`` is ``nasatv``); other tokens are multi-word
   topics (``machine learning``), whose inner runs of whitespace become one ASCII space;
5. a topic needs a letter (``#1``, ``#2024``, ``#...`` are no topics), and is not one of the
   :data:`STOP_TOPICS` (``in``, ``of``, ``me``... are no topics).

Both sides use it: the topics built by an analysis, and the topics users ask for
(``top --topic "#Conan,"`` finds ``conan``). The rule is idempotent.
"""

from __future__ import annotations

import unicodedata

__all__ = ["STOP_TOPICS", "normalize_topic"]

#: Tokens that are never topics: English function words (articles, prepositions, conjunctions,
#: pronouns and the commonest auxiliaries) plus the generic Twitter words ``rt`` and ``via``.
#: Kept short on purpose, and without words that are also real topics: ``it`` (information
#: technology, Italy), ``us`` (the United States) and ``ff`` (Follow Friday) are topics.
STOP_TOPICS: frozenset[str] = frozenset({
    "a", "about", "an", "and", "are", "as", "at", "be", "but", "by", "do", "for", "from",
    "he", "her", "his", "i", "if", "in", "is", "its", "me", "my", "not", "of", "on", "or",
    "our", "rt", "she", "so", "that", "the", "their", "they", "this", "to", "via", "was",
    "we", "with", "you", "your",
})

#: Zero-width joiners: kept inside a topic (they shape Persian, Indic and emoji words).
_JOINERS = frozenset("\u200c\u200d")


def _is_format(ch: str) -> bool:
    """Whether ``ch`` is an invisible format character (Unicode category ``Cf``)."""
    return unicodedata.category(ch) == "Cf"


def _is_edge_junk(ch: str) -> bool:
    """Whether ``ch`` is removed at the ends of a topic: whitespace, punctuation, format."""
    return ch.isspace() or unicodedata.category(ch)[0] == "P" or _is_format(ch)


def _drop_invisible(text: str) -> str:
    """Remove the format characters (``Cf``) but the joiners U+200C/U+200D."""
    return "".join(ch for ch in text if ch in _JOINERS or not _is_format(ch))


def _strip_leading(text: str) -> tuple[str, bool]:
    """Strip the leading whitespace, punctuation and ``#``s; say whether a ``#`` was among them.

    Examples
    --------
    >>> _strip_leading(' "#python')
    ('python', True)
    """
    i = 0
    while i < len(text) and _is_edge_junk(text[i]):
        i += 1
    return text[i:], "#" in text[:i]


def _strip_trailing(text: str) -> str:
    """Strip the trailing whitespace and punctuation, but a ``#`` after a letter or digit.

    Examples
    --------
    >>> _strip_trailing("c#!"), _strip_trailing("conan,"), _strip_trailing("python #")
    ('c#', 'conan', 'python')
    """
    j = len(text)
    while j > 0 and _is_edge_junk(text[j - 1]):
        if text[j - 1] == "#" and j > 1 and text[j - 2].isalnum():
            break
        j -= 1
    return text[:j]


def _clean(text: str) -> str:
    """Steps 1-4 of the module docstring: the cleaned token, before the topic checks."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    token, hashtag = _strip_leading(_drop_invisible(folded))
    words = token.split()  # any Unicode whitespace
    if hashtag:
        words = words[:1]  # a hashtag ends at its first whitespace
    return _strip_trailing(" ".join(words))


def normalize_topic(text: str) -> str:
    """Normalise one topic or hashtag (the rule of the module docstring); ``''``: no topic.

    Parameters
    ----------
    text : str
        A raw token: a hashtag (with or without its ``#``) or one value of a ``topics`` column.

    Returns
    -------
    str
        The topic name: NFKC, case-folded, cleaned at the ends; ``''`` when the token has no
        letter or is one of the :data:`STOP_TOPICS`.

    Examples
    --------
    >>> normalize_topic(" #Python ")
    'python'
    >>> normalize_topic("ff!"), normalize_topic("#Conan,"), normalize_topic('"python."')
    ('ff', 'conan', 'python')
    >>> normalize_topic("c++"), normalize_topic("c#"), normalize_topic("#F#")
    ('c++', 'c#', 'f#')
    >>> normalize_topic("#NASATV\\xa0today")  # a hashtag ends at its first whitespace
    'nasatv'
    >>> normalize_topic("machine\\u00a0 learning")  # a multi-word topic: one ASCII space
    'machine learning'
    >>> normalize_topic("\\ufeffdata\\u200b")  # BOM and zero-width space are removed
    'data'
    >>> normalize_topic("Straße") == normalize_topic("STRASSE")
    True
    >>> normalize_topic("#2024")  # no letter: not a topic
    ''
    >>> normalize_topic("In")  # a stop word: not a topic
    ''
    """
    topic = _clean(text)
    # like Twitter's hashtags, a topic needs a letter: '#1', '#2024' and '#...' are not topics
    if not any(ch.isalpha() for ch in topic) or topic in STOP_TOPICS:
        return ""
    return topic
