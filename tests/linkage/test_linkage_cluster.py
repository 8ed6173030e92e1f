"""Clustering merges best pairs first and never joins conflicting reports."""

from __future__ import annotations

import pytest

from mpid.linkage.cluster import (
    ConflictFeatures,
    birth_dates_conflict,
    constrained_clusters,
    given_names_conflict,
    jaro_winkler,
)


def features(given: str | None, year: int | None = None, month: int | None = None, day: int | None = None,
             *, given_phon: str | None = None, fam_phon: str | None = None) -> ConflictFeatures:
    return ConflictFeatures(given, given_phon, fam_phon, year, month, day)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("martha", "marhta", 0.961), ("dwayne", "duane", 0.84), ("dixon", "dicksonx", 0.813), ("abc", "abc", 1.0),
    ("abc", "", 0.0), ("abc", "xyz", 0.0),
])
def test_jaro_winkler_reference_values(a: str, b: str, expected: float) -> None:
    assert jaro_winkler(a, b) == pytest.approx(expected, abs=1e-3)


def test_given_name_conflicts() -> None:
    assert given_names_conflict(features("hasan"), features("husain"))
    assert not given_names_conflict(features("hasan"), features("hasan"))
    assert not given_names_conflict(features("alcin"), features("alchin"))
    assert not given_names_conflict(features("a"), features("ali"))
    assert given_names_conflict(features("r"), features("ali"))
    assert not given_names_conflict(features(None), features("ali"))
    swapped_a = features("ali", given_phon="al", fam_phon="mtf")
    swapped_b = features("mamadov", given_phon="mtf", fam_phon="al")
    assert not given_names_conflict(swapped_a, swapped_b)


def test_birth_date_conflicts() -> None:
    assert birth_dates_conflict(features("x", 1950), features("x", 1960, 3, 4))
    assert not birth_dates_conflict(features("x", 1950), features("x", 1951))
    assert not birth_dates_conflict(features("x", 1950, 3, 4), features("x", 1960, 3, 4))  # one digit off
    assert not birth_dates_conflict(features("x", 1956, 3, 4), features("x", 1965, 3, 4))  # digits swapped
    assert not birth_dates_conflict(features("x", None), features("x", 1960))


def test_a_sparse_report_does_not_chain_two_people() -> None:
    feats = {
        "a": features("ali", 1950, 1, 2),
        "b": features("ali"),  # a sparse report: could be either
        "c": features("ali", 1970, 5, 6),
    }
    edges = [("a", "b", 0.97), ("b", "c", 0.95)]
    roots = constrained_clusters(feats, edges, {}, feats)
    assert roots["a"] == roots["b"] != roots["c"]


def test_known_low_score_blocks_a_merge_and_best_edge_wins() -> None:
    feats = {key: features("ali") for key in "abc"}
    known = {("a", "c"): (0.01, True), ("a", "b"): (0.99, True), ("b", "c"): (0.95, True)}
    roots = constrained_clusters(feats, [("b", "c", 0.95), ("a", "b", 0.99)], known, feats)
    assert roots["a"] == roots["b"] == "a"
    assert roots["c"] == "c"


def test_pairs_that_may_not_be_merged_automatically_conflict() -> None:
    feats = {key: features("ali") for key in "abc"}
    known = {("a", "c"): (0.99, False)}
    roots = constrained_clusters(feats, [("a", "b", 0.99), ("b", "c", 0.98)], known, feats)
    assert roots["a"] == roots["b"] != roots["c"]
