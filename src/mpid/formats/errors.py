"""Errors raised by the file importers: one class per problem, each naming file, place and field.

Every parser in :mod:`mpid.formats` raises only :class:`FormatError` (or a subclass) for
bad input, so callers can catch one exception and show the message to the analyst.
"""

from __future__ import annotations

from pathlib import PurePath

__all__ = [
    "AlleleParseError",
    "BadDateError",
    "BadFrequencyError",
    "BadValueError",
    "EmptyLocusError",
    "FormatError",
    "MalformedFileError",
    "MissingColumnError",
    "MissingElementError",
    "UnknownLocusError",
    "UnsafeXMLError",
]


class FormatError(ValueError):
    """A file that cannot be read, with the file, line (or XML element) and field it concerns."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        element: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.element = element
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [PurePath(self.path).name or self.path]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.element is not None:
            parts.append(f"element {self.element}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts) + ": " + self.message

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with the keyword arguments (multiprocessing and logging copy exceptions)."""
        return (_rebuild, (type(self), self.path, self.message, self.line, self.element, self.field))


def _rebuild(
    cls: type[FormatError], path: str, message: str, line: int | None, element: str | None, field: str | None
) -> FormatError:
    return cls(path, message, line=line, element=element, field=field)


class MalformedFileError(FormatError):
    """The file's structure is not the expected layout (wrong header, truncated block, bad XML)."""


class MissingColumnError(FormatError):
    """A column the layout needs is absent from the header."""


class MissingElementError(FormatError):
    """An XML element the format requires is absent."""


class EmptyLocusError(FormatError):
    """A locus or marker name is empty."""


class UnknownLocusError(FormatError):
    """A genotype refers to a locus that the file does not define."""


class AlleleParseError(FormatError):
    """An allele call that is not valid STR nomenclature."""


class BadFrequencyError(FormatError):
    """A frequency that is not a number in [0, 1], or a sample size that is not a count."""


class BadDateError(FormatError):
    """A date that is not YYYY-MM-DD, YYYY-MM or YYYY."""


class BadValueError(FormatError):
    """A field value outside its allowed set (sex, category, mode, number)."""


class UnsafeXMLError(FormatError):
    """XML using entity declarations or external references, refused to prevent expansion attacks."""
