"""The per-process store of encoded project answers (api.answers): bounded in bytes."""

from __future__ import annotations

from api.answers import AnswerCache


def test_least_recently_used_answers_go_first_within_the_byte_bound():
    cache = AnswerCache(max_bytes=800)
    for k in "abcd":
        cache.put(k, k.encode() * 100)
    assert [cache.get(k) is not None for k in "abcd"] == [True] * 4
    cache.get("a")  # used: b is now the oldest
    cache.put("e", b"e" * 100)
    assert len(cache) == 5
    for k in "fghi":  # 900 bytes: the oldest one goes
        cache.put(k, k.encode() * 100)
    assert cache.get("b") is None and cache.get("a") == b"a" * 100
    assert len(cache) == 8


def test_an_answer_too_big_is_not_kept_and_a_key_kept_twice_counts_once():
    cache = AnswerCache(max_bytes=800)
    cache.put("big", b"x" * 101)  # over an eighth of the bound: it would crowd out the rest
    assert cache.get("big") is None
    cache.put("k", b"1" * 100)
    cache.put("k", b"2" * 100)
    assert cache.get("k") == b"2" * 100 and len(cache) == 1
    assert (cache.hits, cache.misses) == (1, 1)
