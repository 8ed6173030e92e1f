"""STR allele nomenclature and locus names.

Alleles are kept as canonical strings, the way labs write them (ISFG nomenclature):
integers (``"12"``), microvariants (``"9.3"``), off-ladder calls (``"<6"``, ``">15"``,
``"OL"``) and the amelogenin alleles ``"X"`` and ``"Y"``. Strings, not floats, because
``9.3`` and ``9.30`` are one allele while ``"OL"`` is none of the numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = [
    "AlleleError",
    "CODIS_CORE_20",
    "ESS_LOCI",
    "allele_repeat_number",
    "allele_sort_key",
    "canonical_locus",
    "is_microvariant",
    "is_off_ladder",
    "parse_allele",
]


class AlleleError(ValueError):
    """An allele or locus name that cannot be read."""


# The 20 CODIS core loci (since 2017) and the 12 ESS loci (plus amelogenin), canonical names.
CODIS_CORE_20: tuple[str, ...] = (
    "CSF1PO", "FGA", "TH01", "TPOX", "VWA", "D3S1358", "D5S818", "D7S820", "D8S1179",
    "D13S317", "D16S539", "D18S51", "D21S11", "D1S1656", "D2S441", "D2S1338", "D10S1248",
    "D12S391", "D19S433", "D22S1045",
)
ESS_LOCI: tuple[str, ...] = (
    "D3S1358", "VWA", "D8S1179", "D21S11", "D18S51", "TH01", "FGA", "D1S1656", "D2S441",
    "D10S1248", "D12S391", "D22S1045",
)

# Spellings seen in lab exports, frequency tables and CMF files, folded to one name.
_LOCUS_ALIASES: dict[str, str] = {
    "THO1": "TH01",
    "TH01": "TH01",
    "VWA": "VWA",
    "PENTAD": "PENTA_D",
    "PENTAE": "PENTA_E",
    "PENTAC": "PENTA_C",
    "AMEL": "AMEL",
    "AMELOGENIN": "AMEL",
    "AM": "AMEL",
    "FGA": "FGA",
    "FIBRA": "FGA",
    "CSF1P0": "CSF1PO",
    "TPOX": "TPOX",
    "SE33": "SE33",
    "ACTBP2": "SE33",
    "DYS391": "DYS391",
}
_DISPLAY = {"PENTA_D": "Penta D", "PENTA_E": "Penta E", "PENTA_C": "Penta C", "VWA": "VWA"}


def canonical_locus(name: str) -> str:
    """Fold a locus name to its canonical spelling (``THO1``→``TH01``, ``vWA``→``VWA``,
    ``Penta D``/``PentaD``/``Penta_D``→``PENTA_D``, ``Amelogenin``→``AMEL``).

    Case, spaces, dots, hyphens and underscores are ignored; a name not in the alias
    table is returned upper-cased without separators (``d8s1179``→``D8S1179``).
    """
    if not isinstance(name, str) or not name.strip():
        raise AlleleError(f"empty locus name: {name!r}")
    key = re.sub(r"[\s._\-]+", "", name.strip().upper())
    if not key:
        raise AlleleError(f"empty locus name: {name!r}")
    return _LOCUS_ALIASES.get(key, key)


def display_locus(canonical: str) -> str:
    """The conventional printed spelling of a canonical locus name."""
    return _DISPLAY.get(canonical, canonical)


_OFF_LADDER = re.compile(r"^([<>])\s*(\d+(?:\.\d)?)$")


def parse_allele(text: object) -> str:
    """Read one allele call and return its canonical string.

    ``"9.3"``→``"9.3"``, ``"10.0"``/``10``→``"10"``, ``" < 6 "``→``"<6"``, ``"ol"``→``"OL"``,
    ``"x"``→``"X"``. Raises :class:`AlleleError` naming the value for anything else
    (empty strings, ``"?"``, ``"9.33"``, negative numbers).
    """
    if isinstance(text, bool) or text is None:
        raise AlleleError(f"not an allele: {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise AlleleError(f"negative allele: {text!r}")
        if text > 9999:  # the same bound as for text: no STR has ten thousand repeats
            raise AlleleError(f"not an allele: {text!r}")
        return str(text)
    if isinstance(text, float):
        text = repr(text)
    if not isinstance(text, str):
        raise AlleleError(f"not an allele: {text!r}")
    s = text.strip()
    if not s:
        raise AlleleError("empty allele")
    up = s.upper()
    if up in ("X", "Y"):
        return up
    if up == "OL" or up == "OFF-LADDER":
        return "OL"
    m = _OFF_LADDER.match(s)
    if m:
        return m.group(1) + _canonical_number(m.group(2), text)
    return _canonical_number(s, text)


_NUMBER = re.compile(r"^\d{1,4}(?:\.\d{1,6})?$")


def _canonical_number(s: str, original: object) -> str:
    # Plain decimal notation only: "1e1" or "1e5000" are not allele calls.
    if not _NUMBER.match(s):
        raise AlleleError(f"not an allele: {original!r}")
    try:
        d = Decimal(s)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise AlleleError(f"not an allele: {original!r}") from None
    if not d.is_finite() or d < 0:
        raise AlleleError(f"not an allele: {original!r}")
    if d == d.to_integral_value():
        return str(int(d))
    # Microvariants carry one decimal digit: the number of extra bases (9.3 = 9 repeats + 3 bp).
    q = d.quantize(Decimal("0.1"))
    if q != d:
        raise AlleleError(f"microvariant with more than one decimal: {original!r}")
    if q.as_tuple().digits[-1] == 0:  # pragma: no cover - caught by the integral test
        return str(int(q))
    return format(q, "f")


def is_off_ladder(allele: str) -> bool:
    """True for ``OL``, ``<n`` and ``>n`` calls."""
    return allele == "OL" or allele[:1] in "<>"


def is_microvariant(allele: str) -> bool:
    """True for a non-integer repeat number such as ``9.3``."""
    return "." in allele and not is_off_ladder(allele)


def allele_repeat_number(allele: str) -> float | None:
    """The repeat number of a numeric allele (``9.3``→9.3), None for OL/X/Y/<n/>n."""
    if is_off_ladder(allele) or allele in ("X", "Y"):
        return None
    return float(allele)


def allele_sort_key(allele: str) -> tuple[int, float, str]:
    """Sort numerically as pedtools does: numbers first by value, then the rest by text."""
    if allele.startswith("<"):
        return (0, float(allele[1:]) - 0.5, allele)
    if allele.startswith(">"):
        return (0, float(allele[1:]) + 0.5, allele)
    try:
        return (0, float(allele), allele)
    except ValueError:
        return (1, 0.0, allele)
