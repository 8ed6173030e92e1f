"""Field work: recovery sites, exhumations, remains, samples and their chain of custody."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from mpid.registry.errors import BarcodeConflictError, ConflictError, NotFoundError, RegisterError
from mpid.registry.models import (
    CustodyAction,
    CustodyEvent,
    Donor,
    Exhumation,
    Remains,
    RemainsKind,
    Sample,
    SampleType,
    Sex,
    Site,
    SiteType,
)
from mpid.registry.repositories import (
    find_remains_by_code,
    find_sample_by_barcode,
    find_site_by_code,
    get_by_id,
)
from mpid.services._codes import new_code

__all__ = [
    "RemainsInput",
    "SiteInput",
    "add_custody_event",
    "describe_sample_owner",
    "record_exhumation",
    "record_remains",
    "record_sample",
    "record_site",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteInput:
    """A grave or recovery site as the field team records it."""

    name: str
    site_type: SiteType
    latitude: float | None = None
    longitude: float | None = None
    region: str | None = None
    discovered_on: date | None = None
    notes: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class RemainsInput:
    """Remains recovered, with the anthropologist's findings."""

    kind: RemainsKind
    body_part: str | None = None
    anthropological_sex: Sex = Sex.UNKNOWN
    age_min: int | None = None
    age_max: int | None = None
    stature_min_cm: float | None = None
    stature_max_cm: float | None = None
    recovered_on: date | None = None
    notes: str | None = None
    code: str | None = None


def record_site(session: Session, site: SiteInput) -> Site:
    """Record a site; coordinates are WGS 84 decimal degrees."""
    if not site.name.strip():
        raise RegisterError("a site needs a name", field="name")
    if (site.latitude is None) != (site.longitude is None):
        raise RegisterError("give both latitude and longitude, or neither", field="latitude")
    if site.latitude is not None and not -90 <= site.latitude <= 90:
        raise RegisterError(f"latitude {site.latitude} is outside [-90, 90]", field="latitude")
    if site.longitude is not None and not -180 <= site.longitude <= 180:
        raise RegisterError(f"longitude {site.longitude} is outside [-180, 180]", field="longitude")
    code = site.code or _unused_code(session, "S", find_site_by_code)
    if site.code and find_site_by_code(session, site.code) is not None:
        raise ConflictError(f"site code {site.code!r} is already used", field="code")
    row = Site(
        code=code,
        name=site.name.strip(),
        site_type=SiteType(site.site_type),
        latitude=site.latitude,
        longitude=site.longitude,
        region=site.region,
        discovered_on=site.discovered_on,
        notes=site.notes,
    )
    session.add(row)
    session.flush()
    log.info("site %s recorded", row.code)
    return row


def record_exhumation(
    session: Session,
    site: Site | int,
    *,
    started_on: date | None = None,
    ended_on: date | None = None,
    team_lead: str | None = None,
    notes: str | None = None,
) -> Exhumation:
    """Record an exhumation at a site."""
    site_row = site if isinstance(site, Site) else get_by_id(session, Site, site)
    if started_on and ended_on and ended_on < started_on:
        raise RegisterError(f"exhumation ends ({ended_on}) before it starts ({started_on})", field="ended_on")
    row = Exhumation(site_id=site_row.id, started_on=started_on, ended_on=ended_on, team_lead=team_lead, notes=notes)
    session.add(row)
    session.flush()
    return row


def record_remains(
    session: Session,
    remains: RemainsInput,
    *,
    site: Site | int | None = None,
    exhumation: Exhumation | int | None = None,
) -> Remains:
    """Record remains, at a site and/or from an exhumation (the exhumation's site is used if no site)."""
    exh = (
        exhumation
        if isinstance(exhumation, Exhumation) or exhumation is None
        else get_by_id(session, Exhumation, exhumation)
    )
    site_row = site if isinstance(site, Site) or site is None else get_by_id(session, Site, site)
    if exh is not None:
        if site_row is not None and exh.site_id != site_row.id:
            raise ConflictError(f"exhumation {exh.id} was at another site than {site_row.code}", field="exhumation")
        site_row = site_row or exh.site
    if remains.age_min is not None and remains.age_max is not None and remains.age_min > remains.age_max:
        raise RegisterError(f"age range {remains.age_min}–{remains.age_max} is reversed", field="age_min")
    if (
        remains.stature_min_cm is not None
        and remains.stature_max_cm is not None
        and remains.stature_min_cm > remains.stature_max_cm
    ):
        raise RegisterError("stature range is reversed", field="stature_min_cm")
    if remains.kind == RemainsKind.BODY_PART and not remains.body_part:
        raise RegisterError("a body part needs its description (e.g. 'left femur')", field="body_part")
    if remains.code and find_remains_by_code(session, remains.code) is not None:
        raise ConflictError(f"remains code {remains.code!r} is already used", field="code")
    row = Remains(
        code=remains.code or _unused_code(session, "R", find_remains_by_code),
        site_id=site_row.id if site_row is not None else None,
        exhumation_id=exh.id if exh is not None else None,
        kind=RemainsKind(remains.kind),
        body_part=remains.body_part,
        anthropological_sex=remains.anthropological_sex,
        age_min=remains.age_min,
        age_max=remains.age_max,
        stature_min_cm=remains.stature_min_cm,
        stature_max_cm=remains.stature_max_cm,
        recovered_on=remains.recovered_on,
        notes=remains.notes,
    )
    session.add(row)
    session.flush()
    return row


def describe_sample_owner(sample: Sample) -> str:
    """Who a sample belongs to, in words: remains R-…, or donor D-… of case MP-…."""
    if sample.remains is not None:
        return f"remains {sample.remains.code}"
    donor = sample.donor
    assert donor is not None
    person = donor.pedigree_person
    if person is not None:
        cases = [p.missing_person.case_code for p in person.family.persons if p.missing_person is not None]
        if cases:
            return f"donor {donor.pseudonym} of case {', '.join(cases)}"
    return f"donor {donor.pseudonym}"


def record_sample(
    session: Session,
    barcode: str,
    sample_type: SampleType,
    *,
    remains: Remains | int | None = None,
    donor: Donor | int | None = None,
    description: str | None = None,
    collected_on: date | None = None,
    collected_by: str | None = None,
) -> Sample:
    """Record a bar-coded sample from remains or from a donor; a bar code binds to one owner only.

    Recording the same bar code for the same owner again returns the existing sample.
    """
    barcode = barcode.strip()
    if not barcode:
        raise RegisterError("a sample needs a bar code", field="barcode")
    if (remains is None) == (donor is None):
        raise RegisterError("a sample comes from remains or from a donor (exactly one)", field="barcode")
    remains_row = remains if isinstance(remains, Remains) or remains is None else get_by_id(session, Remains, remains)
    donor_row = donor if isinstance(donor, Donor) or donor is None else get_by_id(session, Donor, donor)
    existing = find_sample_by_barcode(session, barcode)
    if existing is not None:
        same_owner = (remains_row is not None and existing.remains_id == remains_row.id) or (
            donor_row is not None and existing.donor_id == donor_row.id
        )
        if same_owner:
            return existing
        wanted = f"remains {remains_row.code}" if remains_row is not None else f"donor {donor_row.pseudonym}"
        raise BarcodeConflictError(
            f"bar code {barcode!r} is already bound to {describe_sample_owner(existing)}, not {wanted}",
            field="barcode",
        )
    row = Sample(
        barcode=barcode,
        sample_type=SampleType(sample_type),
        remains_id=remains_row.id if remains_row is not None else None,
        donor_id=donor_row.id if donor_row is not None else None,
        description=description,
        collected_on=collected_on,
    )
    session.add(row)
    session.flush()
    add_custody_event(session, row, CustodyAction.COLLECTED, actor=collected_by)
    return row


def add_custody_event(
    session: Session,
    sample: Sample | str,
    action: CustodyAction,
    *,
    at: datetime | None = None,
    actor: str | None = None,
    location: str | None = None,
    notes: str | None = None,
) -> CustodyEvent:
    """Append a step to a sample's chain of custody (``sample`` is the object or its bar code)."""
    if isinstance(sample, str):
        found = find_sample_by_barcode(session, sample)
        if found is None:
            raise NotFoundError(f"no sample with bar code {sample!r}", field="barcode")
        sample = found
    event = CustodyEvent(sample_id=sample.id, action=CustodyAction(action), actor=actor, location=location, notes=notes)
    if at is not None:
        event.at = at
    session.add(event)
    session.flush()
    return event


def _unused_code(session: Session, prefix: str, finder) -> str:  # type: ignore[no-untyped-def]
    while True:
        code = new_code(prefix)
        if finder(session, code) is None:
            return code
