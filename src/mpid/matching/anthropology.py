"""Non-DNA evidence in a placement's prior: the anthropologist's age estimate against the missing person's age.

DNA cannot tell a father from his missing son when the references are the father's other
children, nor an uncle from a nephew, as clearly as the skeleton can: a man of 50 does not
leave the bones of a man of 25. The brief's review step weighs sex, age and stature; here the
age estimate also enters the joint posterior, as a stated factor on each placement's prior, so
that such families are resolved and the report says why.

Model (docs/models.md, "Age evidence"): the anthropologist gives a range [lo, hi] (either end
may be open). With ``d`` the distance of the missing person's age at disappearance from the
range (0 inside it), the factor is

    w = (1 − ε) · exp(−d² / (2 σ²)) + ε

σ is the spread of skeletal age estimates beyond the stated range, ε the chance that the
estimate is grossly wrong (a mislabelled bone, a misread skeleton), so that no age difference
ever excludes outright. w ≤ 1, and "not a missing person" keeps factor 1: the evidence can
only lower a placement against the alternatives, never raise one above what DNA alone gives.
Within a range the factor is 1, so two brothers a few years apart stay as DNA leaves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

__all__ = ["AgeEvidence", "age_at", "age_factor", "age_within", "combined_age_range"]

AgeRange = tuple[int | None, int | None]


@dataclass(frozen=True)
class AgeEvidence:
    """Parameters of the age factor (stored with every run that uses it)."""

    sigma_years: float = 5.0
    """Spread of the true age beyond the anthropologist's stated range."""
    gross_error: float = 1e-4
    """Floor ε of the factor: the chance that the estimate is wrong altogether."""

    def __post_init__(self) -> None:
        if not self.sigma_years > 0:
            raise ValueError("sigma_years must be > 0")
        if not 0 < self.gross_error <= 1:
            raise ValueError("gross_error must be in (0, 1]")


def age_at(birth: date | None, on: date | None) -> float | None:
    """Age in years on a date (None when either date is unknown)."""
    if birth is None or on is None:
        return None
    return (on - birth).days / 365.2425


def age_within(birth: date | None, period: tuple[date, date] | None) -> tuple[float, float] | None:
    """Ages at the start and end of a period (the conflict's disappearances), when the day itself is unknown."""
    if birth is None or period is None:
        return None
    return (period[0] - birth).days / 365.2425, (period[1] - birth).days / 365.2425


def combined_age_range(ranges: list[AgeRange]) -> AgeRange | None:
    """One individual's range from its remains' ranges: their intersection, or None if they conflict or say nothing."""
    lows = [lo for lo, _hi in ranges if lo is not None]
    highs = [hi for _lo, hi in ranges if hi is not None]
    lo = max(lows) if lows else None
    hi = min(highs) if highs else None
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None and lo > hi:
        return None  # the remains disagree: no age evidence rather than a wrong one
    return lo, hi


def age_factor(age_range: AgeRange | None, age: float | tuple[float, float] | None, evidence: AgeEvidence) -> float:
    """The factor w on the prior of "these remains are this missing person" (1 when either age is unknown).

    ``age`` is the age at disappearance, or an interval of ages when only the period of
    disappearance is known (then ``d`` is the gap between the two intervals).
    """
    if age_range is None or age is None:
        return 1.0
    youngest, oldest = (age, age) if isinstance(age, int | float) else age
    lo, hi = age_range
    distance = max(0.0, (lo - oldest) if lo is not None else 0.0, (youngest - hi) if hi is not None else 0.0)
    eps = evidence.gross_error
    return (1.0 - eps) * math.exp(-(distance**2) / (2.0 * evidence.sigma_years**2)) + eps
