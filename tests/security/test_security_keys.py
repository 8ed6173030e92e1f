"""The start-up check that the key file matches the database's recorded key versions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.security.crypto import KeyFileError, KeyRing
from mpid.security.keys import check_key_file
from mpid.security.models import EncryptionKeyVersion


def test_first_use_records_and_later_uses_match(session: Session, ring: KeyRing) -> None:
    assert check_key_file(session, ring) == [1]
    session.commit()
    assert check_key_file(session, ring) == []
    ring.add_version()
    assert check_key_file(session, ring) == [2]
    rows = session.scalars(select(EncryptionKeyVersion).order_by(EncryptionKeyVersion.version)).all()
    assert [(r.version, r.fingerprint) for r in rows] == [(1, ring.fingerprint(1)), (2, ring.fingerprint(2))]


def test_a_different_key_file_is_refused(session: Session, ring: KeyRing) -> None:
    check_key_file(session, ring)
    with pytest.raises(KeyFileError, match="wrong key file"):
        check_key_file(session, KeyRing.generate())


def test_a_key_file_missing_a_version_is_refused(session: Session, ring: KeyRing) -> None:
    ring.add_version()
    check_key_file(session, ring)
    older = KeyRing(keys={1: ring.keys[1]}, pseudonym_key=ring.pseudonym_key)
    with pytest.raises(KeyFileError, match="key version 2"):
        check_key_file(session, older)


def test_check_without_recording(session: Session, ring: KeyRing) -> None:
    assert check_key_file(session, ring, record=False) == [1]
    assert session.scalars(select(EncryptionKeyVersion)).all() == []
