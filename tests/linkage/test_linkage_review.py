"""The review queue: accept merges with provenance and can be undone; rejections stick."""

from __future__ import annotations

import pandas as pd
import pytest

from mpid.linkage.review import (
    CandidatePair,
    InMemoryReviewStore,
    PairStatus,
    ReviewError,
    ReviewQueue,
    candidates_from_predictions,
    pair_key,
)


def candidate(left: str, right: str, weight: float = 10.0) -> CandidatePair:
    return CandidatePair(pair_key(left, right), left, right, weight, 0.99, {"family name": ("mamadov", "mamadov")})


@pytest.fixture
def queue() -> ReviewQueue:
    # Reports r1, r2 of case P1; r3 of case P2; r4 of case P3.
    return ReviewQueue(InMemoryReviewStore({"r1": "P1", "r2": "P1", "r3": "P2", "r4": "P3"}))


def test_pair_key_is_unordered() -> None:
    assert pair_key("a", "b") == pair_key("b", "a") != pair_key("a", "c")


def test_propose_skips_pairs_already_in_one_case(queue: ReviewQueue) -> None:
    assert queue.propose([candidate("r1", "r2"), candidate("r1", "r3"), candidate("r3", "r4", 5.0)]) == 2
    assert [p.record_id_r for p in queue.pending()] == ["r3", "r4"]  # strongest first


def test_accept_merges_every_report_and_undo_restores(queue: ReviewQueue) -> None:
    queue.propose([candidate("r3", "r1")])
    merge = queue.accept(pair_key("r1", "r3"), "officer-1")
    assert (merge.kept_person_id, merge.absorbed_person_id, merge.moved_report_ids) == ("P1", "P2", ("r3",))
    assert queue.store.reports_of("P1") == ["r1", "r2", "r3"]
    assert queue.store.get_pair(merge.pair_id).status == PairStatus.ACCEPTED
    with pytest.raises(ReviewError):
        queue.accept(merge.pair_id, "officer-1")

    undone = queue.undo(merge.merge_id, "officer-2")
    assert undone.undone_by == "officer-2"
    assert queue.store.reports_of("P2") == ["r3"]
    assert queue.store.reports_of("P1") == ["r1", "r2"]
    assert queue.store.get_pair(merge.pair_id).status == PairStatus.OPEN
    with pytest.raises(ReviewError):
        queue.undo(merge.merge_id, "officer-2")


def test_rejected_pairs_are_not_proposed_again(queue: ReviewQueue) -> None:
    queue.propose([candidate("r3", "r4")])
    queue.reject(pair_key("r3", "r4"), "officer-1")
    assert queue.pending() == []
    assert queue.propose([candidate("r4", "r3", 20.0)]) == 0
    assert queue.pending() == []
    assert queue.store.get_pair(pair_key("r3", "r4")).decided_by == "officer-1"


def test_pairs_made_redundant_by_a_merge_leave_the_queue(queue: ReviewQueue) -> None:
    queue.propose([candidate("r1", "r3"), candidate("r2", "r3", 8.0)])
    queue.accept(pair_key("r1", "r3"), "officer-1")
    assert queue.pending() == []


def test_unknown_pair_or_merge(queue: ReviewQueue) -> None:
    with pytest.raises(ReviewError):
        queue.accept("pair-none", "x")
    with pytest.raises(ReviewError):
        queue.undo("merge-none", "x")


def test_candidates_from_predictions_show_fields_side_by_side() -> None:
    predictions = pd.DataFrame([
        dict(record_id_l="a", record_id_r="b", match_weight=12.5, match_probability=0.999,
             fam_key_l="mamadov", fam_key_r="mamadov", given_key_l="ali", given_key_r="ali", b_year_l=1961,
             b_year_r=pd.NA),
        dict(record_id_l="a", record_id_r="c", match_weight=-9.0, match_probability=0.002,
             fam_key_l="mamadov", fam_key_r="aliav", given_key_l="ali", given_key_r="ali", b_year_l=1961,
             b_year_r=1970),
    ])
    [pair] = candidates_from_predictions(predictions)
    assert pair.pair_id == pair_key("a", "b")
    assert pair.fields["family name"] == ("mamadov", "mamadov")
    assert pair.fields["birth year"] == ("1961", "")
