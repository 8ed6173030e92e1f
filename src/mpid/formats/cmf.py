"""CODIS Common Message Format (CMF 3.2, ``urn:CODISImportFile-schema``): import and export.

Reading uses :mod:`defusedxml` so that a file with a DOCTYPE, entity declarations or
external references is refused (:class:`~mpid.formats.errors.UnsafeXMLError`) before any
entity is expanded. Every ``SPECIMEN`` becomes one :class:`ProfileRecord`:

* ``sample_id`` = ``SPECIMENID``; ``category`` = ``SPECIMENCATEGORY`` as written (``Missing
  Person``, ``Unidentified Person``, ``Biological Mother``, ``Maternal Relative``...);
  ``lab`` = ``SOURCELAB``; ``kit`` = ``KIT``; ``run`` = ``BATCHID`` of the header.
* ``attributes`` keeps ``case_id``, ``source_id``, ``partial``, ``comment`` (specimen) and
  ``destination``, ``submitted_by``, ``submitted_at`` (header) when present.
* Locus names are folded (``Amelogenin``→``AMEL``, ``vWA``→``VWA``, ``Penta D``→``PENTA_D``);
  off-ladder values ``<6``/``>15`` are kept; a homozygote written as one ``ALLELE`` follows
  the homozygote rule of :mod:`mpid.formats.types`.

Errors name the element by path, e.g. ``/CODISImportFile/SPECIMEN[1]/LOCUS[4]``, with its line.
Writing puts each homozygote as one ``ALLELE`` (CODIS convention), so a partial genotype
``(a, None)`` cannot be told from a homozygote once written.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from mpid.formats._common import (
    allele_or_error,
    check_single_allele_rule,
    locus_or_error,
    make_genotype,
)
from mpid.formats._xml import XMLNode, load_xml_tree, with_element
from mpid.formats.errors import (
    BadValueError,
    EmptyLocusError,
    FormatError,
    MalformedFileError,
    MissingElementError,
)
from mpid.formats.types import ProfileRecord, SingleAlleleRule

__all__ = ["CMF_NAMESPACE", "CMF_SPECIMEN_CATEGORIES", "parse_cmf", "write_cmf"]

CMF_NAMESPACE = "urn:CODISImportFile-schema"

# SPECIMENCATEGORY values of the 2017 CMF schema (the ones mpid uses come first).
CMF_SPECIMEN_CATEGORIES: tuple[str, ...] = (
    "Missing Person", "Unidentified Person", "Deduced Missing Person", "Biological Father",
    "Biological Mother", "Biological Child", "Biological Sibling", "Maternal Relative",
    "Paternal Relative", "Spouse", "Alleged Father", "Alleged Mother", "Arrestee", "CO Duplicate",
    "Convicted Offender", "Deceased", "Deduced Suspect", "Detainee", "Elimination, Known",
    "Forensic Mixture", "Forensic Partial", "Forensic Targeted", "Forensic, Unknown", "Juvenile",
    "Legal", "Multi-allelic Offender", "Other", "Population", "Proficiency", "Staff",
    "Suspect, Known", "Unreviewed Offender", "Victim, Known", "Volunteer",
)

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Canonical locus name -> the spelling the CMF schema enumerates.
_CMF_LOCUS_NAMES = {"VWA": "vWA", "PENTA_D": "Penta D", "PENTA_E": "Penta E", "AMEL": "AMEL"}


def parse_cmf(
    path: str | os.PathLike[str], *, single_allele: SingleAlleleRule = "homozygote"
) -> list[ProfileRecord]:
    """Read a CODIS CMF XML file into one record per SPECIMEN."""
    source = str(path)
    check_single_allele_rule(source, single_allele)
    root = load_xml_tree(source)
    if root.tag != "CODISImportFile":
        raise MalformedFileError(
            source, f"root element is {root.tag}, expected CODISImportFile", line=root.line, element=root.path
        )
    header = {tag: _child_text(root, tag) for tag in ("SOURCELAB", "DESTINATIONORI", "KIT", "BATCHID",
                                                       "SUBMITBYUSERID", "SUBMITDATETIME")}
    records = []
    for specimen in root.all("SPECIMEN"):
        records.append(_read_specimen(source, specimen, header, single_allele))
    return records


def _child_text(node: XMLNode, tag: str) -> str | None:
    child = node.first(tag)
    return child.text if child is not None and child.text else None


def _read_specimen(
    source: str, specimen: XMLNode, header: dict[str, str | None], single_allele: SingleAlleleRule
) -> ProfileRecord:
    id_node = specimen.first("SPECIMENID")
    if id_node is None:
        raise MissingElementError(
            source, "SPECIMEN has no SPECIMENID", line=specimen.line, element=specimen.path
        )
    if not id_node.text:
        raise BadValueError(source, "empty SPECIMENID", line=id_node.line, element=id_node.path)
    loci: dict = {}
    lines: dict[str, int] = {}
    for locus_node in specimen.all("LOCUS"):
        name_node = locus_node.first("LOCUSNAME")
        if name_node is None:
            raise MissingElementError(
                source, "LOCUS has no LOCUSNAME", line=locus_node.line, element=locus_node.path
            )
        if not name_node.text:
            raise EmptyLocusError(source, "empty LOCUSNAME", line=name_node.line, element=name_node.path)
        try:
            locus = locus_or_error(source, name_node.text)
        except FormatError as exc:
            raise with_element(name_node, exc) from None
        calls = []
        for allele_node in locus_node.all("ALLELE"):
            value = allele_node.first("ALLELEVALUE")
            if value is None:
                raise MissingElementError(
                    source, "ALLELE has no ALLELEVALUE", line=allele_node.line, element=allele_node.path
                )
            try:
                calls.append(allele_or_error(source, value.text))
            except FormatError as exc:
                raise with_element(value, exc) from None
        if not calls:
            raise MissingElementError(
                source, f"LOCUS {name_node.text} has no ALLELE", line=locus_node.line, element=locus_node.path
            )
        if locus in loci:
            raise BadValueError(
                source, f"locus {name_node.text} appears twice in specimen {id_node.text}",
                line=locus_node.line, element=locus_node.path,
            )
        loci[locus] = make_genotype(calls, single_allele)
        lines[locus] = locus_node.line
    attributes = {
        "case_id": specimen.attrs.get("CASEID"),
        "source_id": specimen.attrs.get("SOURCEID"),
        "partial": specimen.attrs.get("PARTIAL"),
        "comment": _child_text(specimen, "SPECIMENCOMMENT"),
        "destination": header["DESTINATIONORI"],
        "submitted_by": header["SUBMITBYUSERID"],
        "submitted_at": header["SUBMITDATETIME"],
    }
    return ProfileRecord(
        sample_id=id_node.text,
        loci=loci,
        source_path=source,
        source_lines=lines,
        kit=header["KIT"],
        lab=header["SOURCELAB"],
        run=header["BATCHID"],
        category=_child_text(specimen, "SPECIMENCATEGORY"),
        attributes={k: v for k, v in attributes.items() if v is not None},
    )


def write_cmf(
    records: Iterable[ProfileRecord],
    path: str | os.PathLike[str],
    *,
    source_lab: str,
    destination: str,
    submitted_by: str = "MPID",
    submitted_at: datetime | None = None,
    kit: str | None = None,
    batch_id: str | None = None,
    default_category: str = "Unidentified Person",
) -> None:
    """Write records as a CMF 3.2 import file; a homozygote is written as one ALLELE."""
    records = list(records)
    when = (submitted_at or datetime.now()).replace(microsecond=0).isoformat()
    kit = kit if kit is not None else _common_value([r.kit for r in records])
    batch_id = batch_id if batch_id is not None else _common_value([r.run for r in records])
    root = ET.Element("CODISImportFile", {"xmlns": CMF_NAMESPACE})
    for tag, value in (("HEADERVERSION", "3.2"), ("MESSAGETYPE", "Import"), ("DESTINATIONORI", destination),
                       ("SOURCELAB", source_lab), ("SUBMITBYUSERID", submitted_by), ("SUBMITDATETIME", when),
                       ("BATCHID", batch_id), ("KIT", kit)):
        if value:
            ET.SubElement(root, tag).text = value
    for number, record in enumerate(records, start=1):
        if not record.sample_id:
            raise BadValueError(str(path), f"record {number} has an empty sample_id")
        attrs = {
            key: record.attributes[attr]
            for key, attr in (("SOURCEID", "source_id"), ("CASEID", "case_id"), ("PARTIAL", "partial"))
            if record.attributes.get(attr)
        }
        specimen = ET.SubElement(root, "SPECIMEN", attrs)
        ET.SubElement(specimen, "SPECIMENID").text = record.sample_id
        ET.SubElement(specimen, "SPECIMENCATEGORY").text = record.category or default_category
        if record.attributes.get("comment"):
            ET.SubElement(specimen, "SPECIMENCOMMENT").text = record.attributes["comment"]
        for locus, genotype in record.loci.items():
            alleles = list(dict.fromkeys(a for a in genotype if a is not None))
            if not alleles:
                continue
            locus_node = ET.SubElement(specimen, "LOCUS")
            ET.SubElement(locus_node, "LOCUSNAME").text = _CMF_LOCUS_NAMES.get(locus, locus)
            ET.SubElement(locus_node, "READINGBY").text = submitted_by
            ET.SubElement(locus_node, "READINGDATETIME").text = when
            for allele in alleles:
                ET.SubElement(ET.SubElement(locus_node, "ALLELE"), "ALLELEVALUE").text = allele
    for element in root.iter():
        for text in (element.text or "", *element.attrib.values()):
            if _XML_ILLEGAL.search(text):
                raise BadValueError(
                    str(path), f"{element.tag} {text!r} holds a control character that XML cannot carry"
                )
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    Path(path).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n", encoding="utf-8")


def _common_value(values: list[str | None]) -> str | None:
    distinct = set(values)
    return values[0] if len(distinct) == 1 else None
