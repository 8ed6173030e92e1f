"""Enumerations of the register's vocabularies."""

from __future__ import annotations

import enum

from mpid.registry.lifecycle import CaseStatus

__all__ = [
    "CaseStatus",
    "CustodyAction",
    "DatePrecision",
    "MatchRunKind",
    "MatchRunStatus",
    "NotificationChannel",
    "RemainsKind",
    "ReviewDecision",
    "SampleType",
    "Sex",
    "SiteType",
]


class Sex(enum.StrEnum):
    """Sex as recorded (reported, anthropological or genetic)."""

    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"

    @property
    def pedigree_code(self) -> int:
        """The pedtools code: 1 male, 2 female, 0 unknown."""
        return {"male": 1, "female": 2}.get(self.value, 0)

    @classmethod
    def from_code(cls, code: int | str | None) -> Sex:
        """Read 1/2/0, M/F/U, male/female/unknown (any case)."""
        if code is None:
            return cls.UNKNOWN
        text = str(code).strip().lower()
        if text in ("1", "m", "male", "man", "kişi", "мужской", "м"):
            return cls.MALE
        if text in ("2", "f", "female", "woman", "qadın", "женский", "ж"):
            return cls.FEMALE
        if text in ("0", "", "u", "unknown", "?"):
            return cls.UNKNOWN
        raise ValueError(f"not a sex: {code!r}")


class DatePrecision(enum.StrEnum):
    """How much of a date is known: a stored date of 1990-01-01 with precision YEAR means 'in 1990'."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class SiteType(enum.StrEnum):
    """Kind of recovery site."""

    MASS_GRAVE = "mass_grave"
    INDIVIDUAL_GRAVE = "individual_grave"
    SURFACE = "surface"
    OTHER = "other"


class RemainsKind(enum.StrEnum):
    """A whole body or a part of one."""

    BODY = "body"
    BODY_PART = "body_part"


class SampleType(enum.StrEnum):
    """Biological material of a sample."""

    BLOOD = "blood"
    BUCCAL = "buccal"
    BONE = "bone"
    TOOTH = "tooth"
    TISSUE = "tissue"
    OTHER = "other"


class CustodyAction(enum.StrEnum):
    """A step in a sample's chain of custody."""

    COLLECTED = "collected"
    SEALED = "sealed"
    SHIPPED = "shipped"
    RECEIVED = "received"
    ANALYSED = "analysed"
    STORED = "stored"
    RETURNED = "returned"
    DESTROYED = "destroyed"


class MatchRunKind(enum.StrEnum):
    """What a match run computed."""

    BLIND = "blind"
    DIRECT = "direct"
    JOINT = "joint"


class MatchRunStatus(enum.StrEnum):
    """Progress of a match run."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class ReviewDecision(enum.StrEnum):
    """A reviewer's decision on a candidate match."""

    CONFIRM = "confirm"
    REJECT = "reject"
    MORE_EVIDENCE = "more_evidence"


class NotificationChannel(enum.StrEnum):
    """How a family was told."""

    PORTAL = "portal"
    LIAISON_OFFICER = "liaison_officer"
    LETTER = "letter"
