"""Pydantic schemas of the JSON API: a Read schema per entity, Create schemas for what the API adds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mpid.registry.models import DatePrecision, ReviewDecision, Sex

__all__ = [
    "CandidateRead",
    "CaseRead",
    "DonorCreate",
    "DonorRead",
    "ImportRead",
    "JobRead",
    "MatchRunCreate",
    "MatchRunRead",
    "MissingPersonCreate",
    "MissingPersonRead",
    "Page",
    "RemainsRead",
    "ReportRead",
    "ReviewCreate",
    "ReviewRead",
    "SiteRead",
    "StatisticsRead",
    "StatusEventRead",
    "TokenCreate",
    "TokenRead",
]


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MissingPersonRead(_Read):
    """A case as listed."""

    id: int
    case_code: str
    full_name: str
    status: str
    sex: Sex
    birth_date: date | None = None
    birth_date_precision: DatePrecision | None = None
    region: str | None = None
    disappeared_on: date | None = None


class Page(BaseModel):
    """One page of a list."""

    items: list[MissingPersonRead]
    page: int
    page_size: int
    total: int


class ReportRead(_Read):
    """A report with its provenance."""

    id: int
    source_agency: str
    source_reference: str | None = None
    reported_on: date | None = None
    name_original: str
    name_script: str | None = None
    patronymic_original: str | None = None
    provenance: dict[str, Any] = {}
    import_batch_id: int | None = None
    source_line: int | None = None


class StatusEventRead(_Read):
    """A change of the case's status."""

    from_status: str | None = None
    to_status: str
    actor: str | None = None
    reason: str | None = None
    at: datetime


class DonorRead(BaseModel):
    """A donor as the caller may see it (no genetic data here)."""

    pseudonym: str
    sex: Sex
    relationship: str | None = None
    consent: str
    has_profile: bool | None = None


class CandidateRead(BaseModel):
    """A candidate match; ``per_locus`` only for callers who may read genetic data."""

    id: int
    run_id: int
    remains_code: str
    case_code: str | None = None
    lr: float | None = None
    log10_lr: float | None = None
    prior: float | None = None
    posterior: float | None = None
    n_exclusions: int
    n_loci_compared: int | None = None
    conclusion: str | None = None
    rank: int | None = None
    state: str
    per_locus: dict[str, float | None] | None = None


class CaseRead(MissingPersonRead):
    """A case with its reports, history, donors and candidates."""

    disappearance_place: str | None = None
    circumstances: str | None = None
    reports: list[ReportRead]
    history: list[StatusEventRead]
    donors: list[DonorRead]
    candidates: list[CandidateRead]


class MissingPersonCreate(BaseModel):
    """A new case from a report."""

    source_agency: str = Field(min_length=1, max_length=120)
    name_original: str = Field(min_length=1, max_length=300)
    full_name: str | None = Field(default=None, max_length=300)
    source_reference: str | None = None
    reported_on: date | None = None
    reporter_name: str | None = None
    reporter_relationship: str | None = None
    sex: Sex = Sex.UNKNOWN
    birth_date: date | None = None
    birth_date_precision: DatePrecision | None = None
    region: str | None = None
    disappeared_on: date | None = None
    disappearance_place: str | None = None
    circumstances: str | None = None


class DonorCreate(BaseModel):
    """A relative giving a reference sample."""

    relationship: str
    sex: Sex | None = None
    consent_given_on: date | None = None
    shared_with_agencies: list[str] = []
    court_use: bool = False


class SiteRead(_Read):
    """A recovery site."""

    id: int
    code: str
    name: str
    site_type: str
    latitude: float | None = None
    longitude: float | None = None
    region: str | None = None
    discovered_on: date | None = None
    n_remains: int = 0
    mni: int | None = None


class RemainsRead(_Read):
    """Remains with their findings (no genetic data)."""

    id: int
    code: str
    kind: str
    body_part: str | None = None
    anthropological_sex: Sex
    age_min: int | None = None
    age_max: int | None = None
    stature_min_cm: float | None = None
    stature_max_cm: float | None = None
    recovered_on: date | None = None
    site_id: int | None = None


class MatchRunCreate(BaseModel):
    """Start a run over the register."""

    kind: str = Field(default="blind", pattern="^(blind|direct)$")
    threshold_lr: float = Field(default=1e3, gt=0)
    prior: float | None = Field(default=None, gt=0, lt=1)
    frequency_table: str | None = None


class MatchRunRead(_Read):
    """A stored run."""

    id: int
    kind: str
    status: str
    settings: dict[str, Any]
    code_version: str
    summary: dict[str, Any]
    started_by: str | None = None
    started_at: datetime
    finished_at: datetime | None = None


class JobRead(BaseModel):
    """A matching job of this app process."""

    id: int
    kind: str
    state: str
    progress: int
    total: int | None = None
    run_id: int | None = None
    error: str | None = None
    started_by: str
    created_at: str


class ReviewCreate(BaseModel):
    """A reviewer's decision."""

    decision: ReviewDecision
    comment: str | None = None
    non_dna_evidence: dict[str, Any] = {}


class ReviewRead(BaseModel):
    """The decision recorded and where the candidate stands."""

    id: int
    reviewer: str
    decision: ReviewDecision
    state: str
    identified: bool


class ImportRead(BaseModel):
    """What an import did."""

    kind: str
    batch_id: int
    already_imported: bool
    counts: dict[str, int]


class StatisticsRead(BaseModel):
    """Counts along the lifecycle, by region, by year of disappearance and by reporting source."""

    lifecycle: dict[str, int]
    by_status: dict[str, int]
    by_region: dict[str, dict[str, int]]
    by_year: dict[str, dict[str, int]]
    by_source: dict[str, dict[str, int]]


class TokenCreate(BaseModel):
    """Sign in for an API token."""

    username: str
    password: str


class TokenRead(BaseModel):
    """A bearer token (shown once)."""

    token: str
    expires_at: datetime
