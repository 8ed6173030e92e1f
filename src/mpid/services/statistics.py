"""Counts over the register, for `mpid status` and the statistics pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mpid.registry.models import (
    CandidateMatch,
    CaseStatus,
    Consent,
    CustodyEvent,
    Donor,
    Exhumation,
    Family,
    FrequencyTable,
    Identification,
    ImportBatch,
    MatchRun,
    MissingPerson,
    Notification,
    PedigreePerson,
    Profile,
    Remains,
    Report,
    Review,
    Sample,
    Site,
)
from mpid.registry.repositories import count_rows

__all__ = ["ENTITY_TABLES", "RegisterCounts", "register_counts"]

# name shown → model; the order is the order of `mpid status`.
ENTITY_TABLES = {
    "missing_persons": MissingPerson,
    "reports": Report,
    "families": Family,
    "pedigree_persons": PedigreePerson,
    "donors": Donor,
    "consents": Consent,
    "sites": Site,
    "exhumations": Exhumation,
    "remains": Remains,
    "samples": Sample,
    "custody_events": CustodyEvent,
    "profiles": Profile,
    "frequency_tables": FrequencyTable,
    "match_runs": MatchRun,
    "candidate_matches": CandidateMatch,
    "reviews": Review,
    "identifications": Identification,
    "notifications": Notification,
    "import_batches": ImportBatch,
}


@dataclass(frozen=True)
class RegisterCounts:
    """How many of each entity the register holds, and cases by status and by region."""

    entities: dict[str, int]
    cases_by_status: dict[str, int]
    cases_by_region: dict[str, int]

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Plain dict (for JSON)."""
        return asdict(self)


def register_counts(session: Session) -> RegisterCounts:
    """Count every entity, and the cases by status (all statuses listed) and by region."""
    entities = {name: count_rows(session, model) for name, model in ENTITY_TABLES.items()}
    by_status = {status.value: 0 for status in CaseStatus}
    for status, n in session.execute(select(MissingPerson.status, func.count()).group_by(MissingPerson.status)):
        by_status[CaseStatus(status).value] = int(n)
    by_region = {
        (region or "unknown"): int(n)
        for region, n in session.execute(
            select(MissingPerson.region, func.count()).group_by(MissingPerson.region).order_by(MissingPerson.region)
        )
    }
    return RegisterCounts(entities=entities, cases_by_status=by_status, cases_by_region=by_region)
