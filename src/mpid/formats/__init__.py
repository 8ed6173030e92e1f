"""mpid.formats: importers and exporters for lab, pedigree, frequency and register files.

Every parser raises :class:`FormatError` (naming file, line or XML element, and field) for
bad input and nothing else; see ``docs/formats.md`` for the rules of each format.
"""

from mpid.formats.cmf import parse_cmf, write_cmf
from mpid.formats.detect import FORMAT_KINDS, detect_format
from mpid.formats.errors import (
    AlleleParseError,
    BadDateError,
    BadFrequencyError,
    BadValueError,
    EmptyLocusError,
    FormatError,
    MalformedFileError,
    MissingColumnError,
    MissingElementError,
    UnknownLocusError,
    UnsafeXMLError,
)
from mpid.formats.familias import parse_familias, write_familias
from mpid.formats.frequencies import parse_frequency_table
from mpid.formats.genemapper import parse_genemapper, write_genemapper
from mpid.formats.register_lists import (
    DEFAULT_COLUMN_MAPPING,
    REGISTER_FIELDS,
    parse_register_list,
    write_register_csv,
    write_register_xlsx,
)
from mpid.formats.types import (
    FamiliasDVI,
    FamiliasFamily,
    FamiliasLocus,
    FamiliasMutationModel,
    FamiliasPedigree,
    FamiliasPerson,
    FamiliasProject,
    FrequencyTableData,
    ProfileRecord,
    RegisterRow,
)

__all__ = [
    "DEFAULT_COLUMN_MAPPING",
    "FORMAT_KINDS",
    "REGISTER_FIELDS",
    "AlleleParseError",
    "BadDateError",
    "BadFrequencyError",
    "BadValueError",
    "EmptyLocusError",
    "FamiliasDVI",
    "FamiliasFamily",
    "FamiliasLocus",
    "FamiliasMutationModel",
    "FamiliasPedigree",
    "FamiliasPerson",
    "FamiliasProject",
    "FormatError",
    "FrequencyTableData",
    "MalformedFileError",
    "MissingColumnError",
    "MissingElementError",
    "ProfileRecord",
    "RegisterRow",
    "UnknownLocusError",
    "UnsafeXMLError",
    "detect_format",
    "parse_cmf",
    "parse_familias",
    "parse_frequency_table",
    "parse_genemapper",
    "parse_register_list",
    "write_cmf",
    "write_familias",
    "write_genemapper",
    "write_register_csv",
    "write_register_xlsx",
]
