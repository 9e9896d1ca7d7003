"""Load throughput of the Twitter importer (``--format twitter``) beside the CSV path, same content.

Generates (seeded and deterministic; reused from ``bench/.work/`` while the parameters and the
generator version are unchanged) a twarc2-style JSON lines file: ``--tweets`` data tweets in
response pages of ``--per-page`` (100), each page with ``includes.users`` (the authors, the
referenced tweets' authors and the mentioned users, full user objects) and ``includes.tweets``
(the referenced tweets), ``meta`` and ``__twarc``, with the field set of the shared twarc2 files
(``../shared/datasets/twitter-api-v2/brexit.jsonl``): ``context_annotations`` (domain + entity),
``entities`` (hashtags, mentions, urls, annotations), ``public_metrics``, ``conversation_id``,
``source``, ``lang``, ... About half the data tweets reference a tweet (retweeted 55%, replied_to
25%, quoted 20%; originals drawn with a heavy-tailed popularity, so a popular original is included
on many pages and counted once), ~1% of references point to a tweet that is in no page
(unresolved, except replies, whose ``in_reply_to_user_id`` resolves them), many tweets mention
users (a few of them never appear as user objects: stub users).

The same content is then written as a snapshot directory of CSV tables derived from the importer's
own output (``read_snapshot(file, format="twitter")`` once; ``users/`` = the full users with their
extra columns + the mention-only stubs, ``posts.csv``, ``interactions.csv``; timestamps as ISO
strings; pyarrow.csv), so both paths load identical rows (checked).

Times, in one process: the median of ``--repeat`` reads of (a) ``read_snapshot(file,
format="twitter")`` and (b) ``read_snapshot(csv_dir, format="dir")``; the floors ``for line in
file`` (read + decode) and ``json.loads`` of every line (what any stdlib-json importer pays); and,
unless ``--no-store``, one ``load_snapshot`` (read + validate + store) of each into a fresh
``DuckDBStore``. With ``--profile-tweets N`` (default 100,000; 0: off) a file of N tweets is
generated too and one twitter read of it is profiled (cProfile, top functions by cumulative time).

Usage::

    python bench/twitter_load.py [--tweets 1000000] [--users N] [--seed 0] [--repeat 3]
                                 [--no-store] [--profile-tweets 100000]
                                 [--out bench/results/twitter_load.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pstats
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
GEN_VERSION = 3  # bump when the generated content changes (cached files are keyed on it)

TWEPOCH_MS = 1_288_834_974_657
NEWEST_MS = 1_632_328_649_000  # 2021-09-22T16:37:29Z, the newest data tweet
DATA_GAP_MS = 600  # data tweets 0.6 s apart (newest first, as search results come)
ORIG_SPAN_MS = 30 * 86_400_000  # referenced tweets: up to 30 days older than the oldest data

KINDS = ("retweeted", "replied_to", "quoted")
KIND_P = (0.55, 0.25, 0.20)
SOURCES = ("Twitter for iPhone", "Twitter for Android", "Twitter Web App", "TweetDeck",
           "Twitter for iPad", "Hootsuite Inc.")
SOURCE_P = (0.38, 0.32, 0.22, 0.04, 0.03, 0.01)
LANGS = ("en", "en", "en", "en", "en", "und", "fr", "de", "es", "ko")

DOMAINS = {
    "person": ("10", "Person", "Named people in the world like Nelson Mandela"),
    "politician": ("35", "Politician", "Politicians in the world, like Joe Biden"),
    "news": ("123", "Ongoing News Story", "Ongoing News Stories like 'Brexit'"),
    "vertical": ("65", "Interests and Hobbies Vertical",
                 "Top level interests and hobbies groupings, like Food or Travel"),
    "category": ("66", "Interests and Hobbies Category",
                 "A grouping of interests and hobbies entities, like Novelty Food or "
                 "Destinations"),
    "brand_v": ("46", "Business Taxonomy",
                "Categories within Brand Verticals that narrow down the scope of Brands"),
    "brand": ("47", "Brand", "Brands and Companies"),
    "music": ("54", "Musician", "A musician in the world, like Adele or Bob Dylan"),
    "genre": ("55", "Music Genre", "A category for a musical style, like Pop, Rock, or Rap"),
    "sport": ("11", "Sport", "Types of sports, like soccer and basketball"),
    "tv": ("3", "TV Shows", "Television shows from around the world"),
    "utt": ("131", "Unified Twitter Taxonomy",
            "A taxonomy view into the Semantic Core knowledge graph"),
}
#: (entity name, description or None, domains): people get Person + Politician, as on Twitter.
ENTITIES = [
    ("Boris Johnson", "Prime Minister", ("person", "politician")),
    ("Jeremy Corbyn", "Leader of the UK Labour Party Jeremy Corbyn", ("person", "politician")),
    ("Keir Starmer", "Keir Starmer", ("person", "politician")),
    ("Nicola Sturgeon", "Nicola Sturgeon", ("person", "politician")),
    ("Angela Rayner", "Angela Rayner", ("person", "politician")),
    ("Rishi Sunak", "Rishi Sunak", ("person", "politician")),
    ("Joe Biden", "US President Joe Biden", ("person", "politician")),
    ("Emmanuel Macron", "Emmanuel Macron", ("person", "politician")),
    ("Brexit", None, ("news",)),
    ("COVID-19", None, ("news",)),
    ("Climate change", None, ("news",)),
    ("Fuel shortages", None, ("news",)),
    ("Food", "Food", ("vertical",)),
    ("Drinks", "Drinks", ("vertical",)),
    ("Generic Drinks", "Generic Drinks", ("category",)),
    ("Wine", "Wine", ("category",)),
    ("Politics", "Politics", ("utt",)),
    ("Government institutions", None, ("utt",)),
    ("Political issues", None, ("utt",)),
    ("Labour Party", "The UK Labour Party", ("brand",)),
    ("Conservative Party", "The UK Conservative Party", ("brand",)),
    ("BBC", "British Broadcasting Corporation", ("brand_v", "brand")),
    ("Twitter", "Twitter", ("brand_v", "brand")),
    ("BTS", "BTS", ("music",)),
    ("BLACKPINK", "BLACKPINK", ("music",)),
    ("K-pop", "Korean pop music", ("genre",)),
    ("Pop", "Pop music", ("genre",)),
    ("Football", "Football", ("sport",)),
    ("Premier League", "Premier League", ("sport",)),
    ("Manchester United", "Manchester United", ("brand",)),
    ("Question Time", "BBC Question Time", ("tv",)),
    ("Newsnight", "BBC Newsnight", ("tv",)),
    ("Economy", None, ("utt",)),
    ("Immigration", None, ("utt",)),
    ("Health", None, ("vertical",)),
    ("Travel", "Travel", ("vertical",)),
    ("Business & finance", None, ("utt",)),
    ("Technology", None, ("vertical",)),
    ("Music", "Music", ("vertical",)),
    ("Entertainment", None, ("vertical",)),
]
COMMON = ("the a to of and in is for on that it you with this are be not have they at but we "
          "all so what just do about now from will was our by who like people no more can get "
          "if up one out when there how their his has been would should were need why them me "
          "time still being only even back over going think want know because government vote "
          "country party deal today new years never after those said these into much same many "
          "trade shortage petrol food prices workers leave remain europe britain uk labour tory "
          "minister johnson election voters support against free news report week day again "
          "right wrong truth lies jobs money tax pay nhs covid vaccine crisis fuel lorry drivers "
          "supermarket shelves empty shops queues happy sad love thanks great good bad worse "
          "best worst ever really very well make made see look").split()
SPECIAL = ("£180", "café", "—", "…", "&amp;", "😂", "🇬🇧", "🇪🇺", "👇", "\"centrists\"",
           "can't", "don't", "it's", "Labour's", "(again)", "2021", "50%", "!!", "?")
SYLLABLES = ("ka", "lo", "mi", "ra", "ten", "vel", "sor", "an", "bri", "dus", "eth", "fin",
             "gor", "hal", "ix", "jun", "kel", "mor", "nas", "ost", "pel", "quin", "rud", "sil",
             "tor", "ul", "vin", "wen", "yor", "zed")


# --- the synthetic twarc2 file ------------------------------------------------------------------


def _zipf_p(n: int, a: float, rng: np.random.Generator | None) -> np.ndarray:
    """Heavy-tailed probabilities over ``n`` items (``1/(rank+1)^a``; ranks shuffled with
    ``rng``, else the first items are the most frequent)."""
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** a
    w /= w.sum()
    return rng.permutation(w) if rng is not None else w


def _pseudo_words(n: int, rng: np.random.Generator) -> list[str]:
    syl = np.array(SYLLABLES, dtype=object)
    k = rng.integers(2, 4, size=n)
    parts = rng.integers(0, len(SYLLABLES), size=(n, 3))
    return ["".join(syl[parts[i, : k[i]]]) for i in range(n)]


def _iso_ms(ms: np.ndarray) -> list[str]:
    """Epoch milliseconds as ``2021-09-22T16:37:29.000Z`` (vectorised)."""
    s = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    return [x + "Z" for x in s.tolist()]


def _snowflake(ms: np.ndarray, low: np.ndarray) -> list[str]:
    return [str(x) for x in (((ms - TWEPOCH_MS) << 22) | low).tolist()]


class _Ragged:
    """Variable-length draws for many items: item ``i`` has ``values[starts[i]:ends[i]]``."""

    def __init__(self, counts: np.ndarray, values: np.ndarray) -> None:
        self.ends = np.cumsum(counts)
        self.starts = self.ends - counts
        self.values = values

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[self.starts[i]: self.ends[i]]


def _ragged(rng: np.random.Generator, counts: np.ndarray, n_values: int,
            p: np.ndarray | None = None) -> _Ragged:
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    values = (rng.choice(n_values, size=total, p=p) if p is not None
              else rng.integers(0, n_values, size=total))
    return _Ragged(counts, values)


class _Content:
    """Everything drawn up front (numpy), then written page by page."""

    def __init__(self, n_tweets: int, n_users: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.n = n_tweets
        vocab = list(COMMON) + list(SPECIAL) + _pseudo_words(4000, rng)
        self.vocab = np.array(vocab, dtype=object)
        self.word_p = _zipf_p(len(vocab), 1.0, None)  # common words first
        tags = ["Brexit", "brexit", "BorisJohnson", "COVID19", "Tories", "BrexitShortages",
                "FBPE", "JohnsonOut", "PeoplesVote", "NHS", "BTS", "kpop", "BLACKPINK",
                "ToryCorruption", "GTTO", "Labour", "LabourConference2021", "FuelCrisis"]
        tags += [w.capitalize() for w in _pseudo_words(1500, rng)]
        self.tags = np.array(tags, dtype=object)
        self.tag_p = _zipf_p(len(tags), 1.1, None)
        # context annotations: one list of annotation dicts per entity (shared objects)
        self.annotations = []
        for k, (name, desc, domains) in enumerate(ENTITIES):
            entity = {"id": str(847_090_575_954_272_256 + 9_973_331 * k), "name": name}
            if desc:
                entity["description"] = desc
            self.annotations.append([
                {"domain": dict(zip(("id", "name", "description"), DOMAINS[d], strict=True)),
                 "entity": entity} for d in domains])
        self.entity_p = _zipf_p(len(ENTITIES), 0.9, rng)
        self._users(n_users, rng)
        self._originals(max(1, n_tweets // 4), rng)
        self._data(rng)

    # users -------------------------------------------------------------------------------------

    def _users(self, n_users: int, rng: np.random.Generator) -> None:
        n_ghost = max(1, n_users // 20)  # users only ever seen in a mention (suspended, ...)
        total = n_users + n_ghost
        old = rng.integers(10_000_000, 5_000_000_000, size=total)
        new = rng.integers(700_000_000_000_000_000, 1_440_000_000_000_000_000, size=total)
        ids = np.where(rng.random(total) < 0.6, old, new)
        ids = np.unique(ids)
        while len(ids) < total:  # collisions are unlikely; top up
            ids = np.unique(np.concatenate([ids, rng.integers(10**7, 5 * 10**9, total)]))
        ids = rng.permutation(ids)[:total]
        self.uid = [str(x) for x in ids.tolist()]
        words = _pseudo_words(total, rng)
        digits = rng.integers(0, 10_000, size=total)
        self.username = [f"{w}{d}_{k:x}" if d % 3 else f"{w.capitalize()}{k:x}"
                         for k, (w, d) in enumerate(zip(words, digits.tolist(), strict=True))]
        self.n_users = n_users
        self.n_ghost = n_ghost
        self.activity_p = rng.lognormal(0.0, 1.4, size=n_users)
        self.activity_p /= self.activity_p.sum()
        self.popular_p = _zipf_p(n_users, 0.9, rng)
        followers = np.minimum(rng.pareto(1.1, size=n_users) * 300, 50_000_000).astype(np.int64)
        following = rng.lognormal(6.0, 1.3, size=n_users).astype(np.int64)
        tweets = rng.lognormal(8.5, 1.8, size=n_users).astype(np.int64)
        listed = (followers * rng.random(n_users) * 0.01).astype(np.int64)
        created = _iso_ms(rng.integers(1_180_000_000, 1_630_000_000, size=n_users) * 1000)
        verified = (rng.random(n_users) < 0.01).tolist()
        desc_words = _ragged(rng, rng.integers(0, 22, size=n_users), len(self.vocab),
                             self.word_p)
        loc = rng.integers(0, 12, size=n_users).tolist()
        locations = ("", "", "", "", "London, England", "United Kingdom", "Manchester",
                     "Scotland", "Wales", "Seoul, Republic of Korea", "Earth", "Bristol 🇬🇧")
        pinned = rng.random(n_users) < 0.3
        name_a = rng.integers(0, len(self.vocab), size=n_users).tolist()
        emoji = rng.random(n_users) < 0.1
        img = rng.integers(10**18, 1_440_000_000_000_000_000, size=n_users).tolist()
        self.user_json = []
        for k in range(n_users):
            name = f"{self.username[k][:6].capitalize()} {str(self.vocab[name_a[k]]).title()}"
            if emoji[k]:
                name += " 🟨🟥🥀"
            u = {"name": name, "verified": verified[k],
                 "description": " ".join(self.vocab[desc_words[k]]), "protected": False,
                 "id": self.uid[k], "username": self.username[k],
                 "profile_image_url": f"https://pbs.twimg.com/profile_images/{img[k]}/"
                                      f"{self.username[k][:8]}_normal.jpg",
                 "url": "", "created_at": created[k],
                 "public_metrics": {"followers_count": int(followers[k]),
                                    "following_count": int(following[k]),
                                    "tweet_count": int(tweets[k]),
                                    "listed_count": int(listed[k])}}
            if locations[loc[k]]:
                u["location"] = locations[loc[k]]
            if pinned[k]:
                u["pinned_tweet_id"] = str(1_440_000_000_000_000_000 + img[k] % 10**15)
            self.user_json.append(json.dumps(u))

    def mention_targets(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Mentioned users: popular ones, anyone, or (5%) a ghost user (no user object)."""
        popular = rng.choice(self.n_users, size=size, p=self.popular_p)
        anyone = rng.integers(0, self.n_users, size=size)
        ghost = self.n_users + rng.integers(0, self.n_ghost, size=size)
        r = rng.random(size)
        return np.where(r < 0.55, popular, np.where(r < 0.95, anyone, ghost))

    # tweet bodies ------------------------------------------------------------------------------

    def _body(self, words: np.ndarray, tags: np.ndarray, newline: bool) -> tuple[str, list]:
        """Text of words then hashtags; the hashtag entities with their offsets."""
        text = " ".join(self.vocab[words])
        if newline and len(words) > 6:
            text = text.replace(" ", "\n\n", 1)
        hashtags = []
        for t in tags:
            tag = self.tags[t]
            start = len(text) + 1
            text = f"{text} #{tag}"
            hashtags.append({"start": start, "end": start + 1 + len(tag), "tag": tag})
        return text, hashtags

    def _annotations(self, ents: np.ndarray) -> list:
        out = []
        for e in ents:
            out += self.annotations[e]
        return out

    # referenced tweets (the originals) ---------------------------------------------------------

    def _originals(self, n: int, rng: np.random.Generator) -> None:
        self.n_orig = n
        oldest_data = NEWEST_MS - (self.n - 1) * DATA_GAP_MS
        ms = oldest_data - rng.integers(1_000, ORIG_SPAN_MS, size=n)
        self.orig_id = _snowflake(ms, (1 << 20) + np.arange(n) % (1 << 20))
        self.orig_ts = _iso_ms(ms)
        self.orig_author = rng.choice(self.n_users, size=n, p=self.popular_p)
        self.orig_p = _zipf_p(n, 0.8, rng)
        words = _ragged(rng, rng.integers(6, 42, size=n), len(self.vocab), self.word_p)
        tags = _ragged(rng, rng.choice(4, size=n, p=(0.45, 0.3, 0.15, 0.1)), len(self.tags),
                       self.tag_p)
        ents = _ragged(rng, rng.choice(5, size=n, p=(0.2, 0.3, 0.25, 0.15, 0.1)),
                       len(ENTITIES), self.entity_p)
        n_ment = np.where(rng.random(n) < 0.2, rng.integers(1, 3, size=n), 0)
        ment = _Ragged(n_ment, self.mention_targets(rng, int(n_ment.sum())))
        newline = (rng.random(n) < 0.15).tolist()
        has_url = (rng.random(n) < 0.25).tolist()
        rts = rng.pareto(1.2, size=n).astype(np.int64).tolist()
        likes = rng.pareto(1.0, size=n).astype(np.int64).tolist()
        replies = rng.pareto(1.5, size=n).astype(np.int64).tolist()
        sources = rng.choice(len(SOURCES), size=n, p=SOURCE_P).tolist()
        self.orig_text = []
        self.orig_json = []
        for k in range(n):
            text, hashtags = self._body(words[k], tags[k], newline[k])
            mentions = []
            if len(ment[k]):
                prefix = ""
                for m in ment[k]:
                    start = len(prefix)
                    prefix += f"@{self.username[m]} "
                    mentions.append({"start": start, "end": len(prefix) - 1,
                                     "username": self.username[m], "id": self.uid[m]})
                shift = len(prefix)
                for h in hashtags:
                    h["start"] += shift
                    h["end"] += shift
                text = prefix + text
            entities = {}
            if has_url[k]:
                url = f"https://t.co/{self.orig_id[k][-10:]}"
                entities["urls"] = [{"start": len(text) + 1, "end": len(text) + 1 + len(url),
                                     "url": url, "expanded_url": "https://twitter.com/"
                                     f"{self.username[self.orig_author[k]]}/status/"
                                     f"{self.orig_id[k]}/photo/1",
                                     "display_url": f"pic.twitter.com/{url[-10:]}"}]
                text = f"{text} {url}"
            if hashtags:
                entities["hashtags"] = hashtags
            if mentions:
                entities["mentions"] = mentions
            t = {}
            ca = self._annotations(ents[k])
            if ca:
                t["context_annotations"] = ca
            if entities:
                t["entities"] = entities
            t.update({"author_id": self.uid[self.orig_author[k]], "text": text,
                      "reply_settings": "everyone", "conversation_id": self.orig_id[k],
                      "possibly_sensitive": False, "source": SOURCES[sources[k]],
                      "public_metrics": {"retweet_count": rts[k], "reply_count": replies[k],
                                         "like_count": likes[k], "quote_count": rts[k] // 10},
                      "lang": "en", "id": self.orig_id[k], "created_at": self.orig_ts[k]})
            self.orig_text.append(text)
            self.orig_json.append(json.dumps(t))
        self.orig_mentions = ment

    # data tweets -------------------------------------------------------------------------------

    def _data(self, rng: np.random.Generator) -> None:
        n = self.n
        k = np.arange(n, dtype=np.int64)
        ms = NEWEST_MS - k * DATA_GAP_MS
        self.ids = _snowflake(ms, k % (1 << 20))
        self.ts = _iso_ms(ms)
        self.author = rng.choice(self.n_users, size=n, p=self.activity_p)
        refs = rng.random(n) < 0.5
        self.kind = np.where(refs, rng.choice(3, size=n, p=KIND_P), -1)
        self.ref = rng.choice(self.n_orig, size=n, p=self.orig_p)
        self.deleted = refs & (rng.random(n) < 0.01)  # referenced tweet is in no page
        self.deleted_author = rng.integers(0, self.n_users, size=n)
        self.words = _ragged(rng, rng.integers(4, 40, size=n), len(self.vocab), self.word_p)
        self.tags_of = _ragged(rng, rng.choice(5, size=n, p=(0.4, 0.3, 0.15, 0.1, 0.05)),
                               len(self.tags), self.tag_p)
        self.ents = _ragged(rng, rng.choice(5, size=n, p=(0.25, 0.3, 0.25, 0.15, 0.05)),
                            len(ENTITIES), self.entity_p)
        n_ment = np.where(rng.random(n) < 0.45, rng.geometric(0.6, size=n), 0)
        self.ment = _Ragged(n_ment, self.mention_targets(rng, int(n_ment.sum())))
        self.newline = (rng.random(n) < 0.1).tolist()
        self.has_url = (rng.random(n) < 0.12).tolist()
        self.has_ann = (rng.random(n) < 0.3).tolist()
        self.source = rng.choice(len(SOURCES), size=n, p=SOURCE_P).tolist()
        self.lang = rng.integers(0, len(LANGS), size=n).tolist()
        self.likes = np.where(rng.random(n) < 0.7, 0, rng.pareto(1.3, size=n)).astype(
            np.int64).tolist()

    def _mention_list(self, users, offset: int) -> tuple[str, list]:
        prefix, out = "", []
        for m in users:
            start = offset + len(prefix)
            prefix += f"@{self.username[m]} "
            out.append({"start": start, "end": offset + len(prefix) - 1,
                        "username": self.username[m], "id": self.uid[m]})
        return prefix, out

    def tweet(self, i: int, seen_users: dict, included: dict) -> dict:
        """Data tweet ``i``; adds the users and the referenced tweet its page includes."""
        author = int(self.author[i])
        seen_users[author] = None
        kind = int(self.kind[i])
        t: dict = {}
        ca = self._annotations(self.ents[i])
        entities: dict = {}
        ref_id = ref_author = None
        if kind >= 0:
            if self.deleted[i]:
                ref_id = str(int(self.ids[i]) - 7_777_777 * (1 << 22) + (1 << 21))
                ref_author = int(self.deleted_author[i])
            else:
                o = int(self.ref[i])
                ref_id, ref_author = self.orig_id[o], int(self.orig_author[o])
                included[o] = None
                seen_users[ref_author] = None
                for m in self.orig_mentions[o]:
                    if m < self.n_users:
                        seen_users[int(m)] = None
        if kind == 0:  # retweet: Twitter copies the original's text, cut at 140
            ru = self.username[ref_author]
            body = self.orig_text[int(self.ref[i])] if not self.deleted[i] else "deleted"
            text = f"RT @{ru}: {body}"
            if len(text) > 140:
                text = text[:139] + "…"
            entities["mentions"] = [{"start": 3, "end": 4 + len(ru), "username": ru,
                                     "id": self.uid[ref_author]}]
            metrics_rt = 1 + int(self.likes[i]) * 3
        else:
            body, hashtags = self._body(self.words[i], self.tags_of[i], self.newline[i])
            users = [int(m) for m in self.ment[i]]
            if kind == 1:  # reply: "@the_replied_to_user ..." first
                users.insert(0, ref_author)
            prefix, mentions = self._mention_list(users, 0)
            for u in users:
                if u < self.n_users:
                    seen_users[u] = None
            shift = len(prefix)
            for h in hashtags:
                h["start"] += shift
                h["end"] += shift
            text = prefix + body
            if self.has_ann[i] and len(self.words[i]) > 2:
                w = str(self.vocab[self.words[i][1]])
                start = shift + len(str(self.vocab[self.words[i][0]])) + 1
                entities["annotations"] = [{"start": start, "end": start + len(w) - 1,
                                            "probability": 0.4677, "type": "Organization",
                                            "normalized_text": w}]
            if kind == 2 or self.has_url[i]:
                url = f"https://t.co/{self.ids[i][-10:]}"
                target = (f"https://twitter.com/{self.username[ref_author]}/status/{ref_id}"
                          if kind == 2 else f"https://example.org/news/{self.ids[i][-8:]}")
                entities["urls"] = [{"start": len(text) + 1, "end": len(text) + 1 + len(url),
                                     "url": url, "expanded_url": target,
                                     "display_url": target[8:30] + "…"}]
                text = f"{text} {url}"
            if hashtags:
                entities["hashtags"] = hashtags
            if mentions:
                entities["mentions"] = mentions
            metrics_rt = 0
        if ca:
            t["context_annotations"] = ca
        t["author_id"] = self.uid[author]
        t["text"] = text
        if entities:
            t["entities"] = entities
        if kind == 1:
            t["in_reply_to_user_id"] = self.uid[ref_author]
        if kind >= 0:
            t["referenced_tweets"] = [{"type": KINDS[kind], "id": ref_id}]
        t["reply_settings"] = "everyone"
        t["conversation_id"] = ref_id if kind == 1 else self.ids[i]
        t["possibly_sensitive"] = False
        t["source"] = SOURCES[self.source[i]]
        t["public_metrics"] = {"retweet_count": metrics_rt, "reply_count": 0,
                               "like_count": 0 if kind == 0 else self.likes[i],
                               "quote_count": 0}
        t["lang"] = LANGS[self.lang[i]]
        t["id"] = self.ids[i]
        t["created_at"] = self.ts[i]
        return t


TWARC = json.dumps({
    "url": "https://api.twitter.com/2/tweets/search/recent?expansions=author_id%2C"
           "in_reply_to_user_id%2Creferenced_tweets.id%2Creferenced_tweets.id.author_id%2C"
           "entities.mentions.username&tweet.fields=author_id%2Ccontext_annotations%2C"
           "conversation_id%2Ccreated_at%2Centities%2Cid%2Cin_reply_to_user_id%2Clang%2C"
           "public_metrics%2Ctext%2Cpossibly_sensitive%2Creferenced_tweets%2Creply_settings%2C"
           "source&user.fields=created_at%2Cdescription%2Cid%2Clocation%2Cname%2C"
           "pinned_tweet_id%2Cprofile_image_url%2Cprotected%2Cpublic_metrics%2Curl%2Cusername%2C"
           "verified&query=%23brexit&max_results=100",
    "version": "2.5.0", "retrieved_at": "2021-09-22T16:38:09+00:00"})


def generate_twitter_file(path: Path, n_tweets: int, n_users: int, seed: int,
                          per_page: int = 100) -> dict:
    """Write the synthetic twarc2 file (atomically); returns what was written."""
    t0 = time.perf_counter()
    c = _Content(n_tweets, n_users, seed)
    t_draw = time.perf_counter() - t0
    tmp = path.with_suffix(".tmp")
    pages = includes_tweets = includes_users = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for start in range(0, n_tweets, per_page):
            seen: dict = {}
            included: dict = {}
            data = [json.dumps(c.tweet(i, seen, included))
                    for i in range(start, min(start + per_page, n_tweets))]
            users = [c.user_json[u] for u in seen]
            meta = json.dumps({"newest_id": c.ids[start],
                               "oldest_id": c.ids[start + len(data) - 1],
                               "result_count": len(data),
                               "next_token": f"b26v89c19zqg8o3fpds60ssjif{start:019x}"})
            inc = '{"users": [' + ", ".join(users) + "]"
            if included:
                inc += ', "tweets": [' + ", ".join(c.orig_json[o] for o in included) + "]"
            fh.write('{"data": [' + ", ".join(data) + '], "includes": ' + inc + '}, "meta": '
                     + meta + ', "__twarc": ' + TWARC + "}\n")
            pages += 1
            includes_tweets += len(included)
            includes_users += len(users)
    tmp.rename(path)
    return {"pages": pages, "data_tweets": n_tweets, "includes_tweets": includes_tweets,
            "includes_users": includes_users, "users_pool": n_users, "ghost_users": c.n_ghost,
            "draw_s": t_draw, "generate_s": time.perf_counter() - t0}


# --- the same content as CSV tables ------------------------------------------------------------


def _iso_ts(col: pa.ChunkedArray) -> pa.Array:
    return pc.strftime(col, format="%Y-%m-%dT%H:%M:%SZ")


def write_csv_snapshot(snap, out: Path) -> None:
    """The importer's normalised tables as a snapshot directory (users with their extra
    columns, so that the dir reader builds the same ``attributes``; the mention-only stubs in
    a second part file without them)."""
    import duckdb

    from graph_influence.loaders.twitter import _USER_EXTRA

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "users").mkdir(parents=True)
    users = snap.tables["users"]
    full = pc.is_valid(users["attributes"])
    con = duckdb.connect()
    kept = users.filter(full)
    con.register("u", kept.select(["attributes"]))
    extras = ", ".join(f"json_extract_string(attributes, '$.{c}') AS {c}" for c in _USER_EXTRA)
    table = con.sql(f"SELECT {extras} FROM u").to_arrow_table()  # keeps the row order
    con.close()
    table = pa.table({"id": kept["id"], "name": kept["name"],
                      "created_at": _iso_ts(kept["created_at"]),
                      **{c: table[c] for c in _USER_EXTRA}})
    pacsv.write_csv(table, tmp / "users" / "0-users.csv")
    stubs = users.filter(pc.invert(full)).select(["id", "name"])
    if stubs.num_rows:
        pacsv.write_csv(stubs, tmp / "users" / "1-stubs.csv")
    posts = snap.tables["posts"]
    pacsv.write_csv(pa.table({"id": posts["id"], "author": posts["author"],
                              "ts": _iso_ts(posts["ts"]), "text": posts["text"],
                              "topics": posts["topics"]}), tmp / "posts.csv")
    inter = snap.tables["interactions"]
    assert pc.all(pc.equal(inter["weight"], 1.0)).as_py() and inter["topics"].null_count == len(
        inter)
    pacsv.write_csv(pa.table({"src": inter["src"], "dst": inter["dst"], "type": inter["type"],
                              "ts": _iso_ts(inter["ts"]), "post_id": inter["post_id"]}),
                    tmp / "interactions.csv")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- timing -------------------------------------------------------------------------------------


def _settle() -> None:
    gc.collect()
    pa.default_memory_pool().release_unused()


def _counts(snap) -> dict:
    return {"users": snap.tables["users"].num_rows, "posts": snap.tables["posts"].num_rows,
            "interactions": snap.tables["interactions"].num_rows,
            "unresolved": snap.unresolved.num_rows, "rejected": snap.n_rejected}


def time_reads(path: Path, fmt: str, repeat: int) -> dict:
    from graph_influence.loaders import read_snapshot

    walls = []
    counts = None
    for _ in range(repeat):
        _settle()
        t0 = time.perf_counter()
        snap = read_snapshot(path, format=fmt)
        walls.append(time.perf_counter() - t0)
        counts = _counts(snap)
        del snap
    _settle()
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "walls_s": walls, "counts": counts}


def time_floors(path: Path, repeat: int) -> dict:
    """``for line in file`` alone, and ``json.loads`` of every line (stdlib json floor)."""
    lines, loads = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with open(path, encoding="utf-8") as fh:
            for _line in fh:
                pass
        lines.append(time.perf_counter() - t0)
        _settle()
        loads_fn = json.loads
        t0 = time.perf_counter()
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                loads_fn(line)
        loads.append(time.perf_counter() - t0)
    return {"read_lines_s": statistics.median(lines), "json_loads_s": statistics.median(loads),
            "json_loads_walls_s": loads}


def time_store_load(src: Path, fmt: str, store_path: Path) -> dict:
    from graph_influence.loading import load_snapshot
    from graph_influence.stores import DuckDBStore

    for p in (store_path, store_path.with_name(store_path.name + ".wal")):
        p.unlink(missing_ok=True)
    _settle()
    try:
        with DuckDBStore(store_path) as store:
            t0 = time.perf_counter()
            summary, _ = load_snapshot(store, src, format=fmt, progress=False)
            wall = time.perf_counter() - t0
        return {"load_s": wall, "stages_s": summary.timings,
                "new": {k: r.new for k, r in summary.reports.items()},
                "store_mb": store_path.stat().st_size / 1e6}
    finally:
        for p in (store_path, store_path.with_name(store_path.name + ".wal")):
            p.unlink(missing_ok=True)
        _settle()


def profile_read(path: Path, top: int = 10) -> list[dict]:
    from graph_influence.loaders import read_snapshot

    saved = sys.path[:]  # bench/profile.py would shadow the stdlib module cProfile imports
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    try:
        import cProfile
    finally:
        sys.path[:] = saved
    _settle()
    prof = cProfile.Profile()
    prof.enable()
    snap = read_snapshot(path, format="twitter")
    prof.disable()
    del snap
    _settle()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative")
    rows = []
    for func in stats.fcn_list[: top + 5]:
        cc, nc, tt, ct, _callers = stats.stats[func]
        file, line, name = func
        where = f"{Path(file).name}:{line}({name})" if line else name
        rows.append({"function": where, "ncalls": nc, "tottime_s": tt, "cumtime_s": ct})
    rows = [r for r in rows if "cProfile" not in r["function"]
            and "disable" not in r["function"]][:top]
    return rows


def _pytest_running() -> int:
    """How many pytest processes run beside this one (the timings are noisy then)."""
    import subprocess

    done = subprocess.run(["pgrep", "-f", "[p]ytest"], capture_output=True, text=True)
    return len(done.stdout.split())


# --- main ---------------------------------------------------------------------------------------


def ensure_inputs(work: Path, n_tweets: int, n_users: int, seed: int, per_page: int
                  ) -> tuple[Path, Path, dict]:
    """The twarc2 file and its CSV twin under ``work``, generated when missing."""
    from graph_influence.loaders import read_snapshot

    stem = f"twitter-v{GEN_VERSION}-{n_tweets}-u{n_users}-p{per_page}-s{seed}"
    file = work / f"{stem}.jsonl"
    csv_dir = work / f"{stem}-csv"
    meta_path = work / f"{stem}.meta.json"
    if file.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
    else:
        print(f"generating {file} ...", flush=True)
        meta = generate_twitter_file(file, n_tweets, n_users, seed, per_page)
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        shutil.rmtree(csv_dir, ignore_errors=True)
        print(f"  {meta['generate_s']:.1f} s, {_size(file) / 1e6:.0f} MB", flush=True)
    if not csv_dir.exists():
        print(f"writing {csv_dir} from the importer's output ...", flush=True)
        t0 = time.perf_counter()
        snap = read_snapshot(file, format="twitter")
        write_csv_snapshot(snap, csv_dir)
        del snap
        _settle()
        print(f"  {time.perf_counter() - t0:.1f} s", flush=True)
    return file, csv_dir, meta


def same_rows(file: Path, csv_dir: Path) -> dict:
    """Whether both paths give identical normalised tables (and which differ)."""
    from graph_influence.loaders import read_snapshot

    a = read_snapshot(file, format="twitter")
    b = read_snapshot(csv_dir, format="dir")
    out = {name: a.tables[name].equals(b.tables[name]) for name in a.tables}
    del a, b
    _settle()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=1_000_000, help="data tweets")
    parser.add_argument("--users", type=int, help="user pool (default tweets/5, >= 1000)")
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-store", action="store_true", help="skip the DuckDB loads")
    parser.add_argument("--no-check", action="store_true",
                        help="skip checking that both paths give identical tables")
    parser.add_argument("--profile-tweets", type=int, default=100_000,
                        help="profile one twitter read of a file this size (0: off)")
    parser.add_argument("--work", type=Path, default=HERE / ".work")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    n_users = args.users or max(1000, args.tweets // 5)
    args.work.mkdir(parents=True, exist_ok=True)
    file, csv_dir, meta = ensure_inputs(args.work, args.tweets, n_users, args.seed,
                                        args.per_page)
    file_mb, csv_mb = _size(file) / 1e6, _size(csv_dir) / 1e6
    result: dict = {
        "tweets": args.tweets, "users_pool": n_users, "per_page": args.per_page,
        "seed": args.seed, "repeat": args.repeat, "file": str(file), "file_mb": file_mb,
        "csv_dir": str(csv_dir), "csv_mb": csv_mb, "generated": meta,
        "env": {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
                "pytest_processes_start": _pytest_running()},
    }
    if not args.no_check:
        result["identical_tables"] = same_rows(file, csv_dir)
        print(f"identical tables: {result['identical_tables']}", flush=True)
    floors = time_floors(file, args.repeat)
    tw = time_reads(file, "twitter", args.repeat)
    cs = time_reads(csv_dir, "dir", args.repeat)
    distinct = tw["counts"]["posts"]

    def rates(seconds: float, mb: float) -> dict:
        return {"data_tweets_per_s": args.tweets / seconds,
                "distinct_tweets_per_s": distinct / seconds, "mb_per_s": mb / seconds}

    result["read"] = {
        "twitter": {**tw, **rates(tw["median_s"], file_mb)},
        "csv_dir": {**cs, **rates(cs["median_s"], csv_mb)},
        "twitter_over_csv": tw["median_s"] / cs["median_s"],
    }
    result["floors"] = {
        **floors,
        "json_loads": rates(floors["json_loads_s"], file_mb),
        "twitter_over_json_loads": tw["median_s"] / floors["json_loads_s"],
    }
    if not args.no_store:
        result["duckdb_load"] = {
            "twitter": time_store_load(file, "twitter", args.work / "twitter-load-tw.duckdb"),
            "csv_dir": time_store_load(csv_dir, "dir", args.work / "twitter-load-csv.duckdb"),
        }
        for row in result["duckdb_load"].values():
            row.update(rates(row["load_s"], file_mb if row is result["duckdb_load"]["twitter"]
                             else csv_mb))
    if args.profile_tweets:
        pfile, _, _ = ensure_inputs(args.work, args.profile_tweets,
                                    max(1000, args.profile_tweets // 5), args.seed,
                                    args.per_page)
        result["profile"] = {"tweets": args.profile_tweets, "top_cumulative": profile_read(pfile)}
    result["env"]["loadavg_end"] = os.getloadavg()
    result["env"]["pytest_processes_end"] = _pytest_running()

    c = tw["counts"]
    print(f"\n{args.tweets:,} data tweets, {distinct:,} distinct tweets, {c['users']:,} users, "
          f"{c['interactions']:,} interactions, {c['unresolved']:,} unresolved; "
          f"JSON {file_mb:,.0f} MB, CSV {csv_mb:,.0f} MB")
    print(f"{'':<28} {'median s':>9} {'data tw/s':>11} {'distinct/s':>11} {'MB/s':>7}")

    def line(name: str, s: float, mb: float) -> None:
        r = rates(s, mb)
        print(f"{name:<28} {s:9.2f} {r['data_tweets_per_s']:11,.0f} "
              f"{r['distinct_tweets_per_s']:11,.0f} {r['mb_per_s']:7.1f}")

    line("read twitter (JSON lines)", tw["median_s"], file_mb)
    line("read dir (CSV)", cs["median_s"], csv_mb)
    line("floor: for line in file", floors["read_lines_s"], file_mb)
    line("floor: json.loads per line", floors["json_loads_s"], file_mb)
    if "duckdb_load" in result:
        line("load twitter -> DuckDB", result["duckdb_load"]["twitter"]["load_s"], file_mb)
        line("load CSV dir -> DuckDB", result["duckdb_load"]["csv_dir"]["load_s"], csv_mb)
    print(f"twitter/CSV read time: {result['read']['twitter_over_csv']:.2f}x; "
          f"twitter/json.loads: {result['floors']['twitter_over_json_loads']:.2f}x")
    if "profile" in result:
        print(f"\ncProfile, one twitter read of {args.profile_tweets:,} tweets "
              "(top by cumulative time):")
        for r in result["profile"]["top_cumulative"]:
            print(f"  {r['cumtime_s']:7.2f} s cum {r['tottime_s']:7.2f} s own "
                  f"{r['ncalls']:>9}  {r['function']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
