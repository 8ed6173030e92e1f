"""Security tables: user accounts, session/API tokens, the hash-chained audit log, key metadata.

They share the register's declarative base, so the register's Alembic chain creates them;
no key material is ever stored here (keys stay in the key file, see :mod:`mpid.security.crypto`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from mpid.registry.base import Base
from mpid.security.roles import Role

__all__ = [
    "SECURITY_TABLES",
    "AuditEntry",
    "AuthToken",
    "EncryptionKeyVersion",
    "TokenKind",
    "UTCTimestamp",
    "User",
    "utc_now",
]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock of the security code)."""
    return datetime.now(UTC)


class UTCTimestamp(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TokenKind:
    """Kinds of opaque tokens: a browser session (cookie) or an API token (bearer)."""

    SESSION = "session"
    API = "api"
    ALL = (SESSION, API)


def _role_type() -> Enum:
    return Enum(
        Role, name="user_role", native_enum=False, create_constraint=True, length=32,
        validate_strings=True, values_callable=lambda members: [m.value for m in members],
    )


class User(Base):
    """A person who signs in: a role, an agency for partners, an argon2id password hash, lock-out state."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_role_type(), nullable=False)
    agency: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCTimestamp())
    locked_until: Mapped[datetime | None] = mapped_column(UTCTimestamp())
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp(), nullable=False, default=utc_now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCTimestamp())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCTimestamp())

    tokens: Mapped[list[AuthToken]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                   passive_deletes=True)

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, role={self.role!r})"


class AuthToken(Base):
    """An opaque session or API token, stored only as its SHA-256 hash, with expiry and revocation."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    label: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCTimestamp(), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCTimestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCTimestamp())

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEntry(Base):
    """One entry of the append-only audit log; ``entry_hash`` covers the entry and ``prev_hash``.

    ``recorded_at`` and ``details`` are stored as the exact canonical text that was
    hashed, so verification never depends on how a database round-trips times or JSON.
    """

    __tablename__ = "audit_log"

    sequence: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                          autoincrement=False)
    recorded_at: Mapped[str] = mapped_column(String(40), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)

    def as_dict(self) -> dict[str, Any]:
        """The entry's fields as plain values."""
        return {c.name: getattr(self, c.key) for c in self.__table__.columns}


class EncryptionKeyVersion(Base):
    """Public metadata of a data-key version (fingerprint, dates); the key itself is in the key file."""

    __tablename__ = "encryption_keys"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp(), nullable=False)
    rotated_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    note: Mapped[str | None] = mapped_column(String(200))


SECURITY_TABLES = (User.__table__, AuthToken.__table__, AuditEntry.__table__, EncryptionKeyVersion.__table__)
