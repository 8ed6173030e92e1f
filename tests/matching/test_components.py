"""Components: split, bound, exact solve; marginals equal dvir's Bmarginal on every dvi refcase with a joint."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.formats.refcase import Refcase, load_refcase  # noqa: E402
from mpid.matching.components import (  # noqa: E402
    CandidateEdge,
    ComponentSettings,
    ReferenceFamily,
    Remains,
    link_components,
    solve_components,
)
from mpid.matching.joint import STAR  # noqa: E402
from refcase_compare import REL, refcase_paths  # noqa: E402

WITH_JOINT = [p for p in refcase_paths("dvi") if "bmarginal" in json.loads(p.read_text())["expected"]]


def _inputs(case: Refcase) -> tuple[list[CandidateEdge], dict, dict]:
    exp = case.raw["expected"]
    fam_of = {m: f.name for f in case.families for m in f.missing}
    families = {
        f.name: ReferenceFamily(f.name, f.pedigree, f.missing,
                                {p: case.genotypes[p] for p in f.references if p in case.genotypes})
        for f in case.families
    }
    remains = {v: Remains(v, case.genotypes.get(v, {})) for v in case.victims}
    edges = [
        CandidateEdge(v, fam_of[m], m, lr, exp["exclusion_matrix"][v][m])
        for v, row in exp["pairwise_lr"].items() for m, lr in row.items() if lr
    ]
    return edges, families, remains


@pytest.mark.parametrize("path", WITH_JOINT, ids=lambda p: p.stem)
def test_marginals_equal_bmarginal(path: Path):
    case = load_refcase(path)
    edges, families, remains = _inputs(case)
    settings = ComponentSettings(lr_floor=1e-300, max_incompatible=10**6, max_assignments=10**6, max_floor=1e-300)
    solved, report = solve_components(edges, families, remains, case.markers, settings)
    assert report.share_exact == 1.0
    got: dict[str, dict[str, float]] = {}
    for c in solved:
        got.update(c.marginals)
    for v, row in case.raw["expected"]["bmarginal"].items():
        for m, p in row.items():
            q = got.get(v, {STAR: 1.0}).get(m, 0.0)
            if p == 0:
                assert q == pytest.approx(0.0, abs=1e-300), (v, m)
            elif p > 1e-300:
                assert abs(q - p) <= REL * p + 1e-15, (v, m, p, q)


def test_link_components_uses_families_as_nodes():
    edges = [
        CandidateEdge("R1", "F1", "F1_M1", 1e6),
        CandidateEdge("R2", "F1", "F1_M2", 1e5),  # same family, other missing: same component
        CandidateEdge("R3", "F2", "F2_M1", 50.0),  # below the floor
        CandidateEdge("R4", "F3", "F3_M1", 1e9, n_incompatible=5),  # too many incompatibilities
        CandidateEdge("R5", "F4", "F4_M1", 1e3),
    ]
    comps = link_components(edges, 100.0, 2)
    assert sorted((c.remains, c.families) for c in comps) == [(("R1", "R2"), ("F1",)), (("R5",), ("F4",))]


def test_bound_raises_floor_and_reports(tmp_path: Path):
    case = load_refcase(WITH_JOINT[-1])
    edges, families, remains = _inputs(case)
    tight = ComponentSettings(lr_floor=1e-300, max_incompatible=10**6, max_assignments=5, floor_step=1e100,
                              max_floor=1e-100)
    solved, report = solve_components(edges, families, remains, case.markers, tight)
    assert report.n_remains_not_exact > 0
    assert report.share_exact < 1.0
    assert "not solved exactly" in report.summary()
    assert all(not c.marginals for c in solved if not c.exact)
    # With room to raise the floor, the big component splits and more is solved exactly.
    loose = ComponentSettings(lr_floor=1e-300, max_incompatible=2, max_assignments=50, floor_step=1e150,
                              max_floor=1e10)
    _, report2 = solve_components(edges, families, remains, case.markers, loose)
    assert report2.share_exact >= report.share_exact
    assert report2.to_dict()["share_exact"] == report2.share_exact


def test_placement_prior_odds_moves_mass_to_star():
    case = load_refcase(WITH_JOINT[0])
    edges, families, remains = _inputs(case)
    flat = ComponentSettings(lr_floor=1e-300, max_incompatible=10**6, max_floor=1e-300)
    strict = ComponentSettings(lr_floor=1e-300, max_incompatible=10**6, max_floor=1e-300, placement_prior_odds=1e-6)
    m_flat = {r: m for c in solve_components(edges, families, remains, case.markers, flat)[0]
              for r, m in c.marginals.items()}
    m_strict = {r: m for c in solve_components(edges, families, remains, case.markers, strict)[0]
                for r, m in c.marginals.items()}
    assert any(m_strict[r][STAR] > m_flat[r][STAR] for r in m_flat)
    assert all(m_strict[r][STAR] >= m_flat[r][STAR] - 1e-12 for r in m_flat)
    with pytest.raises(ValueError):
        ComponentSettings(placement_prior_odds=0.0)
