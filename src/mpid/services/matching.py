"""Run matching over the register: blind search of every remains against every family, and
direct (remains-to-remains) matching for re-association; store runs and candidates.

A run records its settings, the frequency table (name and version), the code version and
its inputs, so it can be repeated and audited. One service call is one unit of work: the
run and its candidates are written in the caller's transaction.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import mpid
from mpid.genetics.frequencies import frequency_floor
from mpid.genetics.kinship import missing_person_lr
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree
from mpid.genetics.profiles import Genotype
from mpid.matching.direct import direct_match, merge_samples, minimum_number_of_individuals
from mpid.matching.policy import PolicySettings, Provenance, decide
from mpid.matching.search import Candidate, RemainsProfile, SearchSettings, blind_search
from mpid.matching.tables import FamilyInput
from mpid.registry.lifecycle import CaseStatus
from mpid.registry.matching_input import MatchingInput, load_matching_input
from mpid.registry.models import CandidateMatch, MatchRun, MissingPerson
from mpid.registry.models.enums import MatchRunKind, MatchRunStatus
from mpid.registry.repositories import latest_frequency_table

from .lifecycle import advance_if_possible

__all__ = [
    "MatchSettings",
    "MatchingProblem",
    "build_problem",
    "candidate_per_locus",
    "run_direct_matching",
    "run_matching",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchSettings:
    """Settings of a register-wide run (stored with it)."""

    threshold_lr: float = 1e3
    prior: float | None = None  # None: 1 / number of missing persons in scope
    frequency_table: str | None = None  # name; None: the newest table
    mutation: dict[str, Any] | None = None  # pedmut-style {female: {...}, male: {...}} for every marker
    engine: str = "local"
    family_block: int = 1000
    direct_threshold_lr: float = 1e4

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MatchingProblem:
    """The register's data in the matching engine's terms."""

    markers: list[Marker]
    remains: list[RemainsProfile]
    families: list[FamilyInput]
    remains_ids: dict[str, int]
    missing_ids: dict[str, int]
    frequency_table: dict[str, Any] = field(default_factory=dict)


def _genotype(values: Sequence[str | None]) -> Genotype | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    if len(values) >= 2 and values[1] is None and values[0] is not None:
        return (values[0], None)
    if len(vals) == 1:
        return (vals[0], vals[0])
    a, b = vals[0], vals[1]
    return (a, b) if _key(a) <= _key(b) else (b, a)


def _key(a: str) -> tuple[int, float, str]:
    try:
        return (0, float(a), a)
    except ValueError:
        return (1, 0.0, a)


def build_problem(session: Session, settings: MatchSettings, data: MatchingInput | None = None) -> MatchingProblem:
    """Markers (with a frequency floor for alleles the table lacks), remains and families from the register."""
    table = latest_frequency_table(session, settings.frequency_table)
    if table is None:
        raise LookupError("no frequency table in the register: import one first (mpid import frequencies FILE)")
    data = data or load_matching_input(session)
    freqs = table.as_markers()
    seen: dict[str, set[str]] = {}

    def note(loci: dict[str, tuple]) -> None:
        for locus, vals in loci.items():
            if locus in freqs:
                seen.setdefault(locus, set()).update(v for v in vals if v is not None)

    for r in data.remains:
        note(r.loci)
    for fam in data.families:
        for p in fam.persons:
            if p.loci:
                note(p.loci)
    markers: list[Marker] = []
    models = table.mutation_models or {}
    for locus in sorted(freqs):
        if locus == "AMEL" or locus not in seen:
            continue
        allele_freq = dict(freqs[locus])
        floor = frequency_floor((table.sample_sizes or {}).get(locus))
        for allele in sorted(seen[locus] - set(allele_freq), key=_key):
            allele_freq[allele] = floor  # documented floor; other frequencies unchanged
        alleles = tuple(sorted(allele_freq, key=_key))
        f = np.array([allele_freq[a] for a in alleles])
        spec = settings.mutation or models.get(locus)
        mut = None
        if spec:
            try:
                mut = MutationModel.from_params(alleles, f, spec["female"], spec.get("male"))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"mutation model for {locus}: {exc}") from None
        markers.append(Marker(locus, alleles, f, mut))
    names = {m.name for m in markers}
    remains = []
    remains_ids = {}
    for r in data.remains:
        gts = {loc: g for loc, v in r.loci.items() if loc in names and (g := _genotype(v)) is not None}
        remains.append(RemainsProfile(r.remains_code, gts, r.sex))
        remains_ids[r.remains_code] = r.remains_id
    families = []
    missing_ids = {}
    for fam in data.families:
        ped = Pedigree.from_records([(p.label, p.father, p.mother, p.sex or 0) for p in fam.persons])
        refs = {
            p.label: {loc: g for loc, v in (p.loci or {}).items() if loc in names and (g := _genotype(v)) is not None}
            for p in fam.persons
            if p.is_typed and p.missing_person_id is None
        }
        if not refs:
            continue
        for p in fam.persons:
            if p.missing_person_id is not None:
                key = f"{fam.code}/{p.label}"
                families.append(FamilyInput(fam.code, ped, p.label, refs))
                missing_ids[key] = p.missing_person_id
    return MatchingProblem(markers, remains, families, remains_ids, missing_ids,
                           {"id": table.id, "name": table.name, "version": table.version})


def _read_problem(session: Session, settings: MatchSettings) -> MatchingProblem:
    """Read the register in a short session of its own.

    The caller's session then starts its write transaction only after the search, on a fresh
    snapshot: on SQLite (WAL) a read snapshot held through a long search could not be turned
    into a write once anybody else had committed meanwhile.
    """
    with Session(session.get_bind()) as reader:
        return build_problem(reader, settings)


def _decision(remains: str, missing: str, lr: float, posterior: float, n_excl: int, provenance: Provenance) -> str:
    """The policy's category for a candidate (mpid.matching.policy: ICMP 99.95 %, LR ≥ 10⁴, ≤ 2 exclusions)."""
    return str(decide(remains, missing, lr, provenance, posterior=posterior, n_incompatible=n_excl).category)


def candidate_per_locus(
    cand: Candidate, family: FamilyInput, remains: RemainsProfile, markers: Sequence[Marker]
) -> dict[str, float | None]:
    """A candidate's LR at every marker: the exact engine's per-marker LRs (``missing_person_lr``).

    The search returns most of them with the candidate, read from the family's tables
    (``Candidate.per_marker``); the exact engine computes the markers where it holds None
    (see ``mpid.matching.search._Exactness``), or all of them when the search recorded none.
    """
    factors = cand.per_marker
    whole = factors is None or len(factors) != len(markers)
    exact_markers = list(markers) if whole else [m for m, v in zip(markers, factors, strict=True) if v is None]
    exact: dict[str, float | None] = {}
    if exact_markers:
        exact = missing_person_lr(
            family.pedigree, family.missing, "__remains__", exact_markers,
            {**family.genotypes, "__remains__": remains.genotypes}, dropout={"__remains__": remains.dropout},
        ).per_marker
    if whole:
        return exact
    return {m.name: exact[m.name] if v is None else v for m, v in zip(markers, factors, strict=True)}


def run_matching(
    session: Session,
    settings: MatchSettings | None = None,
    *,
    started_by: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> MatchRun:
    """Blind search over the register; stores a run with its candidates (ranked, with per-locus LRs)."""
    settings = settings or MatchSettings()
    started_at = datetime.now(UTC)
    problem = _read_problem(session, settings)
    # Search first, write after: nothing is written (no write lock is held on SQLite) while the
    # search runs, and the run with its candidates lands in one short transaction.
    result = blind_search(
        problem.remains,
        problem.families,
        problem.markers,
        SearchSettings(
            threshold_lr=settings.threshold_lr, prior=settings.prior, engine=settings.engine,
            family_block=settings.family_block,
        ),
        progress=progress,
    )
    run = MatchRun(
        kind=MatchRunKind.BLIND,
        status=MatchRunStatus.RUNNING,
        settings=settings.to_json(),
        code_version=mpid.__version__,
        frequency_table_id=problem.frequency_table.get("id"),
        inputs={
            "n_remains": len(problem.remains),
            "n_missing": len(problem.families),
            "markers": [m.name for m in problem.markers],
            "frequency_table": problem.frequency_table,
        },
        started_by=started_by,
        started_at=started_at,
    )
    session.add(run)
    session.flush()
    provenance = Provenance.for_settings(
        PolicySettings(), problem.frequency_table.get("name"), str(problem.frequency_table.get("version"))
    )
    by_missing = {(f.family, f.missing): f for f in problem.families}
    remains_by_id = {r.remains_id: r for r in problem.remains}
    # The candidates' missing persons in a few queries, not one query (and flush) per candidate.
    wanted = sorted({problem.missing_ids[f"{c.family}/{c.missing}"] for c in result.candidates})
    persons: dict[int, MissingPerson] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        persons.update((p.id, p) for p in session.scalars(select(MissingPerson).where(MissingPerson.id.in_(chunk))))
    moved = 0
    for rank, cand in enumerate(result.candidates, start=1):
        fam = by_missing[(cand.family, cand.missing)]
        rem = remains_by_id[cand.remains_id]
        per_locus = candidate_per_locus(cand, fam, rem, problem.markers)
        mp_id = problem.missing_ids[f"{cand.family}/{cand.missing}"]
        session.add(
            CandidateMatch(
                run_id=run.id,
                remains_id=problem.remains_ids[cand.remains_id],
                missing_person_id=mp_id,
                lr=cand.lr,
                prior=cand.prior,
                posterior=cand.posterior,
                n_exclusions=cand.n_exclusions,
                n_loci_compared=cand.n_markers_compared,
                per_locus={k: (None if v is None or math.isinf(v) else v) for k, v in per_locus.items()},
                conclusion=_decision(cand.remains_id, cand.missing, cand.lr, cand.posterior, cand.n_exclusions,
                                     provenance),
                rank=rank,
            )
        )
        person = persons.get(mp_id)
        if person is not None and advance_if_possible(
            session, person, CaseStatus.CANDIDATE_MATCH,
            from_statuses=(CaseStatus.REPORTED, CaseStatus.REFERENCES_COLLECTED),
            actor=started_by or "matching", reason=f"match run {run.id}",
        ):
            moved += 1
    run.status = MatchRunStatus.FINISHED
    run.finished_at = datetime.now(UTC)
    run.summary = {
        "n_pairs": result.n_pairs,
        "n_candidates": len(result.candidates),
        "cases_moved_to_candidate": moved,
    }
    session.flush()
    log.info("match run %s: %d candidates from %d pairs", run.id, len(result.candidates), result.n_pairs)
    return run


def run_direct_matching(
    session: Session,
    settings: MatchSettings | None = None,
    *,
    started_by: str | None = None,
) -> MatchRun:
    """Remains-to-remains matching: pairs above the threshold, grouping into individuals, MNI per site."""
    settings = settings or MatchSettings()
    started_at = datetime.now(UTC)
    with Session(session.get_bind()) as reader:
        data = load_matching_input(reader)
        problem = build_problem(reader, settings, data)
    site_of = {r.remains_code: str(r.site_id) for r in data.remains if r.site_id is not None}
    samples = {r.remains_id: r.genotypes for r in problem.remains}
    sexes = {r.remains_id: r.sex for r in problem.remains}
    matches = []
    ids = list(samples)
    # Candidate pairs share at least one exact genotype at a highly polymorphic marker;
    # pairs that share nothing cannot reach a positive LR, so they are not computed.
    index: dict[tuple[str, Genotype], list[int]] = {}
    for k, rid in enumerate(ids):
        for locus, g in samples[rid].items():
            if g[1] is not None:
                index.setdefault((locus, g), []).append(k)
    pairs: set[tuple[int, int]] = set()
    for members in index.values():
        if len(members) > 1 and len(members) < 2000:
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    pairs.add((a, b))
    # Vectorised pre-check: a pair whose exact genotypes differ at a marker typed in both has
    # LR 0 (dvir's rule), so only the pairs that agree everywhere go to the exact computation.
    codes = np.full((len(ids), len(problem.markers)), -1, dtype=np.int64)
    genotype_code: dict[tuple[str, str], int] = {}
    for k, rid in enumerate(ids):
        for j, marker in enumerate(problem.markers):
            g = samples[rid].get(marker.name)
            if g is not None and g[1] is not None:
                codes[k, j] = genotype_code.setdefault((g[0], g[1]), len(genotype_code))
    ordered = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    if ordered.size:
        ga, gb = codes[ordered[:, 0]], codes[ordered[:, 1]]
        agree = np.all((ga == gb) | (ga < 0) | (gb < 0), axis=1)
        survivors = ordered[agree]
    else:
        survivors = ordered
    for a, b in survivors.tolist():
        ra, rb = ids[a], ids[b]
        m = direct_match(ra, samples[ra], rb, samples[rb], problem.markers, sex1=sexes[ra], sex2=sexes[rb])
        if m.lr_total >= settings.direct_threshold_lr:
            matches.append(m)
    # Computed first, written after (see run_matching): one short write transaction.
    run = MatchRun(
        kind=MatchRunKind.DIRECT, status=MatchRunStatus.RUNNING, settings=settings.to_json(),
        code_version=mpid.__version__, frequency_table_id=problem.frequency_table.get("id"),
        inputs={"n_remains": len(problem.remains), "frequency_table": problem.frequency_table},
        started_by=started_by, started_at=started_at,
    )
    session.add(run)
    session.flush()
    for m in matches:
        session.add(
            CandidateMatch(
                run_id=run.id, remains_id=problem.remains_ids[m.sample1],
                other_remains_id=problem.remains_ids[m.sample2], lr=m.lr_total, n_exclusions=m.n_mismatches,
                n_loci_compared=len(m.markers_compared), per_locus=dict(m.per_marker), conclusion="same_person",
            )
        )
    groups = merge_samples(samples, matches, threshold=settings.direct_threshold_lr)
    run.status = MatchRunStatus.FINISHED
    run.finished_at = datetime.now(UTC)
    run.summary = {
        "n_pairs_compared": len(pairs),
        "n_same_person_pairs": len(matches),
        "n_individuals": len(groups.groups),
        "mni_per_site": minimum_number_of_individuals(groups, site_of),
        "groups": {k: v for k, v in groups.groups.items() if len(v) > 1},
    }
    session.flush()
    return run
