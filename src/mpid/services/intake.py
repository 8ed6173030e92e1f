"""Registering missing persons from family and agency reports, and merging duplicate cases."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.registry.errors import ConflictError, RegisterError
from mpid.registry.models import CaseStatus, CaseStatusEvent, DatePrecision, MissingPerson, Report, Sex
from mpid.registry.repositories import find_missing_person_by_case_code, get_missing_person
from mpid.services._codes import new_code
from mpid.services.lifecycle import move_case

__all__ = ["ReportInput", "find_report", "merge_duplicate", "new_case_code", "register_report"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportInput:
    """A report of a missing person as a source gave it.

    ``full_name`` is the case's working name (Latin script); ``name_original`` keeps the name
    exactly as the source wrote it, in its script (``name_script``: ISO 15924, e.g. ``Cyrl``).
    """

    source_agency: str
    name_original: str
    full_name: str | None = None
    source_reference: str | None = None
    reported_on: date | None = None
    reporter_name: str | None = None
    reporter_relationship: str | None = None
    name_script: str | None = None
    patronymic_original: str | None = None
    sex: Sex = Sex.UNKNOWN
    birth_date: date | None = None
    birth_date_precision: DatePrecision | None = None
    birth_date_original: str | None = None
    region: str | None = None
    disappeared_on: date | None = None
    disappearance_place: str | None = None
    circumstances: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def new_case_code(session: Session) -> str:
    """A case code not yet used (``MP-XXXX-XXXX``)."""
    while True:
        code = new_code("MP")
        if find_missing_person_by_case_code(session, code) is None:
            return code


def find_report(session: Session, source_agency: str, source_reference: str) -> Report | None:
    """The report an agency registered under its own reference, if any."""
    return session.scalar(
        select(Report).where(Report.source_agency == source_agency, Report.source_reference == source_reference)
    )


def register_report(
    session: Session,
    report: ReportInput,
    *,
    case: MissingPerson | int | str | None = None,
    case_code: str | None = None,
    actor: str | None = None,
    import_batch_id: int | None = None,
    source_line: int | None = None,
    provenance: dict[str, Any] | None = None,
) -> MissingPerson:
    """Record a report: on an existing ``case`` (object, id or code), else as a new case.

    ``case_code`` gives a new case a chosen code (e.g. the agency's); otherwise one is generated.
    """
    if not report.source_agency or not report.source_agency.strip():
        raise RegisterError("a report needs its source agency", field="source_agency")
    if report.birth_date is not None and report.birth_date_precision is None:
        raise RegisterError("a birth date needs its precision (day, month or year)", field="birth_date")
    if report.source_reference:
        earlier = find_report(session, report.source_agency, report.source_reference)
        if earlier is not None:
            raise ConflictError(
                f"report {report.source_reference!r} of {report.source_agency} is already registered "
                f"on case {earlier.missing_person.case_code}",
                field="source_reference",
            )
    if case is not None:
        person = case if isinstance(case, MissingPerson) else get_missing_person(session, case)
        if person.status == CaseStatus.MERGED_DUPLICATE:
            raise ConflictError(
                f"case {person.case_code} was merged into another case; add the report there",
                field="case_code",
            )
        _fill_missing_details(person, report)
    else:
        if case_code is not None and find_missing_person_by_case_code(session, case_code) is not None:
            raise ConflictError(f"case code {case_code!r} is already used", field="case_code")
        person = MissingPerson(
            case_code=case_code or new_case_code(session),
            status=CaseStatus.REPORTED,
            full_name=report.full_name or report.name_original,
            sex=report.sex,
            birth_date=report.birth_date,
            birth_date_precision=report.birth_date_precision,
            region=report.region,
            disappeared_on=report.disappeared_on,
            disappearance_place=report.disappearance_place,
            circumstances=report.circumstances,
        )
        session.add(person)
        session.flush()
        session.add(
            CaseStatusEvent(
                missing_person_id=person.id,
                from_status=None,
                to_status=CaseStatus.REPORTED,
                actor=actor,
                reason=f"reported by {report.source_agency}",
            )
        )
    session.add(
        Report(
            missing_person=person,
            source_agency=report.source_agency.strip(),
            source_reference=report.source_reference,
            reported_on=report.reported_on,
            reporter_name=report.reporter_name,
            reporter_relationship=report.reporter_relationship,
            name_original=report.name_original,
            name_script=report.name_script,
            patronymic_original=report.patronymic_original,
            birth_date_original=report.birth_date_original,
            sex_reported=report.sex,
            region=report.region,
            details=dict(report.details),
            import_batch_id=import_batch_id,
            source_line=source_line,
            provenance=dict(provenance or {"entered_by": actor}),
        )
    )
    session.flush()
    log.info("report of %s recorded on case %s", report.source_agency, person.case_code)
    return person


def _fill_missing_details(person: MissingPerson, report: ReportInput) -> None:
    """A later report may complete what the case does not know yet; it never overwrites."""
    if person.sex == Sex.UNKNOWN and report.sex != Sex.UNKNOWN:
        person.sex = report.sex
    if person.birth_date is None and report.birth_date is not None:
        person.birth_date, person.birth_date_precision = report.birth_date, report.birth_date_precision
    for name in ("region", "disappeared_on", "disappearance_place", "circumstances"):
        if getattr(person, name) is None and getattr(report, name) is not None:
            setattr(person, name, getattr(report, name))
    if not person.full_name:
        person.full_name = report.full_name or report.name_original


def merge_duplicate(
    session: Session,
    duplicate: MissingPerson | int | str,
    survivor: MissingPerson | int | str,
    *,
    actor: str | None = None,
    reason: str | None = None,
) -> MissingPerson:
    """Merge a duplicate case into the surviving one: reports move over with their provenance."""
    dup = duplicate if isinstance(duplicate, MissingPerson) else get_missing_person(session, duplicate)
    keep = survivor if isinstance(survivor, MissingPerson) else get_missing_person(session, survivor)
    if dup.id == keep.id:
        raise ConflictError(f"case {dup.case_code} cannot be merged into itself", field="case_code")
    if keep.status == CaseStatus.MERGED_DUPLICATE:
        raise ConflictError(f"case {keep.case_code} is itself a merged duplicate", field="case_code")
    if dup.pedigree_person is not None and keep.pedigree_person is not None:
        raise ConflictError(
            f"both cases {dup.case_code} and {keep.case_code} have a pedigree; reconcile the families first",
            field="case_code",
        )
    move_case(
        session,
        dup,
        CaseStatus.MERGED_DUPLICATE,
        actor=actor,
        reason=reason or f"merged into {keep.case_code}",
    )
    for report in list(dup.reports):
        report.missing_person_id = keep.id
        report.provenance = {**(report.provenance or {}), "merged_from_case": dup.case_code}
    if dup.pedigree_person is not None:
        dup.pedigree_person.missing_person_id = keep.id
    dup.merged_into_id = keep.id
    session.flush()
    session.expire(keep, ["reports", "pedigree_person"])
    session.expire(dup, ["reports", "pedigree_person"])
    return keep
