"""Errors of the register: each names what is wrong in words an officer or analyst can act on."""

from __future__ import annotations

__all__ = [
    "AlleleValueError",
    "BarcodeConflictError",
    "ConflictError",
    "NotFoundError",
    "PedigreeContradictionError",
    "RegisterError",
    "UnknownLocusError",
]


class RegisterError(ValueError):
    """A request the register refuses; ``field`` names the input field concerned, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


class NotFoundError(RegisterError):
    """A referenced record (case, sample, site, ...) does not exist."""


class ConflictError(RegisterError):
    """The request contradicts what the register already holds."""


class BarcodeConflictError(ConflictError):
    """A sample bar code is already bound to another case, donor or remains."""


class PedigreeContradictionError(ConflictError):
    """A pedigree that cannot be: wrong-sex parent, a cycle, one parent only, a relative twice."""


class UnknownLocusError(RegisterError):
    """A profile uses a locus that is neither a known STR marker nor in any stored frequency table."""


class AlleleValueError(RegisterError):
    """An allele call that is not valid STR nomenclature."""
