"""Pedigrees as parallel arrays: labels, father index, mother index, sex.

As in pedtools, a pedigree stores parents before children, founders have no parents
(index -1), and sex is 1 = male, 2 = female, 0 = unknown. Any shape is allowed:
untyped members, several components, loops and consanguinity (cousin marriages,
double first cousins). Three ways in:

* :meth:`Pedigree.from_records` — lenient, for users: takes ``(id, father, mother, sex)``
  records in any order, validates and sorts them;
* :meth:`Pedigree._from_arrays` — fast, internal, trusts its input;
* :func:`validate_pedigree` — collects *every* problem and raises one error listing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Pedigree", "PedigreeError", "validate_pedigree"]

MALE, FEMALE, UNKNOWN_SEX = 1, 2, 0


class PedigreeError(ValueError):
    """A pedigree that cannot be built; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid pedigree: " + "; ".join(problems))


def _record_fields(rec: Mapping | Sequence) -> tuple[str, str | None, str | None, int]:
    if isinstance(rec, Mapping):
        pid, fa, mo, sex = rec.get("id"), rec.get("father"), rec.get("mother"), rec.get("sex", 0)
    else:
        pid, fa, mo, sex = (list(rec) + [None, None, 0])[:4]
    norm = lambda v: None if v in (None, "", 0, "0") else str(v)  # noqa: E731 - pedtools writes 0 for "no parent"
    sex_code = {"male": 1, "m": 1, "1": 1, "female": 2, "f": 2, "2": 2}.get(str(sex).lower(), 0) if sex else 0
    return ("" if pid is None else str(pid)), norm(fa), norm(mo), sex_code


def validate_pedigree(records: Iterable[Mapping | Sequence]) -> list[tuple[str, str | None, str | None, int]]:
    """Check pedigree records and return them normalised; raise :class:`PedigreeError` listing all problems.

    Problems found: empty or repeated id, unknown parent id, one parent given without the
    other, a father who is not male or a mother who is not female, the same person as both
    parents, and a person who is their own ancestor.
    """
    recs = [_record_fields(r) for r in records]
    problems: list[str] = []
    ids = [r[0] for r in recs]
    seen: set[str] = set()
    for pid in ids:
        if not pid:
            problems.append("a person has an empty id")
        elif pid in seen:
            problems.append(f"id {pid!r} appears more than once")
        seen.add(pid)
    by_id = {r[0]: r for r in recs}
    for pid, fa, mo, _sex in recs:
        if (fa is None) != (mo is None):
            problems.append(f"{pid!r} has only one parent given ({'father' if fa else 'mother'}); give both or neither")
        for role, par, want in (("father", fa, MALE), ("mother", mo, FEMALE)):
            if par is None:
                continue
            if par not in by_id:
                problems.append(f"{pid!r} has unknown {role} id {par!r}")
                continue
            psex = by_id[par][3]
            if psex != want:
                problems.append(
                    f"{par!r} is the {role} of {pid!r} but has sex "
                    f"{ {0: 'unknown', 1: 'male', 2: 'female'}[psex] }"
                )
        if fa is not None and fa == mo:
            problems.append(f"{pid!r} has the same person {fa!r} as father and mother")
        if pid in (fa, mo):
            problems.append(f"{pid!r} is their own parent")
    if not problems:
        cyc = _find_cycle(recs)
        if cyc:
            problems.append(f"{cyc!r} is their own ancestor")
    if problems:
        raise PedigreeError(problems)
    return recs


def _find_cycle(recs: list[tuple[str, str | None, str | None, int]]) -> str | None:
    parents = {r[0]: [p for p in (r[1], r[2]) if p is not None] for r in recs}
    state: dict[str, int] = {}
    for start in parents:
        if state.get(start):
            continue
        stack = [(start, iter(parents[start]))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return nxt
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(parents[nxt])))
    return None


@dataclass(frozen=True, eq=False)
class Pedigree:
    """A pedigree: ``labels[i]`` has parents ``father[i]``, ``mother[i]`` (-1 = founder) and ``sex[i]``.

    Parents always come before their children.
    """

    labels: tuple[str, ...]
    father: np.ndarray
    mother: np.ndarray
    sex: np.ndarray

    @classmethod
    def from_records(cls, records: Iterable[Mapping | Sequence]) -> Pedigree:
        """Build from ``(id, father, mother, sex)`` records (dicts or tuples), validating everything."""
        recs = validate_pedigree(records)
        # Order parents before children (stable for the given order).
        by_id = {r[0]: r for r in recs}
        order: list[str] = []
        placed: set[str] = set()

        def place(pid: str) -> None:
            stack = [pid]
            while stack:
                cur = stack[-1]
                if cur in placed:
                    stack.pop()
                    continue
                pending = [p for p in by_id[cur][1:3] if p is not None and p not in placed]
                if pending:
                    stack.extend(pending)
                else:
                    placed.add(cur)
                    order.append(cur)
                    stack.pop()

        for r in recs:
            place(r[0])
        index = {pid: i for i, pid in enumerate(order)}
        fa = np.array([index[by_id[p][1]] if by_id[p][1] else -1 for p in order], dtype=np.int64)
        mo = np.array([index[by_id[p][2]] if by_id[p][2] else -1 for p in order], dtype=np.int64)
        sx = np.array([by_id[p][3] for p in order], dtype=np.int64)
        return cls._from_arrays(tuple(order), fa, mo, sx)

    @classmethod
    def _from_arrays(cls, labels: tuple[str, ...], father: np.ndarray, mother: np.ndarray, sex: np.ndarray) -> Pedigree:
        """Internal constructor: trusts that the arrays are a valid, parents-first pedigree."""
        for a in (father, mother, sex):
            a.setflags(write=False)
        return cls(labels, father, mother, sex)

    # -- queries -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.labels)

    def index(self, label: str) -> int:
        """Position of a person (KeyError naming the id if absent)."""
        try:
            return self.labels.index(label)
        except ValueError:
            raise KeyError(f"no person {label!r} in the pedigree") from None

    @property
    def founders(self) -> np.ndarray:
        """Indices of persons without parents in the pedigree."""
        return np.flatnonzero(self.father < 0)

    @property
    def nonfounders(self) -> np.ndarray:
        """Indices of persons with both parents in the pedigree."""
        return np.flatnonzero(self.father >= 0)

    def children(self, i: int) -> np.ndarray:
        """Indices of the children of person ``i``."""
        return np.flatnonzero((self.father == i) | (self.mother == i))

    def records(self) -> list[dict]:
        """The pedigree as ``{id, father, mother, sex}`` records (parents first)."""
        lab = self.labels
        return [
            {
                "id": lab[i],
                "father": lab[self.father[i]] if self.father[i] >= 0 else None,
                "mother": lab[self.mother[i]] if self.mother[i] >= 0 else None,
                "sex": int(self.sex[i]),
            }
            for i in range(len(lab))
        ]

    def components(self) -> list[np.ndarray]:
        """Connected components (by parent–child links), each as sorted person indices."""
        n = len(self.labels)
        root = list(range(n))

        def find(x: int) -> int:
            while root[x] != x:
                root[x] = root[root[x]]
                x = root[x]
            return x

        for i in range(n):
            for p in (self.father[i], self.mother[i]):
                if p >= 0:
                    root[find(i)] = find(int(p))
        groups: dict[int, list[int]] = {}
        for i in range(n):
            groups.setdefault(find(i), []).append(i)
        return [np.array(g) for g in groups.values()]

    def subset(self, keep: Sequence[int]) -> Pedigree:
        """The sub-pedigree of the given persons; a kept person whose parents are dropped becomes a founder."""
        keep = sorted(int(k) for k in keep)
        pos = {k: j for j, k in enumerate(keep)}
        fa = np.array([pos.get(int(self.father[k]), -1) for k in keep], dtype=np.int64)
        mo = np.array([pos.get(int(self.mother[k]), -1) for k in keep], dtype=np.int64)
        both = (fa >= 0) & (mo >= 0)
        fa[~both] = -1
        mo[~both] = -1
        return Pedigree._from_arrays(
            tuple(self.labels[k] for k in keep), fa, mo, self.sex[keep].copy()
        )

    def relabel(self, mapping: Mapping[str, str]) -> Pedigree:
        """The same pedigree with some persons renamed."""
        return Pedigree._from_arrays(
            tuple(mapping.get(x, x) for x in self.labels), self.father.copy(), self.mother.copy(), self.sex.copy()
        )
