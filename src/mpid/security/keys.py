"""Checks that the key file in use is the one the database was encrypted with (by public fingerprints).

A wrong ``MPID_KEY_FILE`` would otherwise create a fresh key file and quietly seal new rows
under keys the old rows never saw; calling :func:`check_key_file` at start-up stops that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.security.crypto import KeyFileError, KeyRing
from mpid.security.models import EncryptionKeyVersion, utc_now

__all__ = ["check_key_file"]

log = logging.getLogger(__name__)


def check_key_file(session: Session, ring: KeyRing, *, record: bool = True,
                   clock: Callable[[], datetime] = utc_now) -> list[int]:
    """Compare the key file with the key versions the database knows; record new versions.

    Raises :class:`KeyFileError` when a version the database recorded is missing from the
    key file or has another fingerprint (a different key file). Returns the versions newly
    recorded (flushed, not committed).
    """
    known = {row.version: row for row in session.scalars(select(EncryptionKeyVersion))}
    for version, row in sorted(known.items()):
        if version not in ring.keys:
            raise KeyFileError(f"the database uses key version {version}, which the key file {ring.path} lacks")
        if ring.fingerprint(version) != row.fingerprint:
            raise KeyFileError(
                f"key version {version} in {ring.path} has fingerprint {ring.fingerprint(version)}, "
                f"the database expects {row.fingerprint}: wrong key file?"
            )
    added = sorted(set(ring.keys) - set(known))
    if record:
        for version in added:
            session.add(EncryptionKeyVersion(version=version, fingerprint=ring.fingerprint(version),
                                             created_at=clock(), rotated_rows=0))
        session.flush()
        if added:
            log.info("recorded key versions %s", added)
    return added
