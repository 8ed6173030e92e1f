"""Familias ``.fam`` project files: import and export.

A ``.fam`` file saved by Familias 3 holds, one value per line (strings in double quotes):

1. a preamble (``"Output from Familias, version 3.3.1"``, ``"DO NOT EDIT!"``, the version, a
   comment line) and the **persons**: name, three flags, ``#TRUE#`` for male, the number of
   typed loci and, per locus, two allele indices and a locus index (all 0-based into the
   database below);
2. the **known relations** (``"Known relations"``, number of extra females and males, then
   parent/child index pairs) and the **pedigrees**, each with its own extras and relations;
3. the **database**: theta, number of loci, the database name, then per locus the female and
   male mutation rates, model codes (0 equal, 1 proportional, 2 stepwise, 3 stationary
   stepwise, 4 extended stepwise), allele count, ranges, second rates, silent allele flag and
   frequency, a ``DatabaseSize`` line and the allele/frequency pairs. ``"Rest allele"`` is an
   ordinary entry there and is kept as written;
4. optionally a ``[DVI]`` section in ``[[bracket]]``/``key= value`` layout (unidentified
   persons, reference families with persons and pedigrees), then ``[Prior]``/``[Advanced]``
   settings, kept verbatim.

Names, locus names and alleles are kept exactly as the file writes them, so a project read and
written again is the same project. Extra persons a pedigree adds without a name are called
``[extra female 1]``, ``[extra male 1]``...; the DVI placeholder ``Missing person`` appears in
pedigree relations only. A family's ``missing`` lists the names starting with ``Missing``, as
dvir reads them. Precomputed probabilities and twin relations are refused with a FormatError.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mpid.formats._common import read_text
from mpid.formats.errors import (
    BadFrequencyError,
    BadValueError,
    MalformedFileError,
    UnknownLocusError,
)
from mpid.formats.types import (
    FAMILIAS_MUTATION_MODELS,
    FamiliasDVI,
    FamiliasFamily,
    FamiliasLocus,
    FamiliasMutationModel,
    FamiliasPedigree,
    FamiliasPerson,
    FamiliasProject,
)

__all__ = ["MISSING_PERSON", "parse_familias", "write_familias"]

MISSING_PERSON = "Missing person"
"""The name Familias DVI pedigrees use for the place a victim would take."""

_INFO = re.compile(
    r"^\s*(\d+)\s*(?:\(DatabaseSize\s*=\s*([^,)]*?)\s*,\s*Dropout probability\s*=\s*([^,)]*?)\s*,"
    r"\s*Minor allele frequency\s*=\s*([^,)]*?)\s*\))?\s*$"
)
_THETA = re.compile(r"Theta/Kinship/Fst:\s*([-+0-9.eE]+)")
_HEADER = re.compile(r"^(\[+)\s*([^\[\]]*?)\s*(\]+)\s*$")


class _Cursor:
    """Reads the line-per-value part of a .fam file, naming the line and value on errors."""

    def __init__(self, source: str, lines: list[str]) -> None:
        self.source = source
        self.lines = lines
        self.pos = 0  # index of the next line

    @property
    def line_no(self) -> int:
        return self.pos + 1

    def peek(self) -> str | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def raw(self, what: str) -> str:
        if self.pos >= len(self.lines):
            raise MalformedFileError(self.source, f"unexpected end of file: expected {what}", line=self.line_no)
        text = self.lines[self.pos]
        self.pos += 1
        return text

    def text(self, what: str) -> str:
        return _unquote(self.raw(what))

    def integer(self, what: str, *, minimum: int = 0) -> int:
        text = self.raw(what).strip()
        head = text.split()[0] if text.split() else ""
        try:
            value = int(head)
        except ValueError:
            raise MalformedFileError(
                self.source, f"expected {what} (an integer), found {text!r}", line=self.pos, field=what
            ) from None
        if value < minimum:
            raise MalformedFileError(
                self.source, f"{what} must be at least {minimum}, found {value}", line=self.pos, field=what
            )
        return value

    def number(self, what: str) -> float:
        text = self.raw(what).strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise MalformedFileError(
                self.source, f"expected {what} (a number), found {text!r}", line=self.pos, field=what
            )
        return value

    def flag(self, what: str) -> bool:
        text = self.raw(what).strip()
        word = text.split(" ", 1)[0]
        if word not in ("#TRUE#", "#FALSE#"):
            raise MalformedFileError(
                self.source, f"expected {what} (#TRUE# or #FALSE#), found {text!r}", line=self.pos, field=what
            )
        return word == "#TRUE#"


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


@dataclass
class _RawPerson:
    name: str
    male: bool
    consider_dropout: bool
    typed: list[tuple[int, int, int, int]]  # (allele index 1, allele index 2, locus index, line)


def parse_familias(path: str | os.PathLike[str]) -> FamiliasProject:
    """Read a Familias .fam file: persons, pedigrees, database, DVI section and settings."""
    source = str(path)
    lines = read_text(source).splitlines()
    if not lines or not lines[0].strip():
        raise MalformedFileError(source, "empty file: expected the Familias preamble", line=1)
    cur = _Cursor(source, lines)
    first = cur.text("the preamble line")
    if not first.startswith("Output from Familias"):
        raise MalformedFileError(
            source, f"not a Familias file: line 1 is {first!r}, expected 'Output from Familias, version ...'",
            line=1,
        )
    cur.text("the DO NOT EDIT line")
    version = cur.text("the Familias version").strip()
    version = version.removesuffix("(DVI)").strip()
    comment = ""
    nxt = cur.peek()
    if nxt is not None and not nxt.strip().lstrip("-").isdigit():
        comment = cur.text("the comment line")
    raw_persons = [_read_person(cur) for _ in range(cur.integer("the number of persons"))]

    names = [p.name for p in raw_persons]
    title = cur.text("'Known relations'")
    if title != "Known relations":
        raise MalformedFileError(
            source, f"expected 'Known relations', found {title!r}", line=cur.pos, field="Known relations"
        )
    known = _read_relations(cur, "Known relations", names, ())
    n_peds = cur.integer("the number of pedigrees")
    indexed: list[tuple[int, FamiliasPedigree]] = []
    for _ in range(n_peds):
        ped_index = cur.integer("the pedigree index")
        ped_name = cur.text("the pedigree name")
        indexed.append((ped_index, _read_relations(cur, ped_name, names, known.extras)))
    pedigrees = tuple(p for _, p in sorted(indexed, key=lambda item: item[0]))

    db_line = cur.raw("the database header")
    if db_line.strip().startswith("#TRUE#"):
        raise BadValueError(source, "files with precomputed probabilities are not supported", line=cur.pos)
    if not db_line.strip().startswith("#FALSE#"):
        raise MalformedFileError(
            source, f"expected the database header '#FALSE# (#Databases: ...)', found {db_line.strip()!r}",
            line=cur.pos,
        )
    theta_match = _THETA.search(db_line)
    theta = _optional_float(theta_match.group(1)) if theta_match else 0.0
    if theta_match and not _is_float(theta_match.group(1)):
        raise MalformedFileError(
            source, f"theta {theta_match.group(1)!r} is not a number", line=cur.pos, field="Theta/Kinship/Fst"
        )
    n_loci = cur.integer("the number of loci")
    database_name = cur.text("the database name") if cur.flag("the database-name flag") else None
    loci = tuple(_read_locus(cur) for _ in range(n_loci))

    persons = _resolve_persons(source, raw_persons, loci, known)
    while cur.peek() is not None and not cur.peek().strip():
        cur.pos += 1
    dvi = None
    if cur.peek() is not None and cur.peek().strip() == "[DVI]":
        dvi = _read_dvi(cur)
    settings = lines[cur.pos:]
    if settings and not settings[0].lstrip().startswith("["):
        raise MalformedFileError(
            source, f"unexpected line after the database: {settings[0].strip()!r}", line=cur.line_no
        )
    while settings and not settings[-1].strip():
        settings = settings[:-1]
    return FamiliasProject(
        persons=persons,
        pedigrees=pedigrees,
        loci=loci,
        dvi=dvi,
        known_relations=known,
        version=version,
        comment=comment,
        database_name=database_name,
        theta=theta,
        settings=tuple(settings),
    )


def _read_person(cur: _Cursor) -> _RawPerson:
    name = cur.text("a person's name")
    cur.flag(f"the first flag of person {name!r}")
    dropout_line = cur.raw(f"the dropout line of person {name!r}")
    cur.flag(f"the third flag of person {name!r}")
    male = cur.flag(f"the sex of person {name!r} (#TRUE# = male)")
    typed = []
    for _ in range(cur.integer(f"the number of typed loci of person {name!r}")):
        line = cur.line_no
        a1 = cur.integer(f"an allele index of person {name!r}", minimum=-1)
        a2 = cur.integer(f"an allele index of person {name!r}", minimum=-1)
        locus = cur.integer(f"a locus index of person {name!r}")
        typed.append((a1, a2, locus, line))
    return _RawPerson(name, male, "Consider dropouts" in dropout_line, typed)


def _read_relations(
    cur: _Cursor, title: str, names: list[str], known_extras: tuple[tuple[str, str], ...]
) -> FamiliasPedigree:
    """Read extras and parent/child index pairs; indices run over persons, known extras, own extras."""
    n_female = cur.integer(f"the number of extra females in {title!r}")
    n_male = cur.integer(f"the number of extra males in {title!r}")
    first_female = sum(1 for _, sex in known_extras if sex == "female")
    first_male = len(known_extras) - first_female
    extras = [(f"[extra female {first_female + k + 1}]", "female") for k in range(n_female)]
    extras += [(f"[extra male {first_male + k + 1}]", "male") for k in range(n_male)]
    everyone = names + [n for n, _ in known_extras] + [n for n, _ in extras]
    relations = []
    for _ in range(cur.integer(f"the number of relations in {title!r}")):
        text = cur.raw(f"a parent index in {title!r}").strip()
        if "Direct" in text:
            raise BadValueError(cur.source, f"twin relations are not supported (pedigree {title!r})", line=cur.pos)
        cur.pos -= 1
        parent = cur.integer(f"a parent index in {title!r}")
        child = cur.integer(f"a child index in {title!r}")
        for index in (parent, child):
            if index >= len(everyone):
                raise MalformedFileError(
                    cur.source,
                    f"relation in {title!r} refers to person index {index}, but there are {len(everyone)} persons",
                    line=cur.pos,
                )
        relations.append((everyone[parent], everyone[child]))
    return FamiliasPedigree(title, tuple(relations), tuple(extras))


def _read_locus(cur: _Cursor) -> FamiliasLocus:
    name = cur.text("a locus name")
    if not name.strip():
        raise MalformedFileError(cur.source, "empty locus name in the database", line=cur.pos)
    rate_f = cur.number(f"the female mutation rate of {name}")
    rate_m = cur.number(f"the male mutation rate of {name}")
    code_f = _model_code(cur, f"the female mutation model of {name}")
    code_m = _model_code(cur, f"the male mutation model of {name}")
    cur.integer(f"the allele count of {name}")
    range_f = cur.number(f"the female mutation range of {name}")
    range_m = cur.number(f"the male mutation range of {name}")
    rate2_f = cur.number(f"the female second mutation rate of {name}")
    rate2_m = cur.number(f"the male second mutation rate of {name}")
    has_silent = cur.flag(f"the silent-allele flag of {name}")
    silent = cur.number(f"the silent-allele frequency of {name}")
    info_text = cur.raw(f"the allele count and DatabaseSize line of {name}")
    info = _INFO.match(info_text)
    if not info:
        raise MalformedFileError(
            cur.source, f"expected the allele count and DatabaseSize of {name}, found {info_text.strip()!r}",
            line=cur.pos,
        )
    alleles, freqs = [], []
    for _ in range(_optional_int(info.group(1)) or 0):
        allele = cur.text(f"an allele of {name}")
        freq = cur.number(f"the frequency of allele {allele!r} of {name}")
        if not 0.0 <= freq <= 1.0:
            raise BadFrequencyError(
                cur.source, f"frequency {freq!r} of allele {allele!r} at {name} is not between 0 and 1",
                line=cur.pos,
            )
        if allele in alleles:
            raise MalformedFileError(cur.source, f"allele {allele!r} of {name} is listed twice", line=cur.pos - 1)
        alleles.append(allele)
        freqs.append(freq)
    return FamiliasLocus(
        name=name,
        alleles=tuple(alleles),
        freqs=tuple(freqs),
        female_model=FamiliasMutationModel(FAMILIAS_MUTATION_MODELS[code_f], rate_f, rate2_f, range_f),
        male_model=FamiliasMutationModel(FAMILIAS_MUTATION_MODELS[code_m], rate_m, rate2_m, range_m),
        database_size=_optional_int(info.group(2)),
        dropout=_optional_float(info.group(3)),
        minor_allele_frequency=_optional_float(info.group(4)),
        silent_freq=silent if has_silent else None,
    )


def _model_code(cur: _Cursor, what: str) -> int:
    code = cur.integer(what)
    if code >= len(FAMILIAS_MUTATION_MODELS):
        raise BadValueError(cur.source, f"unknown mutation model code {code} (expected 0-4)", line=cur.pos,
                            field=what)
    return code


def _is_float(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _optional_int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _optional_float(text: str | None) -> float:
    try:
        value = float(text) if text else 0.0
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def _resolve_persons(
    source: str, raw: list[_RawPerson], loci: tuple[FamiliasLocus, ...], known: FamiliasPedigree
) -> tuple[FamiliasPerson, ...]:
    sex_of = {p.name: ("male" if p.male else "female") for p in raw} | dict(known.extras)
    fathers: dict[str, str] = {}
    mothers: dict[str, str] = {}
    for parent, child in known.relations:
        (fathers if sex_of.get(parent) == "male" else mothers)[child] = parent
    persons = []
    for p in raw:
        genotypes: dict[str, tuple[str, ...]] = {}
        for a1, a2, locus_index, line in p.typed:
            if locus_index >= len(loci):
                raise UnknownLocusError(
                    source,
                    f"person {p.name!r} is typed at locus index {locus_index}, "
                    f"but the database has {len(loci)} loci",
                    line=line + 2,
                )
            locus = loci[locus_index]
            alleles = []
            for offset, index in enumerate((a1, a2)):
                if not 0 <= index < len(locus.alleles):
                    raise MalformedFileError(
                        source,
                        f"allele index {index} of person {p.name!r} at {locus.name} is out of range "
                        f"({len(locus.alleles)} alleles)",
                        line=line + offset,
                    )
                alleles.append(locus.alleles[index])
            genotypes[locus.name] = tuple(alleles)
        persons.append(FamiliasPerson(
            id=p.name,
            sex="male" if p.male else "female",
            father=fathers.get(p.name),
            mother=mothers.get(p.name),
            genotypes=genotypes,
            consider_dropout=p.consider_dropout,
        ))
    return tuple(persons)


# ---------------------------------------------------------------- DVI section


@dataclass
class _Block:
    name: str
    depth: int
    line: int
    entries: list[tuple[str, str, int]] = field(default_factory=list)
    children: list[_Block] = field(default_factory=list)

    def child(self, name: str) -> _Block | None:
        return next((c for c in self.children if c.name == name), None)

    def value(self, key: str) -> str | None:
        return next((v for k, v, _ in self.entries if k == key), None)


def _read_dvi(cur: _Cursor) -> FamiliasDVI:
    root = _Block("DVI", 1, cur.line_no)
    cur.pos += 1
    stack = [root]
    while cur.peek() is not None:
        text = cur.peek().strip()
        header = _HEADER.match(text)
        if header:
            depth = len(header.group(1))
            if depth == 1:
                break
            while stack and stack[-1].depth >= depth:
                stack.pop()
            if not stack or stack[-1].depth != depth - 1:
                raise MalformedFileError(cur.source, f"section {text!r} is nested too deep", line=cur.line_no)
            block = _Block(header.group(2), depth, cur.line_no)
            stack[-1].children.append(block)
            stack.append(block)
        elif text:
            key, sep, value = text.partition("=")
            if not sep:
                raise MalformedFileError(
                    cur.source, f"expected 'key= value' in the DVI section, found {text!r}", line=cur.line_no
                )
            stack[-1].entries.append((key.strip(), value.strip(), cur.line_no))
        elif stack[-1].name == "Notes":
            stack[-1].entries.append(("", "", cur.line_no))
        cur.pos += 1
    victims_block = root.child("Unidentified persons")
    victims = _dvi_persons(cur.source, victims_block, "nPersons") if victims_block else ()
    notes_block = root.child("Notes")
    notes: tuple[str, ...] = ()
    if notes_block:
        notes = tuple(f"{k}= {v}" if k else "" for k, v, _ in notes_block.entries)
    families = []
    refs = root.child("Reference Families")
    if refs:
        _check_count(cur.source, refs, "nFamilies", len(refs.children))
        for fam in refs.children:
            families.append(_dvi_family(cur.source, fam))
    return FamiliasDVI(victims=victims, families=tuple(families), notes=notes)


def _check_count(source: str, block: _Block, key: str, found: int) -> None:
    stated = block.value(key)
    try:
        number = int(stated) if stated is not None else found
    except ValueError:
        raise MalformedFileError(source, f"{key}= {stated!r} is not a number", line=block.line,
                                 field=key) from None
    if number != found:
        raise MalformedFileError(
            source, f"[{block.name}] says {key}= {number} but {found} follow", line=block.line, field=key
        )


def _dvi_persons(source: str, block: _Block, count_key: str) -> tuple[FamiliasPerson, ...]:
    _check_count(source, block, count_key, len(block.children))
    persons = []
    for pb in block.children:
        name = pb.value("Name")
        if not name:
            raise MalformedFileError(source, f"[{pb.name}] has no Name", line=pb.line, field="Name")
        gender = (pb.value("Gender") or "").lower()
        sex = gender if gender in ("male", "female") else "unknown"
        genotypes: dict[str, tuple[str, ...]] = {}
        dna = pb.child("DNA data")
        if dna is not None:
            current: str | None = None
            alleles: list[str] = []
            for key, value, line in dna.entries:
                if key == "SystemName":
                    if current is not None:
                        genotypes[current] = tuple(alleles)
                    if not value:
                        raise MalformedFileError(source, f"empty SystemName for {name!r}", line=line,
                                                 field="SystemName")
                    current, alleles = value, []
                elif key in ("Allele1", "Allele2"):
                    if current is None:
                        raise MalformedFileError(source, f"{key} before any SystemName for {name!r}", line=line,
                                                 field=key)
                    if value:
                        alleles.append(value)
            if current is not None:
                genotypes[current] = tuple(alleles)
            _check_count(source, dna, "nSystems", len(genotypes))
        persons.append(FamiliasPerson(id=name, sex=sex, genotypes=genotypes))
    return tuple(persons)


def _dvi_family(source: str, block: _Block) -> FamiliasFamily:
    name = block.value("Name")
    if name is None:
        raise MalformedFileError(source, f"[{block.name}] has no Name", line=block.line, field="Name")
    persons_block = block.child("Persons")
    persons = _dvi_persons(source, persons_block, "nPersons") if persons_block else ()
    pedigrees = []
    peds_block = block.child("Pedigrees")
    if peds_block:
        _check_count(source, peds_block, "nPedigrees", len(peds_block.children))
        for pb in peds_block.children:
            relations = []
            parent: str | None = None
            for key, value, line in pb.entries:
                if key == "Parent":
                    parent = value
                elif key == "Child":
                    if parent is None:
                        raise MalformedFileError(source, "Child= without a Parent= before it", line=line,
                                                 field="Child")
                    relations.append((parent, value))
                    parent = None
            if parent is not None:
                raise MalformedFileError(source, f"Parent= {parent} has no Child= after it", line=pb.line)
            _check_count(source, pb, "nRelations", len(relations))
            pedigrees.append(FamiliasPedigree(pb.value("Name") or "", tuple(relations)))
    names = [p.id for p in persons] + [n for ped in pedigrees for rel in ped.relations for n in rel]
    missing = tuple(dict.fromkeys(n for n in names if n.startswith("Missing")))
    return FamiliasFamily(name=name, persons=persons, pedigrees=tuple(pedigrees), missing=missing)


# ---------------------------------------------------------------- writing


def _num(value: float) -> str:
    return repr(float(value)) if value != int(value) or abs(value) >= 1e16 else str(int(value))


def write_familias(project: FamiliasProject, path: str | os.PathLike[str]) -> None:
    """Write a project as a .fam file that Familias 3 and :func:`parse_familias` read back."""
    target = str(path)
    _check_single_lines(target, project)
    out: list[str] = []
    version = project.version + (" (DVI)" if project.dvi is not None else "")
    out += [f'"Output from Familias, version {project.version}"', '"DO NOT EDIT!"', version,
            f'"{project.comment}"', str(len(project.persons))]
    loci_index = {locus.name: i for i, locus in enumerate(project.loci)}
    for person in project.persons:
        out += [f'"{person.id}"', "#FALSE#", "-1 (Consider dropouts)" if person.consider_dropout else "-1",
                "#FALSE#", "#TRUE#" if person.sex == "male" else "#FALSE#", str(len(person.genotypes))]
        for locus_name, genotype in person.genotypes.items():
            if locus_name not in loci_index:
                raise UnknownLocusError(
                    target, f"person {person.id!r} is typed at {locus_name}, which is not in the database"
                )
            locus = project.loci[loci_index[locus_name]]
            if len(genotype) != 2:
                raise BadValueError(
                    target, f"person {person.id!r} needs two alleles at {locus_name}, has {len(genotype)}"
                )
            for allele in genotype:
                if allele not in locus.alleles:
                    raise BadValueError(
                        target, f"allele {allele!r} of person {person.id!r} at {locus_name} is not in the database"
                    )
            out += [str(locus.alleles.index(genotype[0])), str(locus.alleles.index(genotype[1])),
                    str(loci_index[locus_name])]

    names = [p.id for p in project.persons]
    sex_of = {p.id: p.sex for p in project.persons}
    known_extras = _female_first(project.known_relations.extras)
    known_relations = list(project.known_relations.relations)
    for person in project.persons:
        for parent in (person.father, person.mother):
            if parent is not None and (parent, person.id) not in known_relations:
                known_relations.append((parent, person.id))
    out.append('"Known relations"')
    out += _relations_lines(target, "Known relations", known_relations, known_extras, names, sex_of)
    out.append(str(len(project.pedigrees)))
    base = names + [n for n, _ in known_extras]
    sex_of.update(dict(known_extras))
    for i, ped in enumerate(project.pedigrees):
        out += [str(i), f'"{ped.name}"']
        out += _relations_lines(target, ped.name, list(ped.relations), _female_first(ped.extras), base, sex_of)

    out += [f"#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: {_num(project.theta)} )", str(len(project.loci))]
    if project.database_name is not None:
        out += ["#TRUE#", f'"{project.database_name}"']
    else:
        out.append("#FALSE#")
    for locus in project.loci:
        out += _locus_lines(target, locus)
    if project.dvi is not None:
        out += ["", *_dvi_lines(project.dvi)]
    out += list(project.settings)
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def _check_single_lines(target: str, project: FamiliasProject) -> None:
    """Refuse names and alleles that would break the one-value-per-line layout."""
    people = list(project.persons)
    texts: list[str] = [project.version, project.comment, project.database_name or ""]
    peds = [project.known_relations, *project.pedigrees]
    if project.dvi is not None:
        people += list(project.dvi.victims)
        for family in project.dvi.families:
            texts.append(family.name)
            people += list(family.persons)
            peds += list(family.pedigrees)
    for person in people:
        texts.append(person.id)
        for locus, alleles in person.genotypes.items():
            texts += [locus, *alleles]
    for ped in peds:
        texts.append(ped.name)
        texts += [name for relation in ped.relations for name in relation]
        texts += [name for name, _ in ped.extras]
    for locus in project.loci:
        texts += [locus.name, *locus.alleles]
    for text in texts:
        if any(ch in text for ch in '\r\n"'):
            raise BadValueError(target, f"{text!r} cannot be written: it holds a line break or a double quote")


def _female_first(extras: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [e for e in extras if e[1] == "female"] + [e for e in extras if e[1] != "female"]


def _relations_lines(
    target: str, title: str, relations: list[tuple[str, str]], extras: list[tuple[str, str]],
    names: list[str], sex_of: dict[str, str],
) -> list[str]:
    everyone = names + [n for n, _ in extras]
    index = {n: i for i, n in enumerate(everyone)}
    n_female = sum(1 for _, s in extras if s == "female")
    lines = [str(n_female), str(len(extras) - n_female), str(len(relations))]
    for parent, child in relations:
        for person in (parent, child):
            if person not in index:
                raise BadValueError(target, f"pedigree {title!r} refers to unknown person {person!r}")
        lines += [str(index[parent]), str(index[child])]
    return lines


def _locus_lines(target: str, locus: FamiliasLocus) -> list[str]:
    codes = []
    for model in (locus.female_model, locus.male_model):
        if model.model not in FAMILIAS_MUTATION_MODELS:
            raise BadValueError(
                target, f"mutation model {model.model!r} of {locus.name} cannot be written to a .fam file"
            )
        codes.append(FAMILIAS_MUTATION_MODELS.index(model.model))
    if len(locus.alleles) != len(locus.freqs):
        raise BadValueError(target, f"{locus.name} has {len(locus.alleles)} alleles but {len(locus.freqs)} freqs")
    numbers = [*locus.freqs, locus.dropout, locus.minor_allele_frequency, locus.silent_freq or 0.0]
    for model in (locus.female_model, locus.male_model):
        numbers += [model.rate, model.rate2, model.range]
    if not all(isinstance(x, int | float) and math.isfinite(x) for x in numbers):
        raise BadValueError(target, f"{locus.name} has a frequency, rate or range that is not a finite number")
    silent = locus.silent_freq is not None
    size = "" if locus.database_size is None else str(locus.database_size)
    lines = [
        f'"{locus.name}"',
        _num(locus.female_model.rate), _num(locus.male_model.rate), str(codes[0]), str(codes[1]),
        str(len(locus.alleles) + (1 if silent else 0)),
        _num(locus.female_model.range), _num(locus.male_model.range),
        _num(locus.female_model.rate2), _num(locus.male_model.rate2),
        "#TRUE#" if silent else "#FALSE#", _num(locus.silent_freq or 0.0),
        f"{len(locus.alleles)}\t(DatabaseSize = {size} , Dropout probability = {_num(locus.dropout)} , "
        f"Minor allele frequency = {_num(locus.minor_allele_frequency)} )",
    ]
    for allele, freq in zip(locus.alleles, locus.freqs, strict=True):
        lines += [f'"{allele}"', _num(freq)]
    return lines


def _dvi_person_lines(person: FamiliasPerson, depth: int, number: int, space: str) -> Iterator[str]:
    yield "[" * depth + f"Person {number}{space}" + "]" * depth
    yield f"Name= {person.id}"
    if person.sex != "unknown":
        yield f"Gender= {person.sex.capitalize()}"
    yield "[" * (depth + 1) + "DNA data" + "]" * (depth + 1)
    yield f"nSystems= {len(person.genotypes)}"
    for locus, alleles in person.genotypes.items():
        yield f"SystemName= {locus}"
        for k, allele in enumerate(alleles, start=1):
            yield f"Allele{k}= {allele}"


def _dvi_lines(dvi: FamiliasDVI) -> list[str]:
    lines = ["[DVI]", "[[Unidentified persons]]", f"nPersons= {len(dvi.victims)}"]
    for number, person in enumerate(dvi.victims, start=1):
        lines += _dvi_person_lines(person, 3, number, " ")
    lines += ["[[Notes]]", *dvi.notes]
    lines += ["[[Reference Families]]", f"nFamilies= {len(dvi.families)}"]
    for number, family in enumerate(dvi.families, start=1):
        lines += [f"[[[Family {number} ]]]", f"Name= {family.name}", "[[[[Persons]]]]",
                  f"nPersons= {len(family.persons)}"]
        for k, person in enumerate(family.persons, start=1):
            lines += _dvi_person_lines(person, 5, k, "")
        lines += ["[[[[Pedigrees]]]]", f"nPedigrees= {len(family.pedigrees)}"]
        for k, ped in enumerate(family.pedigrees, start=1):
            lines += [f"[[[[[Pedigree {k}]]]]]", f"Name= {ped.name}", f"nRelations= {len(ped.relations)}"]
            for parent, child in ped.relations:
                lines += [f"Parent= {parent}", f"Child= {child}"]
    return lines


