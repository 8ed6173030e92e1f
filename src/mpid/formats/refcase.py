"""Reference cases in the pedsuite JSON schema (tests/refcases/README.md): read into mpid objects.

A case gives markers (alleles, frequencies, optional mutation matrices), genotypes,
hypotheses (kinship categories), DVI families and victims, or direct-match samples.
Errors name the field: ``RefcaseError("markers[3].freqs: expected 12 numbers, got 11")``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mpid.genetics.alleles import AlleleError, parse_allele
from mpid.genetics.kinship import Hypothesis
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree, PedigreeError
from mpid.genetics.profiles import Genotype

__all__ = ["KINSHIP_CATEGORIES", "DviFamily", "Refcase", "RefcaseError", "load_refcase", "parse_refcase"]

KINSHIP_CATEGORIES = ("pairwise", "missing_person", "mutation", "theta", "partial_genotypes", "silent_allele")
CATEGORIES = KINSHIP_CATEGORIES + ("dvi", "direct_match")


class RefcaseError(ValueError):
    """A malformed case; the message starts with the path of the offending field."""

    def __init__(self, field_path: str, message: str, source: str = ""):
        self.field = field_path
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{field_path}: {message}")


@dataclass(frozen=True)
class DviFamily:
    """A reference family of a DVI case: its pedigree, missing persons and typed references."""

    name: str
    pedigree: Pedigree
    missing: tuple[str, ...]
    references: tuple[str, ...]


@dataclass
class Refcase:
    """A parsed reference case."""

    case_id: str
    category: str
    markers: list[Marker]
    genotypes: dict[str, dict[str, Genotype]]
    theta: float = 0.0
    reference_hypothesis: str | None = None
    hypotheses: list[Hypothesis] = field(default_factory=list)
    victims: dict[str, int] = field(default_factory=dict)  # dvi: id -> sex
    families: list[DviFamily] = field(default_factory=list)
    samples: dict[str, int] = field(default_factory=dict)  # direct_match: id -> sex
    settings: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def marker_names(self) -> list[str]:
        return [m.name for m in self.markers]


def _need(obj: Any, key: str, path: str, kind: type | tuple[type, ...], src: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise RefcaseError(f"{path}.{key}" if path else key, "missing", src)
    val = obj[key]
    if not isinstance(val, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RefcaseError(f"{path}.{key}" if path else key, f"expected {names}, got {type(val).__name__}", src)
    return val


def _as_list(v: Any, path: str, src: str) -> list[str]:
    """dvir writes a one-element vector as a plain string (README quirk 1); anything else must be a list of ids."""
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise RefcaseError(path, f"expected an id or a list of ids, got {v!r}", src)
    return list(v)


def _sex(obj: dict, path: str, src: str) -> int:
    sex = obj.get("sex", 0)
    if sex is None:
        return 0
    if isinstance(sex, bool) or sex not in (0, 1, 2):
        raise RefcaseError(f"{path}.sex", f"expected 1 (male), 2 (female) or 0 (unknown), got {sex!r}", src)
    return int(sex)


def _pedigree(records: Any, path: str, src: str) -> Pedigree:
    if not isinstance(records, list) or not records:
        raise RefcaseError(path, "expected a non-empty list of persons", src)
    for k, r in enumerate(records):
        if not isinstance(r, dict) or "id" not in r:
            raise RefcaseError(f"{path}[{k}]", "a person needs an 'id'", src)
        if r.get("sex") not in (0, 1, 2):
            raise RefcaseError(f"{path}[{k}].sex", f"expected 1 (male) or 2 (female), got {r.get('sex')!r}", src)
    try:
        return Pedigree.from_records(records)
    except PedigreeError as exc:
        raise RefcaseError(path, str(exc), src) from None


def _markers(data: dict, src: str) -> list[Marker]:
    raw = _need(data, "markers", "", list, src)
    out = []
    for k, m in enumerate(raw):
        p = f"markers[{k}]"
        name = _need(m, "name", p, str, src)
        alleles = _need(m, "alleles", p, list, src)
        freqs = _need(m, "freqs", p, list, src)
        if len(alleles) != len(freqs):
            raise RefcaseError(f"{p}.freqs", f"expected {len(alleles)} numbers, got {len(freqs)}", src)
        try:
            als = tuple(parse_allele(a) for a in alleles)
        except AlleleError as exc:
            raise RefcaseError(f"{p}.alleles", str(exc), src) from None
        if not all(isinstance(f, (int, float)) and not isinstance(f, bool) for f in freqs):
            raise RefcaseError(f"{p}.freqs", "expected numbers", src)
        mut = None
        mm = m.get("mutation")
        if mm is not None:
            try:
                fem = np.array(mm["female"]["matrix"], dtype=float)
                mal = np.array(mm["male"]["matrix"], dtype=float)
                params = {s: {k2: v for k2, v in mm[s].items() if k2 != "matrix"} for s in ("female", "male")}
                mut = MutationModel.from_matrices(fem, mal, params)
            except (KeyError, TypeError) as exc:
                raise RefcaseError(f"{p}.mutation", f"needs female/male matrices ({exc})", src) from None
            except ValueError as exc:
                raise RefcaseError(f"{p}.mutation", str(exc), src) from None
        out.append(Marker(name, als, np.array(freqs, dtype=float), mut))
    return out


def _genotypes(data: dict, marker_names: set[str], src: str) -> dict[str, dict[str, Genotype]]:
    raw = _need(data, "genotypes", "", dict, src)
    out: dict[str, dict[str, Genotype]] = {}
    for person, loci in raw.items():
        if not isinstance(loci, dict):
            raise RefcaseError(f"genotypes.{person}", "expected an object of marker: [a1, a2]", src)
        gts: dict[str, Genotype] = {}
        for marker, pair in loci.items():
            p = f"genotypes.{person}.{marker}"
            if marker not in marker_names:
                raise RefcaseError(p, "marker not defined in 'markers'", src)
            if not isinstance(pair, list) or len(pair) != 2:
                raise RefcaseError(p, "expected [a1, a2]", src)
            try:
                a = [None if x is None else parse_allele(x) for x in pair]
            except AlleleError as exc:
                raise RefcaseError(p, str(exc), src) from None
            if a[0] is None and a[1] is None:
                continue
            if a[0] is None:
                a = [a[1], None]
            gts[marker] = (a[0], a[1]) if a[1] is None else tuple(sorted(a))  # type: ignore[assignment]
        out[person] = gts
    return out


def parse_refcase(data: Any, source: str = "") -> Refcase:
    """Validate a case (already decoded JSON) and build its objects."""
    if not isinstance(data, dict):
        raise RefcaseError("(top level)", "expected a JSON object", source)
    category = _need(data, "category", "", str, source)
    if category not in CATEGORIES:
        raise RefcaseError("category", f"unknown category {category!r}; expected one of {list(CATEGORIES)}", source)
    settings = _need(data, "settings", "", dict, source)
    theta = settings.get("theta", 0) or 0
    if not isinstance(theta, (int, float)) or not 0 <= theta < 1:
        raise RefcaseError("settings.theta", f"expected a number in [0, 1), got {theta!r}", source)
    markers = _markers(data, source)
    silent = settings.get("silent_allele")
    if silent is not None:
        s = _need(silent, "frequency", "settings.silent_allele", (int, float), source)
        markers = [Marker(m.name, m.alleles, m.freqs, m.mutation, float(s)) for m in markers]
    case = Refcase(
        case_id=str(data.get("case_id", "")),
        category=category,
        markers=markers,
        genotypes=_genotypes(data, {m.name for m in markers}, source),
        theta=float(theta),
        reference_hypothesis=settings.get("reference_hypothesis"),
        settings=settings,
        raw=data,
    )
    if category in KINSHIP_CATEGORIES:
        hyps = _need(data, "hypotheses", "", list, source)
        for k, h in enumerate(hyps):
            name = _need(h, "name", f"hypotheses[{k}]", str, source)
            comps = _need(h, "components", f"hypotheses[{k}]", list, source)
            peds = tuple(_pedigree(c, f"hypotheses[{k}].components[{j}]", source) for j, c in enumerate(comps))
            case.hypotheses.append(Hypothesis(name, peds, h.get("description", "")))
        names = [h.name for h in case.hypotheses]
        if case.reference_hypothesis is None:
            raise RefcaseError("settings.reference_hypothesis", "missing", source)
        if case.reference_hypothesis not in names:
            raise RefcaseError(
                "settings.reference_hypothesis", f"{case.reference_hypothesis!r} is not one of {names}", source
            )
    elif category == "dvi":
        dvi = _need(data, "dvi", "", dict, source)
        for k, v in enumerate(_need(dvi, "victims", "dvi", list, source)):
            case.victims[str(_need(v, "id", f"dvi.victims[{k}]", str, source))] = _sex(v, f"dvi.victims[{k}]", source)
        for k, f in enumerate(_need(dvi, "families", "dvi", list, source)):
            p = f"dvi.families[{k}]"
            ped = _pedigree(_need(f, "pedigree", p, list, source), f"{p}.pedigree", source)
            missing = tuple(_as_list(f.get("missing"), f"{p}.missing", source))
            for mp in missing:
                if mp not in ped.labels:
                    raise RefcaseError(f"{p}.missing", f"{mp!r} is not in the family pedigree", source)
            case.families.append(
                DviFamily(
                    str(_need(f, "name", p, str, source)), ped, missing,
                    tuple(_as_list(f.get("references"), f"{p}.references", source)),
                )
            )
    else:  # direct_match
        for k, s in enumerate(_need(data, "samples", "", list, source)):
            case.samples[str(_need(s, "id", f"samples[{k}]", str, source))] = _sex(s, f"samples[{k}]", source)
    return case


def load_refcase(path: str | Path) -> Refcase:
    """Read and parse a case file; JSON errors and schema errors name the file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RefcaseError(f"line {exc.lineno}", f"invalid JSON: {exc.msg}", str(p)) from None
    except UnicodeDecodeError as exc:
        raise RefcaseError(f"byte {exc.start}", "not UTF-8 text", str(p)) from None
    return parse_refcase(data, str(p))
