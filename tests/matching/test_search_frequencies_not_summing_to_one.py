"""Blind search against the exact engine when a marker's frequencies do not sum to 1.

Frequencies are used as given (a 5/2N floor added to a table makes Σp > 1; a table read from
a file can sum to a little less than 1). The exact engine (``missing_person_lr``) then works in
pedprobr's allele spaces: the listed alleles with their frequencies, and, where it lumps the
alleles nobody carries, one lump of mass 1 − Σ(observed). The search must give its LR, to 1e-9
relative, for exact, partial and degraded (dropout) genotypes, without mutation and with the
``stepwise``, ``equal`` and ``proportional`` models, and for families with one, two or several
typed references (references with few distinct alleles included: the lumped shapes).

Scaling the frequencies by 0.97 or 1.02 makes any wrong convention visible at ~1e-4–1e-2,
far above rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mpid.genetics.kinship import missing_person_lr
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree
from mpid.matching.search import LocalEngine, RemainsProfile, SearchSettings, blind_search, pairwise_matrices
from mpid.matching.tables import FamilyInput, build_tables

ALLELES = tuple(str(a) for a in range(10, 19))
BASE = np.array([0.05, 0.12, 0.2, 0.18, 0.15, 0.1, 0.09, 0.07, 0.04])  # sums to exactly 1
MODELS = {
    "none": None,
    "stepwise": {"model": "stepwise", "rate": 0.01, "rate2": 1e-5, "range": 0.1},
    "equal": {"model": "equal", "rate": 0.01},
    "proportional": {"model": "proportional", "rate": 0.01},
}
SCALES = (0.97, 1.02)
GENOTYPES = {
    "exact": ("12", "16"),
    "homozygous": ("13", "13"),
    "partial": ("14", None),
    "partial, allele no reference carries": ("18", None),
}
DROPOUTS = (0.0, 0.1)

# Where the search still differs from the exact engine (see docs/models.md §7, "Known limits"):
# ``stepwise`` with pedprobr's special lumping when a typed founder has a partial genotype (its
# unseen allele's frequency is rescaled too), and a lumping model with every family member typed
# and a homozygous genotype with dropout (the exact engine does not lump then, though the partial
# genotypes of the same family are lumped).
KNOWN_LIMITS = {("stepwise", "one parent, partial", None, None)} | {
    (model, "spouse and children", "homozygous", 0.1) for model in ("equal", "proportional")
}


def _known_limit(model: str, family: str, genotype: str, dropout: float) -> bool:
    return (model, family, None, None) in KNOWN_LIMITS or (model, family, genotype, dropout) in KNOWN_LIMITS


def _marker(scale: float, model: str, name: str = "M") -> Marker:
    freqs = BASE * scale
    spec = MODELS[model]
    mutation = None if spec is None else MutationModel.from_params(ALLELES, freqs, spec, spec)
    return Marker(name, ALLELES, freqs, mutation)


def _families(name: str = "M") -> list[FamilyInput]:
    quartet = Pedigree.from_records(
        [("F", None, None, 1), ("Mo", None, None, 2), ("MP", "F", "Mo", 1), ("S", "F", "Mo", 2)]
    )
    nuclear = Pedigree.from_records([
        ("MP", None, None, 1), ("W", None, None, 2), ("C1", "MP", "W", 1), ("C2", "MP", "W", 2), ("C3", "MP", "W", 1),
    ])
    # Untyped founders with one child each (pedprobr's special lumping with stepwise): the missing
    # person's mother, and a child's mother.
    three = Pedigree.from_records([
        ("F", None, None, 1), ("Mo", None, None, 2), ("MP", "F", "Mo", 1), ("W", None, None, 2), ("C", "MP", "W", 2),
    ])
    founder = Pedigree.from_records([("MP", None, None, 1), ("W", None, None, 2), ("C1", "MP", "W", 2),
                                     ("C2", "MP", "W", 1)])
    return [
        FamilyInput("one parent", quartet, "MP", {"F": {name: ("12", "14")}}),
        FamilyInput("two children, their mother untyped", founder, "MP",
                    {"C1": {name: ("15", "16")}, "C2": {name: ("12", "16")}}),
        FamilyInput("one parent, partial", quartet, "MP", {"F": {name: ("12", None)}}),
        FamilyInput("one child", three, "MP", {"C": {name: ("15", "16")}}),
        FamilyInput("father and a child", three, "MP", {"F": {name: ("12", "14")}, "C": {name: ("14", "17")}}),
        FamilyInput("parent and sibling", quartet, "MP", {"F": {name: ("12", "14")}, "S": {name: ("14", "16")}}),
        # Few distinct alleles among the references: the lumped space is small.
        FamilyInput("homozygous references", quartet, "MP", {"F": {name: ("13", "13")}, "S": {name: ("13", "13")}}),
        FamilyInput("spouse and children", nuclear, "MP", {
            "W": {name: ("11", "15")}, "C1": {name: ("11", "12")}, "C2": {name: ("15", "17")},
            "C3": {name: ("11", "17")},
        }),
    ]


def _remains(name: str = "M") -> list[RemainsProfile]:
    return [
        RemainsProfile(f"{kind} / dropout {d}", {name: g}, 0, d)
        for kind, g in GENOTYPES.items() for d in DROPOUTS
    ]


def _exact(fam: FamilyInput, rem: RemainsProfile, markers: list[Marker]) -> float:
    lr = missing_person_lr(fam.pedigree, fam.missing, "POI", markers, {**fam.genotypes, "POI": rem.genotypes},
                           dropout={"POI": rem.dropout}).total
    assert lr is not None
    return lr


def _compare(model: str, scale: float) -> tuple[dict, dict]:
    """Relative differences search − exact per (family, remains): (cases expected equal, known limits)."""
    markers = [_marker(scale, model)]
    families, remains = _families(), _remains()
    lr, _counts = pairwise_matrices(remains, families, markers)
    res = blind_search(remains, families, markers, SearchSettings(threshold_lr=0.0, prior=0.1, prune=False),
                       engine=LocalEngine(1))
    found = {(c.remains_id, c.family): c.lr for c in res.candidates}
    expected, limits = {}, {}
    for ri, rem in enumerate(remains):
        kind, d = next((k, d) for k, g in GENOTYPES.items() for d in DROPOUTS if rem.remains_id == f"{k} / dropout {d}")
        for fi, fam in enumerate(families):
            exact = _exact(fam, rem, markers)
            diff = max(abs(lr[ri, fi] - exact), abs(found.get((rem.remains_id, fam.family), 0.0) - exact))
            rel = diff / exact if exact > 0 else diff  # LR 0 (an exclusion without mutation): exactly 0
            (limits if _known_limit(model, fam.family, kind, d) else expected)[fam.family, rem.remains_id] = rel
    return expected, limits


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("model", list(MODELS))
def test_search_equals_the_exact_engine(model, scale):
    expected, _limits = _compare(model, scale)
    assert len(expected) >= 24
    worst = max(expected.items(), key=lambda kv: kv[1])
    assert worst[1] <= 1e-9, f"largest relative difference {worst[1]:.2e} at {worst[0]}"


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="known limits: stepwise special lumping, partial founder; fully typed family, dropout")
@pytest.mark.parametrize("model", ["stepwise", "equal"])
def test_known_limits_still_differ(model):
    """The cases of KNOWN_LIMITS do differ (by ~2e-2 for stepwise, ~3e-6 for equal, at Σp = 0.97): if this
    starts passing, the limit is gone; take it out of KNOWN_LIMITS and the docs."""
    _expected, limits = _compare(model, 0.97)
    assert max(limits.values()) <= 1e-9


def test_several_markers_multiply():
    """Markers short of 1 and over 1, with and without mutation, in one search: the product is exact."""
    specs = [(0.97, "none"), (1.02, "none"), (0.97, "equal"), (1.02, "proportional"), (1.02, "stepwise")]
    markers = [_marker(scale, model, f"M{k}") for k, (scale, model) in enumerate(specs)]
    quartet = Pedigree.from_records(
        [("F", None, None, 1), ("Mo", None, None, 2), ("MP", "F", "Mo", 1), ("S", "F", "Mo", 2)]
    )
    refs = {"F": {m.name: ("12", "14") for m in markers}, "S": {m.name: ("14", "16") for m in markers}}
    fam = FamilyInput("fam", quartet, "MP", refs)
    gts = [("12", "16"), ("14", None), ("13", "13"), ("18", None), ("15", "16")]
    remains = [
        RemainsProfile(f"r{d}", {m.name: gts[(k + j) % len(gts)] for k, m in enumerate(markers)}, 0, d)
        for j, d in enumerate((0.0, 0.05, 0.2))
    ]
    res = blind_search(remains, [fam], markers, SearchSettings(threshold_lr=0.0, prior=0.5, prune=False),
                       engine=LocalEngine(1))
    assert len(res.candidates) == len(remains)
    for c in res.candidates:
        rem = next(r for r in remains if r.remains_id == c.remains_id)
        assert c.lr == pytest.approx(_exact(fam, rem, markers), rel=1e-9)


def test_frequencies_summing_to_exactly_one_leave_no_nan():
    """The remainder allele has frequency 0 when the listed alleles sum to 1: nothing is divided by it."""
    alleles = ("10", "11", "12", "13", "14")
    freqs = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
    assert float(np.sum(freqs)) == 1.0
    for spec in MODELS.values():
        m = Marker("M", alleles, freqs, None if spec is None else MutationModel.from_params(alleles, freqs, spec, spec))
        fams = [FamilyInput(f.family, f.pedigree, f.missing,
                            {p: {"M": tuple("10" if a == "15" else a if a in alleles else "12" for a in g["M"])}
                             for p, g in f.genotypes.items()}) for f in _families()]
        for ft in build_tables(fams, [m]):
            assert not np.isnan(ft.tables["M"].lr).any()
        remains = [RemainsProfile("p", {"M": ("11", None)}, 0, 0.0), RemainsProfile("d", {"M": ("13", "13")}, 0, 0.2)]
        lr, _ = pairwise_matrices(remains, fams, [m])
        assert np.isfinite(lr).all()
        for ri, rem in enumerate(remains):
            for fi, fam in enumerate(fams):
                assert lr[ri, fi] == pytest.approx(_exact(fam, rem, [m]), rel=1e-9)


def test_pruning_keeps_every_candidate_when_frequencies_exceed_one():
    """With Σp > 1 the remainder's coefficients are negative and the others sum to more than 1, so the
    pruning bound allows for a factor above the table's largest entry: nothing at the threshold is lost."""
    markers = [_marker(1.02, "equal", f"M{k}") for k in range(4)]
    quartet = Pedigree.from_records(
        [("F", None, None, 1), ("Mo", None, None, 2), ("MP", "F", "Mo", 1), ("S", "F", "Mo", 2)]
    )
    fam = FamilyInput("fam", quartet, "MP", {"F": {m.name: ("13", "13") for m in markers},
                                             "S": {m.name: ("13", "14") for m in markers}})
    remains = [RemainsProfile(f"r{k}", {m.name: ("13", None) for m in markers}, 0, 0.0) for k in range(2)]
    exact = _exact(fam, remains[0], markers)
    for thr in (exact * (1 - 1e-12), exact * 0.999):
        pruned = blind_search(remains, [fam], markers, SearchSettings(threshold_lr=thr, prune=True),
                              engine=LocalEngine(1))
        assert len(pruned.candidates) == 2
        assert all(math.isclose(c.lr, exact, rel_tol=1e-9) for c in pruned.candidates)


def test_a_floor_on_a_real_marker_with_stepwise():
    """A 5/2N-like floor (Σp = 1.005) on a real marker with the demo's stepwise model: single-parent and
    parent-and-child references (pedprobr's special lumping), exact and partial genotypes."""
    from mpid.genetics.frequencies import load_builtin_table

    mf = load_builtin_table()["D18S51"]
    freqs = np.asarray(mf.freqs) * 1.005
    spec = {"model": "stepwise", "rate": 0.001, "rate2": 1e-6, "range": 0.1}
    marker = Marker(mf.name, mf.alleles, freqs, MutationModel.from_params(mf.alleles, freqs, spec, spec))
    a = mf.alleles
    three = Pedigree.from_records([
        ("F", None, None, 1), ("Mo", None, None, 2), ("MP", "F", "Mo", 1), ("W", None, None, 2), ("C", "MP", "W", 2),
    ])
    fams = [
        FamilyInput("one parent", three, "MP", {"F": {mf.name: (a[3], a[6])}}),
        FamilyInput("father and child", three, "MP", {"F": {mf.name: (a[3], a[6])}, "C": {mf.name: (a[6], a[9])}}),
    ]
    remains = [RemainsProfile("exact", {mf.name: (a[6], a[12])}), RemainsProfile("partial", {mf.name: (a[3], None)}),
               RemainsProfile("unseen", {mf.name: (a[15], None)}, 0, 0.1)]
    lr, _ = pairwise_matrices(remains, fams, [marker])
    for ri, rem in enumerate(remains):
        for fi, fam in enumerate(fams):
            assert lr[ri, fi] == pytest.approx(_exact(fam, rem, [marker]), rel=1e-9)
