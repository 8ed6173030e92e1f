"""What was concluded: match runs, candidate matches, reviews, identifications, notifications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mpid.registry.base import Base
from mpid.registry.models._columns import JSONDocument, UTCDateTime, enum_column_type, utc_now
from mpid.registry.models.enums import MatchRunKind, MatchRunStatus, NotificationChannel, ReviewDecision

__all__ = ["CandidateMatch", "Identification", "MatchRun", "Notification", "Review"]


class MatchRun(Base):
    """One matching computation, stored with everything needed to re-run it (F8)."""

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MatchRunKind] = mapped_column(enum_column_type(MatchRunKind, "match_run_kind"))
    status: Mapped[MatchRunStatus] = mapped_column(
        enum_column_type(MatchRunStatus, "match_run_status"), default=MatchRunStatus.RUNNING
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    code_version: Mapped[str] = mapped_column(String(80))
    frequency_table_id: Mapped[int | None] = mapped_column(ForeignKey("frequency_tables.id"))
    # The inputs as they were: ids and content hashes of the profiles and pedigrees used.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    started_by: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    candidates: Mapped[list[CandidateMatch]] = relationship(back_populates="run", order_by="CandidateMatch.id")


class CandidateMatch(Base):
    """A candidate found by a run: remains against a missing person (or against other remains)."""

    __tablename__ = "candidate_matches"
    __table_args__ = (
        CheckConstraint("missing_person_id IS NOT NULL OR other_remains_id IS NOT NULL", name="has_counterpart"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"), index=True)
    remains_id: Mapped[int] = mapped_column(ForeignKey("remains.id"), index=True)
    missing_person_id: Mapped[int | None] = mapped_column(ForeignKey("missing_persons.id"), index=True)
    other_remains_id: Mapped[int | None] = mapped_column(ForeignKey("remains.id"))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"))
    lr: Mapped[float] = mapped_column(Float)
    log10_lr: Mapped[float | None] = mapped_column(Float)
    prior: Mapped[float | None] = mapped_column(Float)
    posterior: Mapped[float | None] = mapped_column(Float)
    n_exclusions: Mapped[int] = mapped_column(Integer, default=0)
    n_loci_compared: Mapped[int | None] = mapped_column(Integer)
    per_locus: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    conclusion: Mapped[str | None] = mapped_column(String(40))  # identified / probable / ...
    rank: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    run: Mapped[MatchRun] = relationship(back_populates="candidates")
    reviews: Mapped[list[Review]] = relationship(back_populates="candidate", order_by="Review.id")


class Review(Base):
    """One reviewer's decision on a candidate (two distinct reviewers are needed: four eyes)."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("candidate_id", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate_matches.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(120))
    decision: Mapped[ReviewDecision] = mapped_column(enum_column_type(ReviewDecision, "review_decision"))
    comment: Mapped[str | None] = mapped_column(Text)
    non_dna_evidence: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    candidate: Mapped[CandidateMatch] = relationship(back_populates="reviews")


class Identification(Base):
    """A confirmed identification: these remains are this missing person."""

    __tablename__ = "identifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    missing_person_id: Mapped[int] = mapped_column(ForeignKey("missing_persons.id"), index=True)
    remains_id: Mapped[int] = mapped_column(ForeignKey("remains.id"), unique=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidate_matches.id"))
    identified_on: Mapped[date] = mapped_column(Date)
    confirmed_by: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    report_reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Notification(Base):
    """The family was told: when, how and by whom."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    missing_person_id: Mapped[int] = mapped_column(ForeignKey("missing_persons.id"), index=True)
    identification_id: Mapped[int | None] = mapped_column(ForeignKey("identifications.id"))
    channel: Mapped[NotificationChannel] = mapped_column(enum_column_type(NotificationChannel, "notification_channel"))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    notified_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
