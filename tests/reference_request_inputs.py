"""Shared inputs of the reference-request tests (service and web): two families and hand-made joint runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mpid.registry.models import MatchRun, SampleType, Sex
from mpid.registry.models.enums import MatchRunKind, MatchRunStatus
from mpid.services.intake import ReportInput, register_report
from mpid.services.references import ConsentInput, PedigreePersonInput, define_family, register_donor
from mpid.services.sites import record_sample

CONSENT = ConsentInput(date(2024, 1, 1))


def brothers_and_a_neighbour(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """FAM1: two missing brothers B1, B2 with their mother typed; FAM2: missing C with his mother typed."""
    cases = {code: register_report(session, ReportInput("Agency (test)", f"Test {code}", sex=Sex.MALE),
                                   case_code=f"MP-{code}") for code in ("B1", "B2", "C")}
    mothers = {}
    for fam in ("FAM1", "FAM2"):
        mothers[fam] = register_donor(session, sex=Sex.FEMALE, stated_relationship="mother", consent=CONSENT)
        record_sample(session, f"REF-{fam}-M", SampleType.BUCCAL, donor=mothers[fam])
    define_family(session, "FAM1", [
        PedigreePersonInput("F", Sex.MALE), PedigreePersonInput("M", Sex.FEMALE, donor=mothers["FAM1"]),
        PedigreePersonInput("B1", Sex.MALE, "F", "M", missing_person=cases["B1"]),
        PedigreePersonInput("B2", Sex.MALE, "F", "M", missing_person=cases["B2"]),
    ])
    define_family(session, "FAM2", [
        PedigreePersonInput("F2", Sex.MALE), PedigreePersonInput("M2", Sex.FEMALE, donor=mothers["FAM2"]),
        PedigreePersonInput("C", Sex.MALE, "F2", "M2", missing_person=cases["C"]),
    ])
    return {code: case.id for code, case in cases.items()}


def joint_run(session, undecided: list[dict], prior: float = 1e-3,  # type: ignore[no-untyped-def]
              status: MatchRunStatus = MatchRunStatus.FINISHED) -> MatchRun:
    """A joint-identification run whose summary holds these undecided individuals."""
    run = MatchRun(kind=MatchRunKind.JOINT, status=status, code_version="test",
                   summary={"prior": prior, "undecided": undecided},
                   finished_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC) if status == MatchRunStatus.FINISHED else None)
    session.add(run)
    session.flush()
    return run


def undecided(remains: str, label: str, family: str, mp_id: int, lr: float, posterior: float,
              competitors: list[dict] | None = None) -> dict:
    """One entry of a joint run's ``undecided`` summary."""
    return {"remains": remains, "label": label, "family": family, "missing_person_id": mp_id,
            "category": "probable", "posterior": posterior, "lr": lr, "competitors": competitors or []}
