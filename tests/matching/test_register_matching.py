"""A refcase imported into a fresh register and matched from it gives the LRs of `mpid match` on the JSON."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.registry.db import make_session_factory, session_scope  # noqa: E402
from mpid.registry.models import PedigreePerson, Remains  # noqa: E402
from mpid.registry.testing import migrated_register  # noqa: E402
from mpid.services.importing import import_file  # noqa: E402
from mpid.services.matching import MatchSettings, run_direct_matching, run_matching  # noqa: E402
from refcase_compare import REFCASE_DIR  # noqa: E402


@pytest.mark.parametrize("case", ["F02_dvi_small_3fam_4vic", "F05_dvi_degraded_equal_mut"])
def test_register_matching_equals_refcase(tmp_path, case):
    path = REFCASE_DIR / f"{case}.json"
    expected = json.loads(path.read_text())["expected"]["pairwise_lr"]
    with migrated_register("sqlite", tmp_path) as engine:
        import_file(engine, "refcase", path)
        factory = make_session_factory(engine)
        with session_scope(factory) as s:
            run = run_matching(s, MatchSettings(threshold_lr=1e-300), started_by="test")
            label_of = {p.missing_person_id: p.label for p in s.scalars(select(PedigreePerson))}
            checked = 0
            for c in run.candidates:
                victim = s.get(Remains, c.remains_id).code.rsplit("-", 1)[-1]
                want = expected[victim][label_of[c.missing_person_id]]
                assert want is not None and want > 0
                assert math.isclose(c.lr, want, rel_tol=1e-9), (victim, c.lr, want)
                per_locus = math.prod(v for v in c.per_locus.values())
                assert math.isclose(per_locus, want, rel_tol=1e-9)
                checked += 1
            positive = sum(1 for row in expected.values() for v in row.values() if v)
            assert checked == positive
            assert run.summary["cases_moved_to_candidate"] > 0


def test_direct_matching_run_groups_nothing_in_distinct_victims(tmp_path):
    with migrated_register("sqlite", tmp_path) as engine:
        import_file(engine, "refcase", REFCASE_DIR / "F02_dvi_small_3fam_4vic.json")
        with session_scope(make_session_factory(engine)) as s:
            run = run_direct_matching(s)
            assert run.summary["n_same_person_pairs"] == 0
            assert run.summary["n_individuals"] == 4


@pytest.mark.parametrize("case", ["F03_dvi_mutation_stepwise", "F05_dvi_degraded_equal_mut", "F02_dvi_small_3fam_4vic"])
def test_stored_per_locus_lrs_are_the_exact_engines(tmp_path, case):
    """A run stores every candidate's per-locus LRs as the exact engine gives them (most read from the
    search's tables, the rest computed), whatever the mutation model."""
    from mpid.genetics.kinship import missing_person_lr
    from mpid.services.matching import build_problem

    with migrated_register("sqlite", tmp_path) as engine:
        import_file(engine, "refcase", REFCASE_DIR / f"{case}.json")
        with session_scope(make_session_factory(engine)) as s:
            settings = MatchSettings(threshold_lr=1e-300)
            run = run_matching(s, settings, started_by="test")
            problem = build_problem(s, settings)
            family_of = {problem.missing_ids[f"{f.family}/{f.missing}"]: f for f in problem.families}
            remains_of = {problem.remains_ids[r.remains_id]: r for r in problem.remains}
            assert run.candidates
            for c in run.candidates:
                fam, rem = family_of[c.missing_person_id], remains_of[c.remains_id]
                exact = missing_person_lr(fam.pedigree, fam.missing, "R", problem.markers,
                                          {**fam.genotypes, "R": rem.genotypes}, dropout={"R": rem.dropout})
                assert list(c.per_locus) == [m.name for m in problem.markers]
                for name, want in exact.per_marker.items():
                    got = c.per_locus[name]
                    assert (got is None) == (want is None or math.isinf(want))
                    if got is not None:
                        assert math.isclose(got, want, rel_tol=1e-9), (case, name, got, want)
