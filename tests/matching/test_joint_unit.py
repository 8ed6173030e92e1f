"""Joint solver pieces: priors, bounds, θ, kinship, relationships, sub-problems."""

from __future__ import annotations

import copy
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.formats.refcase import parse_refcase  # noqa: E402
from mpid.formats.refcase_results import dvi_data, joint_results  # noqa: E402
from mpid.genetics.pedigree import Pedigree  # noqa: E402
from mpid.matching.joint import (  # noqa: E402
    STAR,
    DviEngine,
    JointSpaceTooLargeError,
    bmarginal,
    enumerate_assignments,
    find_undisputed,
    generate_pairings,
    joint_table,
    kinship_matrix,
    pairwise_lr,
    posterior,
    relationship_label,
    subset_dvi,
)
from refcase_compare import REFCASE_DIR  # noqa: E402

F01 = REFCASE_DIR / "F01_dvi_small_2fam_3vic.json"


def _engine(case) -> DviEngine:
    """The joint engine over a refcase's markers, genotypes, victims' sexes and θ."""
    return DviEngine(case.markers, case.genotypes, case.victims, case.theta)
F04 = REFCASE_DIR / "F04_dvi_symmetric_brothers.json"


def _case(path: Path, theta: float = 0.0):
    data = json.loads(path.read_text())
    if theta:
        data = copy.deepcopy(data)
        data["settings"]["theta"] = theta
    return parse_refcase(data, str(path))


def test_enumeration_counts_and_bound():
    pairings = {"V1": [STAR, "M1", "M2"], "V2": [STAR, "M1", "M2"]}
    rows = enumerate_assignments(["V1", "V2"], pairings)
    assert len(rows) == 7  # 1 + 2 + 2 + 2 (no missing person twice)
    assert ("M1", "M1") not in rows
    with pytest.raises(JointSpaceTooLargeError):
        enumerate_assignments(["V1", "V2"], pairings, max_assign=5)


def test_posterior_with_prior():
    ll = np.array([-10.0, -11.0, -math.inf])
    flat = posterior(ll)
    assert flat.sum() == pytest.approx(1.0) and flat[2] == 0.0
    assert flat[0] / flat[1] == pytest.approx(math.e)
    tilted = posterior(ll, [1.0, math.e, 1.0])
    assert tilted[0] == pytest.approx(0.5)


def test_user_prior_in_bmarginal():
    case = _case(F01)
    engine = _engine(case)
    dvi = dvi_data(case)
    table = joint_table(dvi, engine)
    prior = np.zeros(len(table.assignments))
    prior[1] = 1.0  # all mass on the second-best row
    marg = bmarginal(table, prior)
    second = dict(zip(table.victims, table.assignments[1], strict=True))
    for v, m in second.items():
        assert marg[v][m] == pytest.approx(1.0)


def test_theta_is_carried_through():
    case0, case1 = _case(F01), _case(F01, theta=0.02)
    res0, res1 = joint_results(case0), joint_results(case1)
    # Single-move rows are pairwise LRs; with θ they are computed from θ-likelihoods.
    engine = _engine(case1)
    dvi = dvi_data(case1)
    pw = pairwise_lr(dvi, engine).lr
    for row in res1["joint"]["table"]:
        moved = [(v, m) for v, m in row["assignment"].items() if m != STAR]
        if len(moved) == 1:
            v, m = moved[0]
            assert row["LR_vs_null"] == pytest.approx(pw[v][m], rel=1e-9)
    lr0 = {tuple(sorted(r["assignment"].items())): r["LR_vs_null"] for r in res0["joint"]["table"]}
    lr1 = {tuple(sorted(r["assignment"].items())): r["LR_vs_null"] for r in res1["joint"]["table"]}
    assert any(lr0[k] > 0 and abs(lr1[k] / lr0[k] - 1) > 1e-6 for k in lr0)


def test_undisputed_moves_victim_data_into_family():
    case = _case(F01)
    engine = _engine(case)
    und = find_undisputed(dvi_data(case), engine)
    assert [r["Sample"] for r in und.summary if r["Conclusion"] == "Undisputed"] == ["V01", "V02"]
    assert not und.reduced.missing or all(m not in und.reduced.missing for m in ("F1_M1", "F2_M1"))


def test_subset_drops_unpaired_victims():
    case = _case(F01)
    engine = _engine(case)
    dvi = dvi_data(case)
    dvi.pairings = generate_pairings(dvi, engine.victim_sex)
    sub = subset_dvi(dvi, missing=["F1_M1"])
    assert sub.victims == ["V01"]  # V02 and V03 (female) had only F2_M1
    assert list(sub.families) == ["F1"]


def test_kinship_and_relationships():
    ped = Pedigree.from_records([
        {"id": "FA", "father": None, "mother": None, "sex": 1},
        {"id": "MO", "father": None, "mother": None, "sex": 2},
        {"id": "A", "father": "FA", "mother": "MO", "sex": 1},
        {"id": "B", "father": "FA", "mother": "MO", "sex": 1},
        {"id": "X", "father": None, "mother": None, "sex": 2},
        {"id": "H", "father": "FA", "mother": "X", "sex": 2},
    ])
    phi = kinship_matrix(ped)
    i = {lab: k for k, lab in enumerate(ped.labels)}
    assert phi[i["A"], i["B"]] == pytest.approx(0.25)
    assert phi[i["A"], i["H"]] == pytest.approx(0.125)
    assert phi[i["FA"], i["A"]] == pytest.approx(0.25)
    assert phi[i["FA"], i["MO"]] == 0.0
    assert relationship_label(ped, "A", "B") == "full siblings"
    assert relationship_label(ped, "A", "H") == "half siblings"
    assert relationship_label(ped, "FA", "A") == "parent-child"


def test_symmetric_brothers_tie_order():
    res = joint_results(_case(F04))
    top = res["joint"]["table"][:2]
    assert top[0]["loglik"] == pytest.approx(top[1]["loglik"], abs=1e-9)
    b = res["bmarginal"]
    assert b["V01"]["F1_M1"] == pytest.approx(b["V01"]["F1_M2"], rel=1e-9)


def test_enumeration_is_iterative_and_bounded():
    # 3000 victims: recursion would overflow; the lower bound 2^3000 stops it at once.
    victims = [f"V{k}" for k in range(3000)]
    pairings = {v: [STAR, f"M{k}"] for k, v in enumerate(victims)}
    with pytest.raises(JointSpaceTooLargeError):
        enumerate_assignments(victims, pairings, max_assign=10_000)
    # A long chain with shared candidates and a small space: enumerated without recursion.
    chain = [f"V{k}" for k in range(1500)]
    shared = {v: [STAR, "M0"] for v in chain}
    rows = enumerate_assignments(chain, shared, max_assign=10_000)
    assert len(rows) == 1501
    brute = enumerate_assignments(["A", "B", "C"], {"A": [STAR, "x", "y"], "B": [STAR, "x"], "C": ["y", STAR]})
    assert sorted(brute) == sorted({(a, b, c) for a in (STAR, "x", "y") for b in (STAR, "x") for c in ("y", STAR)
                                    if len({a, b, c} - {STAR}) == len([z for z in (a, b, c) if z != STAR])})


def test_enumeration_equals_brute_force_on_random_pairings():
    import itertools

    rng = np.random.default_rng(7)
    for _ in range(40):
        n_v, n_m = int(rng.integers(1, 6)), int(rng.integers(1, 5))
        missing = [f"M{k}" for k in range(n_m)]
        victims = [f"V{k}" for k in range(n_v)]
        pairings = {v: [STAR] + [m for m in missing if rng.random() < 0.6] for v in victims}
        brute = {
            a for a in itertools.product(*(pairings[v] for v in victims))
            if len([m for m in a if m != STAR]) == len({m for m in a if m != STAR})
        }
        rows = enumerate_assignments(victims, pairings)
        assert len(rows) == len(set(rows)) == len(brute)
        assert set(rows) == brute
