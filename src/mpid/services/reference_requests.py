"""Which families to ask for more reference samples, which relatives, and why.

After joint identification some individuals stay undecided: their best placement is a missing
person whose posterior is short of the policy's threshold. A commission does not lower the bar; its
family liaison officers go back to the family and ask relatives who have not given a sample yet.
Two situations call for different relatives:

* **a weak LR** (a lone parent, a degraded bone): any close relative of the missing person adds
  evidence: the other parent, full siblings, children (with their other parent as connector);
* **a relative the typed references cannot tell apart** (two missing brothers with only their
  parents or siblings typed: every reference is related to both alike): only relatives of one
  brother and not the other break the symmetry: each brother's own children, and their mother.

The undecided individuals come from the joint run's summary (``undecided``, written by
:func:`mpid.services.scenario.run_joint_identification`); nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.matching.policy import PolicySettings
from mpid.registry.models import CaseStatus, MatchRun, MissingPerson
from mpid.registry.models.enums import MatchRunKind, MatchRunStatus

__all__ = [
    "CLOSE_RELATIVES",
    "OWN_LINE",
    "ReferenceRequest",
    "latest_joint_run",
    "needed_lr",
    "reference_requests",
]

CLOSE_RELATIVES: tuple[str, ...] = ("father", "mother", "brother", "sister", "son", "daughter", "partner")
"""Relatives whose samples strengthen a weak LR (the partner only as the connector of children)."""
OWN_LINE: tuple[str, ...] = ("son", "daughter", "partner")
"""Relatives of one missing person and not of his missing full siblings: they break the symmetry."""


@dataclass
class ReferenceRequest:
    """One missing person's family to visit: which relatives to ask for a sample, and why."""

    family: str
    label: str
    """The missing person's label in the family's pedigree."""
    missing_person_id: int
    case_code: str
    wanted: tuple[str, ...]
    reasons: list[str] = field(default_factory=list)
    remains: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data (CLI ``--json``)."""
        return {"family": self.family, "label": self.label, "missing_person_id": self.missing_person_id,
                "case_code": self.case_code, "wanted": list(self.wanted), "reasons": self.reasons,
                "remains": self.remains}


def latest_joint_run(session: Session) -> MatchRun | None:
    """The newest finished joint-identification run."""
    return session.scalars(
        select(MatchRun).where(MatchRun.kind == MatchRunKind.JOINT, MatchRun.status == MatchRunStatus.FINISHED)
        .order_by(MatchRun.id.desc()).limit(1)).first()


def needed_lr(prior: float, identify_posterior: float) -> float:
    """The LR at which the posterior reaches the policy's threshold with this prior (no competitor)."""
    if not 0.0 < prior < 1.0:
        raise ValueError("prior must be in (0, 1)")
    if identify_posterior >= 1.0:
        return float("inf")
    return identify_posterior / (1.0 - identify_posterior) * (1.0 - prior) / prior


def reference_requests(
    session: Session, run: MatchRun | None = None, policy: PolicySettings | None = None
) -> list[ReferenceRequest]:
    """The requests for more references that the undecided individuals of a joint run call for.

    Each undecided individual (LR at least the policy's ``probable_lr``) asks for close relatives of
    its best placement when the pairwise LR is short of :func:`needed_lr`, and for the own children
    and partner of its best placement and of every missing person of the same family that keeps
    some posterior; a competitor from another family gets close relatives asked on both sides, and
    an individual short of the threshold for no stated reason gets close relatives asked.
    Requests are merged per missing person; cases already identified or closed are left out.
    """
    run = run or latest_joint_run(session)
    if run is None:
        return []
    policy = policy or PolicySettings(**{k: v for k, v in (run.settings or {}).get("policy", {}).items()
                                         if k in PolicySettings.__dataclass_fields__})
    summary = run.summary or {}
    prior = summary.get("prior")
    lr_needed = needed_lr(prior, policy.identify_posterior) if prior else float("inf")
    wanted: dict[int, dict[str, Any]] = {}

    def ask(mp_id: int | None, family: str | None, label: str, words: tuple[str, ...], reason: str,
            remains: str) -> None:
        if mp_id is None or family is None:
            return
        entry = wanted.setdefault(mp_id, {"family": family, "label": label, "words": set(), "reasons": [],
                                          "remains": []})
        entry["words"].update(words)
        if reason not in entry["reasons"]:
            entry["reasons"].append(reason)
        if remains not in entry["remains"]:
            entry["remains"].append(remains)

    for u in summary.get("undecided") or []:
        lr, rep = u.get("lr"), u["remains"]
        if lr is None or lr < policy.probable_lr:
            continue  # no lead worth a visit
        competitors = u.get("competitors", [])
        same = [c for c in competitors if c["family"] == u["family"]]
        others = [c for c in competitors if c["family"] != u["family"]]
        if lr < lr_needed:
            ask(u["missing_person_id"], u["family"], u["label"], CLOSE_RELATIVES,
                f"LR {lr:.3g} for remains {rep} is short of the {lr_needed:.3g} the prior needs", rep)
        if same:
            names = ", ".join(c["label"] for c in same)
            reason = (f"remains {rep}: the typed relatives cannot tell {u['label']} from {names} "
                      "of the same family")
            ask(u["missing_person_id"], u["family"], u["label"], OWN_LINE, reason, rep)
            for c in same:
                ask(c["missing_person_id"], c["family"], c["label"], OWN_LINE, reason, rep)
        for c in others:
            reason = f"remains {rep}: {u['label']} competes with {c['label']} of family {c['family']}"
            ask(u["missing_person_id"], u["family"], u["label"], CLOSE_RELATIVES, reason, rep)
            ask(c["missing_person_id"], c["family"], c["label"], CLOSE_RELATIVES, reason, rep)
        if lr >= lr_needed and not competitors:
            ask(u["missing_person_id"], u["family"], u["label"], CLOSE_RELATIVES,
                f"remains {rep}: posterior {u['posterior']:.6g} < {policy.identify_posterior}", rep)
    if not wanted:
        return []
    done = {CaseStatus.IDENTIFIED, CaseStatus.FAMILY_NOTIFIED, CaseStatus.CLOSED, CaseStatus.MERGED_DUPLICATE}
    cases = {mp.id: mp for mp in session.scalars(select(MissingPerson).where(MissingPerson.id.in_(list(wanted))))}
    out = []
    for mp_id, entry in wanted.items():
        case = cases.get(mp_id)
        if case is None or case.status in done:
            continue
        order = {w: k for k, w in enumerate(CLOSE_RELATIVES)}
        out.append(ReferenceRequest(entry["family"], entry["label"], mp_id, case.case_code,
                                    tuple(sorted(entry["words"], key=order.__getitem__)), entry["reasons"],
                                    entry["remains"]))
    return sorted(out, key=lambda r: (r.family, r.label))
