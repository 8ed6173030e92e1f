"""Group scored pairs of reports into persons without chaining different people together.

Plain connected components merge A with C whenever A–B and B–C are matches, even if A and C
plainly disagree (a sparse report "Məmmədov Əli, 1960" links two different Əli Məmmədovs).
:func:`constrained_clusters` instead merges pairs from the most to the least probable and
refuses a merge when any two reports of the two groups conflict: their own score is low, or
their given names or birth dates clearly differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "ConflictFeatures",
    "birth_dates_conflict",
    "constrained_clusters",
    "edit_distance",
    "given_names_conflict",
    "jaro_winkler",
]


def jaro_winkler(a: str, b: str, prefix_scale: float = 0.1) -> float:
    """Jaro–Winkler similarity of two strings (1.0 identical, 0.0 nothing in common)."""
    if a == b:
        return 1.0
    len_a, len_b = len(a), len(b)
    if not len_a or not len_b:
        return 0.0
    window = max(max(len_a, len_b) // 2 - 1, 0)
    matched_b = [False] * len_b
    matches_a = []
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len_b, i + window + 1)):
            if not matched_b[j] and b[j] == char:
                matched_b[j] = True
                matches_a.append(char)
                break
    m = len(matches_a)
    if not m:
        return 0.0
    matches_b = [b[j] for j in range(len_b) if matched_b[j]]
    transpositions = sum(x != y for x, y in zip(matches_a, matches_b, strict=True)) / 2
    jaro = (m / len_a + m / len_b + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_scale * (1 - jaro)


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        previous_previous, previous = previous, current
    return previous[len(b)]


@dataclass(frozen=True, slots=True)
class ConflictFeatures:
    """The keys of one report needed to tell whether two reports cannot be one person."""

    given_key: str | None
    given_phon: str | None
    fam_phon: str | None
    b_year: int | None
    b_month: int | None
    b_day: int | None


def given_names_conflict(a: ConflictFeatures, b: ConflictFeatures) -> bool:
    """True if the given names clearly differ: not a spelling variant (Jaro–Winkler ≥ 0.8 or one
    edit apart, which matters for short names), an initial or a swap."""
    if not a.given_key or not b.given_key or a.given_key == b.given_key:
        return False
    if len(a.given_key) == 1 or len(b.given_key) == 1:
        return a.given_key[0] != b.given_key[0]
    if a.fam_phon and a.fam_phon == b.given_phon and a.given_phon == b.fam_phon:
        return False  # family and given name written in each other's field
    return jaro_winkler(a.given_key, b.given_key) < 0.8 and edit_distance(a.given_key, b.given_key) > 1


def _one_digit_off(x: int, y: int) -> bool:
    """Years that differ by one, in one digit, or by swapping the last two digits."""
    return (abs(x - y) == 1 or x // 10 == y // 10 or x % 10 == y % 10
            or (x % 10 == (y // 10) % 10 and (x // 10) % 10 == y % 10))


def birth_dates_conflict(a: ConflictFeatures, b: ConflictFeatures) -> bool:
    """True if both birth years are known and differ beyond a plausible recording error."""
    if a.b_year is None or b.b_year is None or abs(a.b_year - b.b_year) <= 1:
        return False
    same_day = a.b_month is not None and a.b_month == b.b_month and a.b_day is not None and a.b_day == b.b_day
    return not (same_day and _one_digit_off(a.b_year, b.b_year))


def constrained_clusters(
    ids: Iterable[str],
    edges: Iterable[tuple[str, str, float]],
    known_scores: Mapping[tuple[str, str], tuple[float, bool]],
    features: Mapping[str, ConflictFeatures],
    *,
    conflict_probability: float = 0.05,
) -> dict[str, str]:
    """Merge edges (left, right, probability) best first, unless the two groups conflict.

    ``known_scores`` maps an ordered pair (smaller id first) to its probability and whether it
    may be merged automatically; a known pair conflicts if its probability is below
    ``conflict_probability`` or it may not be merged; any pair conflicts if its given names or
    birth dates clearly differ. Returns each id's group root (smallest id of the group).
    """
    parent: dict[str, str] = {record_id: record_id for record_id in ids}
    members: dict[str, list[str]] = {record_id: [record_id] for record_id in parent}

    def find(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def conflict(group_a: list[str], group_b: list[str]) -> bool:
        for a in group_a:
            for b in group_b:
                key = (a, b) if a < b else (b, a)
                known = known_scores.get(key)
                if known is not None and (known[0] < conflict_probability or not known[1]):
                    return True
                if given_names_conflict(features[a], features[b]) or birth_dates_conflict(features[a], features[b]):
                    return True
        return False

    for left, right, _probability in sorted(edges, key=lambda edge: -edge[2]):
        root_left, root_right = find(left), find(right)
        if root_left == root_right or conflict(members[root_left], members[root_right]):
            continue
        if root_right < root_left:
            root_left, root_right = root_right, root_left
        parent[root_right] = root_left
        members[root_left].extend(members.pop(root_right))
    return {record_id: find(record_id) for record_id in parent}
