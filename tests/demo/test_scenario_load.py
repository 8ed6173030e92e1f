"""Loading a scenario into a register: real import paths, idempotent, truth never read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mpid.registry.db import make_engine, make_session_factory
from mpid.registry.migrate import upgrade_database
from mpid.registry.models import CaseStatus, Consent, Donor, Family, MissingPerson, Profile, Remains, Sample, Site
from mpid.services.evaluation import eligible, reference_kind
from mpid.services.scenario import _consensus, deduplicate_register, load_scenario, scenario_files
from mpid.simulate.scenario import write_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenario") / "small"
    write_scenario("small", 3, out)
    return out


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_load_without_truth_is_complete_and_idempotent(scenario: Path, tmp_path: Path) -> None:
    blind = tmp_path / "blind"
    shutil.copytree(scenario, blind, ignore=shutil.ignore_patterns("truth"))
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    upgrade_database(engine)
    first = load_scenario(engine, blind)
    files = scenario_files(blind)
    meta = files.scenario["counts"]
    factory = make_session_factory(engine)
    with factory() as session:
        assert _count(session, MissingPerson) == meta["reports"]
        assert _count(session, Site) == meta["sites"]
        assert _count(session, Remains) == meta["remains"]
        assert _count(session, Family) == meta["families"]
        assert _count(session, Donor) == meta["donors"]
        assert _count(session, Consent) == meta["donors"]
        donor_samples = session.scalar(select(func.count()).select_from(Sample).where(Sample.donor_id.is_not(None)))
        assert donor_samples == meta["donors"]
        assert _count(session, Profile) >= meta["donors"] + meta["samples"] - meta["failed_samples"]
    assert first.steps["families"]["missing_linked"] == meta["missing"]
    again = load_scenario(engine, blind)
    assert again.steps["families"]["families_skipped"] == meta["families"]
    with factory() as session:
        assert _count(session, Donor) == meta["donors"]
        assert _count(session, Remains) == meta["remains"]
    merged = deduplicate_register(engine, files.registers)
    assert merged["cases_merged"] > 0
    with factory() as session:
        open_cases = session.scalar(select(func.count()).select_from(MissingPerson)
                                    .where(MissingPerson.status != CaseStatus.MERGED_DUPLICATE))
        assert meta["missing"] <= open_cases < meta["reports"]


def test_consensus_of_samples() -> None:
    assert _consensus([("12", None), ("14", None)]) == ("12", "14")
    assert _consensus([("12", None), ("12", "14")]) == ("12", "14")
    assert _consensus([("12", None)]) == ("12", None)
    assert _consensus([("12", "12"), ("12", None)]) == ("12", "12")
    assert _consensus([("9.3", None), ("10", None)]) == ("9.3", "10")
    assert _consensus([("10", "11"), ("12", None)]) == ("10", "11")


def test_reference_classes() -> None:
    p = {"typed_parents": "1", "typed_children": "0", "typed_full_siblings": "0", "typed_spouses": "0",
         "n_donors": "1"}
    assert reference_kind(p) == "one parent" and eligible(p)
    s = {**p, "typed_parents": "0", "typed_full_siblings": "1"}
    assert reference_kind(s) == "other relatives only" and not eligible(s)
    assert eligible({**s, "typed_full_siblings": "2"})
    assert reference_kind({**s, "n_donors": "0", "typed_full_siblings": "0"}) == "no references"


def test_single_peak_share_estimates_dropout() -> None:
    from mpid.services.scenario import SINGLE_SHARE_FLOOR, _single_peak_share

    h = {f"L{i}": 0.2 for i in range(10)}
    full = {f"L{i}": ("10", "11") for i in range(10)}
    assert _single_peak_share(full, h) == SINGLE_SHARE_FLOOR
    singles = {f"L{i}": ("10", None) for i in range(10)}
    assert _single_peak_share(singles, h) == 1.0
    half = {**{f"L{i}": ("10", None) for i in range(5)}, **{f"L{i}": ("10", "11") for i in range(5, 10)}}
    assert abs(_single_peak_share(half, h) - (5 - 2) / (10 - 2)) < 1e-12
    assert _single_peak_share({}, h) == 1.0
