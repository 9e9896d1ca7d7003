"""Topic names are clean tokens: punctuation, odd spaces and stop words make no topics."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from graph_influence.analysis import AnalysisParams, analyze
from graph_influence.cli import app
from graph_influence.loading import load_snapshot
from graph_influence.topic_names import STOP_TOPICS, normalize_topic

from .conftest import write_snapshot

#: (raw token, topic name): the examples of issue 14 and their neighbours.
CASES = [
    ("ff!", "ff"),
    ("#FF!", "ff"),
    ("#Conan,", "conan"),
    ('"python."', "python"),
    ("“#Python”", "python"),
    ("#…data…", "data"),
    ("(cooking)", "cooking"),
    ("c++", "c++"),
    ("c#", "c#"),
    ("#F#!", "f#"),
    ("python #", "python"),
    ("#NASATV\xa0today", "nasatv"),
    ("#Conan, today", "conan"),
    ("machine\u00a0 learning", "machine learning"),
    ("machine\u2003\u3000learning", "machine learning"),
    (" machine learning ,", "machine learning"),
    ("\ufeffdata", "data"),
    ("da\u200bta\u200b", "data"),
    ("\u200fpython\u200e", "python"),
    ("e-commerce", "e-commerce"),
    ("don't", "don't"),
    ("#python_", "python"),
    ("in", ""),
    ("#In", ""),
    ("OF.", ""),
    ("#me", ""),
    ("RT", ""),
    ("#2024", ""),
    ("#...", ""),
    ("!!!", ""),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "norm"), CASES)
def test_normalize_topic_cleans_tokens(raw, norm):
    assert normalize_topic(raw) == norm


def test_case_folding_is_kept():
    assert normalize_topic("Straße") == normalize_topic("STRASSE") == "strasse"


def test_joiners_inside_a_word_are_kept():
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # 'I want', with a ZWNJ
    assert normalize_topic(f"#{persian}\u200c") == persian


def test_stop_topics_are_a_short_visible_list_of_non_topics():
    assert isinstance(STOP_TOPICS, frozenset)
    assert 30 <= len(STOP_TOPICS) <= 60
    assert {"a", "an", "the", "in", "of", "on", "me", "rt", "via"} <= STOP_TOPICS
    assert not {"ff", "it", "us", "ai", "x", "r"} & STOP_TOPICS  # real topics
    assert all(word == normalize_topic(f"#{word}x")[:-1] for word in STOP_TOPICS)  # clean
    assert all(normalize_topic(word.upper()) == "" for word in STOP_TOPICS)


_TRICKY = "#!,.;:'\"…“”()_-+ \t\xa0\u2003\u3000\u200b\u200c\u200d\u200e\ufeffßİﬁＡ"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(_TRICKY)),
               max_size=20))
def test_normalize_topic_is_idempotent_and_clean(text):
    topic = normalize_topic(text)
    assert normalize_topic(topic) == topic
    if topic:
        assert topic == topic.strip() and "  " not in topic
        assert unicodedata.category(topic[0])[0] != "P"
        assert topic not in STOP_TOPICS


SNAP = {
    "users": "id,topics\nann,#FF!;In\nbob,ff\ncat,\ndan,\"#Conan,\"\neve,\n",
    "posts": "id,author,ts,text,topics\n"
             "p1,bob,2024-01-01T00:00:00Z,Follow them #ff #in,in\n"
             "p2,cat,2024-01-02T00:00:00Z,Happy #FF everyone,\"ff!\"\n"
             "p3,eve,2024-01-03T00:00:00Z,#Conan today,#FF!;In\n",
    "interactions": "src,dst,type,ts,post_id,topics\n"
                    "bob,ann,retweet,2024-01-05T00:00:00Z,p2,\n"
                    "dan,cat,like,2024-01-06T00:00:00Z,p1,#Conan\xa0tonight\n"
                    "eve,bob,reply,2024-01-07T00:00:00Z,,#ff\n",
    "follows": "src,dst\nbob,ann\ncat,ann\neve,ann\ndan,bob\nann,cat\n",
}


def test_variants_form_one_topic_and_stop_words_none(store, tmp_path):
    load_snapshot(store, write_snapshot(tmp_path / "s", **SNAP), progress=False)
    result = analyze(store, AnalysisParams(min_topic_users=1, communities=False),
                     progress=False)
    names = result.topics.names
    assert sorted(names) == ["conan", "ff"]  # no 'ff!', 'conan,', 'in'
    users = dict(zip(names, result.topics.users.tolist(), strict=True))
    assert users["ff"] == 5  # ann declares #FF!, bob ff, cat #FF, eve #FF!, dan engages p1
    assert users["conan"] == 2  # dan declares #Conan, (and engages), eve posts #Conan
    assert "in" not in store.topic_names()


def test_cli_topic_query_is_normalised_the_same_way(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "t.duckdb")
    assert runner.invoke(app, ["load", str(write_snapshot(tmp_path / "s", **SNAP)),
                               "--store", store]).exit_code == 0
    result = runner.invoke(app, ["analyze", "--store", store, "--min-topic-users", "1",
                                 "--no-communities"])
    assert result.exit_code == 0, result.output
    for query in ("#Conan,", "CONAN", "“conan”"):
        out = runner.invoke(app, ["top", "--store", store, "--topic", query, "--format", "json"])
        assert out.exit_code == 0, out.output
        assert {r["id"] for r in json.loads(out.stdout)} >= {"dan", "eve"}
    assert runner.invoke(app, ["top", "--store", store, "--topic", "in"]).exit_code == 1
