"""Human-friendly random codes for cases, donors, families, sites and remains."""

from __future__ import annotations

import secrets

__all__ = ["new_code"]

# Crockford base32 without I, L, O, U: easy to read aloud and to type from a letter.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_code(prefix: str, groups: int = 2, group_length: int = 4) -> str:
    """A random code such as ``MP-7K3Q-X9TB`` (2 × 4 characters: 2^40 possibilities)."""
    parts = ["".join(secrets.choice(_ALPHABET) for _ in range(group_length)) for _ in range(groups)]
    return "-".join([prefix, *parts])
