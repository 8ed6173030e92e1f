"""Decision policy: from LRs and posteriors to identified / probable / inconclusive / excluded (F8).

Defaults follow the ICMP practice and dvir (see docs/joint.md):

* **identified**: posterior ≥ 99.95 % (ICMP) *and* LR ≥ 10⁴ (dvir's "undisputed" threshold);
* **probable**: LR ≥ 10³ (dvir ``threshold2``) but not identified;
* **excluded**: more than ``max_incompatible`` = 2 Mendelian-incompatible markers (dvir ``maxIncomp``),
  whatever the LR;
* **inconclusive**: everything else.

The posterior, when not given, is LR·π / (LR·π + 1 − π) with a stated prior π (default
1 / number of missing persons in scope, F5). Every decision carries a :class:`Provenance`:
the settings, the frequency table (name and version) and ``mpid.__version__``, so the
computation can be re-run. All results are plain dataclasses with ``to_dict()``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import mpid

__all__ = [
    "ENFSI_SCALE",
    "Category",
    "Decision",
    "PolicySettings",
    "Provenance",
    "decide",
    "decide_many",
    "decide_marginals",
    "posterior_from_lr",
    "verbal_scale",
]


class Category(StrEnum):
    """Outcome of the policy for one remains–missing-person pair."""

    IDENTIFIED = "identified"
    PROBABLE = "probable"
    INCONCLUSIVE = "inconclusive"
    EXCLUDED = "excluded"


# ENFSI Guideline for Evaluative Reporting in Forensic Science (2015), verbal equivalents of LR ranges.
ENFSI_SCALE: tuple[tuple[float, str], ...] = (
    (1.0, "no support"),  # LR = 1 exactly: the findings do not help either way
    (10.0, "weak support"),
    (100.0, "moderate support"),
    (1_000.0, "moderately strong support"),
    (10_000.0, "strong support"),
    (1_000_000.0, "very strong support"),
    (math.inf, "extremely strong support"),
)


@dataclass(frozen=True)
class PolicySettings:
    """Thresholds of the decision policy (all configurable; defaults ICMP/dvir)."""

    identify_posterior: float = 0.9995
    identify_lr: float = 1e4
    probable_lr: float = 1e3
    max_incompatible: int = 2
    prior: float | None = None
    """Prior that a remains is a given missing person; None: 1 / number of missing in scope."""
    verbal_scale: str = "ENFSI"

    def __post_init__(self) -> None:
        if not 0.0 < self.identify_posterior <= 1.0:
            raise ValueError("identify_posterior must be in (0, 1]")
        if self.identify_lr < 1.0 or self.probable_lr < 1.0:
            raise ValueError("LR thresholds must be at least 1")
        if self.probable_lr > self.identify_lr:
            raise ValueError("probable_lr must not exceed identify_lr")
        if self.max_incompatible < 0:
            raise ValueError("max_incompatible must be ≥ 0")
        if self.prior is not None and not 0.0 < self.prior < 1.0:
            raise ValueError("prior must be in (0, 1)")
        if self.verbal_scale != "ENFSI":
            raise ValueError(f"unknown verbal scale {self.verbal_scale!r}; only 'ENFSI' is defined")

    def prior_for(self, n_missing: int) -> float:
        """The stated prior, or 1 / ``n_missing``."""
        if self.prior is not None:
            return self.prior
        if n_missing < 1:
            raise ValueError("a default prior needs at least one missing person in scope")
        return 1.0 / n_missing


@dataclass(frozen=True)
class Provenance:
    """What produced a result: settings, frequency table and code version, and when."""

    settings: dict[str, Any]
    frequency_table: str
    frequency_table_version: str
    code_version: str = mpid.__version__
    computed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_settings(
        cls, settings: PolicySettings, frequency_table: str, frequency_table_version: str, **extra: Any
    ) -> Provenance:
        """Provenance of a policy run."""
        return cls(asdict(settings), frequency_table, frequency_table_version, extra=dict(extra))


@dataclass(frozen=True)
class Decision:
    """The policy's decision for one remains–missing-person pair, with its reasons and provenance."""

    remains: str
    missing: str
    family: str | None
    lr: float | None
    posterior: float | None
    n_incompatible: int | None
    category: Category
    verbal: str
    reasons: tuple[str, ...]
    provenance: Provenance

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (±∞ and NaN as None)."""
        d = asdict(self)
        d["category"] = self.category.value
        d["reasons"] = list(self.reasons)
        for k in ("lr", "posterior"):
            x = d[k]
            if x is not None and (math.isinf(x) or math.isnan(x)):
                d[k] = None
        return d

    def to_json(self) -> str:
        """The decision as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)


def posterior_from_lr(lr: float, prior: float) -> float:
    """P(H1 | data) = LR·π / (LR·π + 1 − π) (Bayes with prior odds π/(1 − π))."""
    if not 0.0 < prior < 1.0:
        raise ValueError("prior must be in (0, 1)")
    if lr < 0 or math.isnan(lr):
        raise ValueError("LR must be a number ≥ 0")
    if math.isinf(lr):
        return 1.0
    num = lr * prior
    return num / (num + 1.0 - prior)


def verbal_scale(lr: float | None) -> str:
    """ENFSI (2015) verbal equivalent of an LR: support for H1 if LR > 1, for H2 if LR < 1 (by 1/LR)."""
    if lr is None or math.isnan(lr):
        return "not evaluable"
    if math.isinf(lr):
        return "extremely strong support for the first proposition"
    if lr == 1.0:
        return "no support for either proposition"
    if lr == 0.0:
        return "excludes the first proposition"
    x = lr if lr > 1 else 1.0 / lr
    words = next(w for upper, w in ENFSI_SCALE[1:] if x < upper)
    return f"{words} for the {'first' if lr > 1 else 'second'} proposition"


def decide(
    remains: str,
    missing: str,
    lr: float | None,
    provenance: Provenance,
    settings: PolicySettings | None = None,
    *,
    posterior: float | None = None,
    n_incompatible: int | None = None,
    n_missing_in_scope: int | None = None,
    family: str | None = None,
) -> Decision:
    """Apply the policy to one pair: excluded beats everything; identified needs both posterior and LR."""
    s = settings or PolicySettings()
    reasons: list[str] = []
    can_derive = posterior is None and lr is not None and not math.isnan(lr)
    if can_derive and (s.prior is not None or n_missing_in_scope):
        prior = s.prior_for(n_missing_in_scope or 0)
        posterior = posterior_from_lr(lr, prior)
        reasons.append(f"posterior from LR with prior {prior:.3g}")
    if n_incompatible is not None and n_incompatible > s.max_incompatible:
        cat = Category.EXCLUDED
        reasons.append(f"{n_incompatible} incompatible markers > {s.max_incompatible}")
    elif lr is not None and lr == 0.0:
        cat = Category.EXCLUDED
        reasons.append("LR = 0")
    elif (lr is not None and lr >= s.identify_lr and posterior is not None
          and posterior >= s.identify_posterior):
        cat = Category.IDENTIFIED
        reasons.append(f"posterior {posterior:.6g} ≥ {s.identify_posterior} and LR {lr:.3g} ≥ {s.identify_lr:g}")
    elif lr is not None and lr >= s.probable_lr:
        cat = Category.PROBABLE
        if lr >= s.identify_lr:
            post = "unknown" if posterior is None else f"{posterior:.6g}"
            reasons.append(f"LR {lr:.3g} ≥ {s.identify_lr:g} but posterior {post} < {s.identify_posterior}")
        else:
            reasons.append(f"{s.probable_lr:g} ≤ LR {lr:.3g} < {s.identify_lr:g}")
    else:
        cat = Category.INCONCLUSIVE
        reasons.append("LR not evaluable" if lr is None else f"LR {lr:.3g} < {s.probable_lr:g}")
    return Decision(remains, missing, family, lr, posterior, n_incompatible, cat, verbal_scale(lr),
                    tuple(reasons), provenance)


def decide_many(
    pairs: list[dict[str, Any]], provenance: Provenance, settings: PolicySettings | None = None
) -> list[Decision]:
    """Decisions for many pairs given as dicts with ``remains``, ``missing`` and optional ``lr``, ``posterior``,
    ``n_incompatible``, ``family``, ``n_missing_in_scope``."""
    return [
        decide(
            p["remains"], p["missing"], p.get("lr"), provenance, settings,
            posterior=p.get("posterior"), n_incompatible=p.get("n_incompatible"),
            n_missing_in_scope=p.get("n_missing_in_scope"), family=p.get("family"),
        )
        for p in pairs
    ]


def decide_marginals(
    marginals: Mapping[str, Mapping[str, float]],
    pair_stats: Mapping[tuple[str, str], tuple[float | None, int | None]],
    provenance: Provenance,
    settings: PolicySettings | None = None,
    family_of: Mapping[str, str] | None = None,
) -> list[Decision]:
    """Decisions from joint marginal posteriors (dvir ``Bmarginal`` or component marginals): for each remains,
    its most probable missing person with posterior = that marginal, and LR/incompatibilities from
    ``pair_stats[(remains, missing)]``. Remains whose marginal mass is all on ``*`` get no decision."""
    out = []
    for remains, marg in marginals.items():
        cands = [(m, p) for m, p in marg.items() if m != "*"]
        if not cands:
            continue
        m, p = max(cands, key=lambda kv: kv[1])
        lr, n_inc = pair_stats.get((remains, m), (None, None))
        d = decide(remains, m, lr, provenance, settings, posterior=p, n_incompatible=n_inc,
                   family=(family_of or {}).get(m))
        fam = d.family
        if family_of and fam is not None and d.category is Category.PROBABLE:
            # Symmetric solutions (e.g. brothers): the remains may be certainly of the family, not of one member.
            members = sorted(x for x, _ in cands if family_of.get(x) == fam)
            p_fam = sum(q for x, q in cands if family_of.get(x) == fam)
            s_ = settings or PolicySettings()
            if len(members) > 1 and p_fam >= s_.identify_posterior and lr is not None and lr >= s_.identify_lr:
                d = replace(d, reasons=d.reasons + (
                    f"family {fam}: posterior {p_fam:.6g} over {'/'.join(members)} (symmetric)",))
        out.append(d)
    return out
