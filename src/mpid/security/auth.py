"""Authentication: argon2id passwords, lock-out after repeated failures, opaque session and API tokens.

Tokens are 256-bit random strings given to the client once and stored only as their
SHA-256 hash, so a copy of the database yields no usable token. The same token works as
a secure cookie for pages (``kind="session"``) and a bearer token for the API (``kind="api"``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mpid.security.models import AuthToken, TokenKind, User, utc_now
from mpid.security.roles import ACCOUNT_ROLES, Principal, Role

__all__ = [
    "SESSION_COOKIE_NAME",
    "TOKEN_PREFIX",
    "AccountLockedError",
    "AuthPolicy",
    "AuthenticationError",
    "Clock",
    "InvalidTokenError",
    "IssuedToken",
    "PasswordPolicyError",
    "authenticate",
    "bearer_token",
    "change_password",
    "create_user",
    "csrf_token",
    "hash_case_secret",
    "hash_password",
    "new_case_secret",
    "hash_token",
    "issue_token",
    "lock_user",
    "principal_for",
    "resolve_request",
    "resolve_token",
    "revoke_token",
    "revoke_user_tokens",
    "session_cookie_settings",
    "unlock_user",
    "verify_case_secret",
    "verify_csrf",
    "verify_password",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SESSION_COOKIE_NAME = "mpid_session"
TOKEN_PREFIX = "mpid_"


class AuthenticationError(Exception):
    """Sign-in refused; the message never says whether the user exists."""


class AccountLockedError(AuthenticationError):
    """The account is locked (too many failures, or by an administrator)."""

    def __init__(self, until: datetime | None) -> None:
        self.until = until
        when = f" until {until.isoformat(timespec='seconds')}" if until else ""
        super().__init__("account locked" + when)


class InvalidTokenError(AuthenticationError):
    """A session or API token that is unknown, expired, revoked or belongs to a disabled user."""


class PasswordPolicyError(ValueError):
    """A password too weak to accept."""


@dataclass(frozen=True)
class AuthPolicy:
    """Tunable settings of authentication (defaults suit a national register)."""

    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    lockout_duration: timedelta = timedelta(minutes=15)
    session_ttl: timedelta = timedelta(hours=8)
    session_idle: timedelta | None = timedelta(minutes=30)  # a browser session unused this long ends
    touch_interval: timedelta = timedelta(minutes=1)  # last_used_at is written at most this often
    api_token_ttl: timedelta = timedelta(days=30)
    min_password_length: int = 12
    # argon2id cost (RFC 9106 second recommended option is 3 passes, 64 MiB).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4

    def hasher(self) -> PasswordHasher:
        """An argon2id hasher with this policy's cost."""
        return PasswordHasher(time_cost=self.argon2_time_cost, memory_cost=self.argon2_memory_kib,
                              parallelism=self.argon2_parallelism)


DEFAULT_POLICY = AuthPolicy()


# Each argon2 computation takes the policy's memory (64 MiB by default); bounding how many run
# at once keeps a burst of sign-ins from exhausting memory. Created on first use.
_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _argon2_slots() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(max(2, min(8, os.cpu_count() or 2)))
        return _slots


def hash_password(password: str, policy: AuthPolicy = DEFAULT_POLICY) -> str:
    """The argon2id hash of ``password`` (PHC string, salt included)."""
    with _argon2_slots():
        return policy.hasher().hash(password)


def verify_password(password_hash: str, password: str, policy: AuthPolicy = DEFAULT_POLICY) -> bool:
    """True when ``password`` matches ``password_hash``; False for a mismatch or a malformed hash."""
    try:
        with _argon2_slots():
            return policy.hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# Case secrets for the family portal: 10 characters from an alphabet without look-alikes (~50 bits),
# hashed with argon2id like passwords; guessing is further throttled by the portal's rate limit.
_SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_case_secret(length: int = 10) -> str:
    """A fresh secret for a family to query their case on the portal (shown once, stored hashed)."""
    raw = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(length))
    return "-".join(raw[i: i + 5] for i in range(0, length, 5))


def _normalise_case_secret(secret: str) -> str:
    return "".join(ch for ch in secret.upper() if ch.isalnum())


def hash_case_secret(secret: str, policy: AuthPolicy = DEFAULT_POLICY) -> str:
    """The argon2id hash stored for a case secret (case, spaces and dashes ignored)."""
    return hash_password(_normalise_case_secret(secret), policy)


def verify_case_secret(secret_hash: str | None, secret: str, policy: AuthPolicy = DEFAULT_POLICY) -> bool:
    """True when ``secret`` matches the stored hash; a case without a secret never matches."""
    if not secret_hash:
        verify_password(_dummy_hash(policy), secret, policy)
        return False
    return verify_password(secret_hash, _normalise_case_secret(secret), policy)


def _check_password_strength(password: str, username: str, policy: AuthPolicy) -> None:
    if len(password) < policy.min_password_length:
        raise PasswordPolicyError(f"password must have at least {policy.min_password_length} characters")
    if password.casefold() == username.casefold() or "\x00" in password:
        raise PasswordPolicyError("password must differ from the user name and contain no NUL")


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    agency: str | None = None,
    display_name: str | None = None,
    policy: AuthPolicy = DEFAULT_POLICY,
    clock: Clock = utc_now,
) -> User:
    """Add a user account (not committed); partner-agency users must name their agency."""
    role = Role(role)
    username = username.strip()
    if role not in ACCOUNT_ROLES:
        raise ValueError(f"role {role.value} cannot hold an account")
    if not username or len(username) > 64 or any(ch.isspace() or ord(ch) < 32 for ch in username):
        raise ValueError("user name must be 1-64 characters without spaces or control characters")
    if role is Role.PARTNER_AGENCY and not (agency and agency.strip()):
        raise ValueError("a partner-agency user needs an agency")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    _check_password_strength(password, username, policy)
    now = clock()
    user = User(
        username=username, role=role, agency=agency.strip() if agency else None, display_name=display_name,
        password_hash=hash_password(password, policy), active=True, failed_logins=0,
        created_at=now, password_changed_at=now,
    )
    session.add(user)
    session.flush()
    log.info("user %s created with role %s", username, role.value)
    return user


def change_password(session: Session, user: User, new_password: str, *,
                    policy: AuthPolicy = DEFAULT_POLICY, clock: Clock = utc_now) -> None:
    """Set a new password and revoke every token of the user."""
    _check_password_strength(new_password, user.username, policy)
    user.password_hash = hash_password(new_password, policy)
    user.password_changed_at = clock()
    revoke_user_tokens(session, user, clock=clock)


# A hash to verify against when the user does not exist, so timing does not reveal it.
_dummy_hashes: dict[AuthPolicy, str] = {}


def _dummy_hash(policy: AuthPolicy) -> str:
    if policy not in _dummy_hashes:
        _dummy_hashes[policy] = hash_password(secrets.token_urlsafe(16), policy)
    return _dummy_hashes[policy]


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    policy: AuthPolicy = DEFAULT_POLICY,
    clock: Clock = utc_now,
) -> User:
    """Check a user name and password; count failures and lock the account after too many.

    Raises :class:`AccountLockedError` while locked (even with the right password) and
    :class:`AuthenticationError` otherwise; changes to the failure counters are flushed,
    the caller commits (also on failure, so the count survives).
    """
    now = clock()
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        verify_password(_dummy_hash(policy), password, policy)
        raise AuthenticationError("invalid user name or password")
    if not user.active:
        verify_password(_dummy_hash(policy), password, policy)
        raise AccountLockedError(None)
    if user.locked_until is not None and now < user.locked_until:
        raise AccountLockedError(user.locked_until)
    if not verify_password(user.password_hash, password, policy):
        if user.last_failed_at is None or now - user.last_failed_at > policy.failure_window:
            user.failed_logins = 0
        user.failed_logins += 1
        user.last_failed_at = now
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + policy.lockout_duration
            user.failed_logins = 0
            session.flush()
            log.warning("user %s locked until %s after repeated failures", user.username, user.locked_until)
            raise AccountLockedError(user.locked_until)
        session.flush()
        raise AuthenticationError("invalid user name or password")
    user.failed_logins = 0
    user.last_failed_at = None
    user.locked_until = None
    user.last_login_at = now
    if policy.hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password, policy)
    session.flush()
    return user


def lock_user(session: Session, username: str, *, clock: Clock = utc_now) -> User:
    """Disable an account (administrator action) and revoke its tokens."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"no user {username!r}")
    user.active = False
    revoke_user_tokens(session, user, clock=clock)
    log.info("user %s locked by an administrator", username)
    return user


def unlock_user(session: Session, username: str) -> User:
    """Re-enable an account and clear its failure count."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"no user {username!r}")
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    user.last_failed_at = None
    session.flush()
    return user


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256 hex (tokens carry 256 random bits, so no slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token handed to a client once (``token``), with its stored record."""

    token: str
    record: AuthToken

    @property
    def expires_at(self) -> datetime:
        """When the token stops working."""
        return self.record.expires_at


def issue_token(
    session: Session,
    user: User,
    *,
    kind: str = TokenKind.SESSION,
    ttl: timedelta | None = None,
    label: str | None = None,
    client: str | None = None,
    policy: AuthPolicy = DEFAULT_POLICY,
    clock: Clock = utc_now,
) -> IssuedToken:
    """Create an opaque token for ``user`` (session cookie or API bearer); only its hash is stored."""
    if kind not in TokenKind.ALL:
        raise ValueError(f"token kind must be one of {TokenKind.ALL}")
    if not user.active:
        raise AccountLockedError(None)
    now = clock()
    if ttl is None:
        ttl = policy.session_ttl if kind == TokenKind.SESSION else policy.api_token_ttl
    lifetime = ttl
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = AuthToken(token_hash=hash_token(token), user_id=user.id, kind=kind, label=label,
                       client=(client or None) and client[:64], created_at=now, expires_at=now + lifetime)
    session.add(record)
    session.flush()
    return IssuedToken(token, record)


def resolve_token(
    session: Session,
    token: str | None,
    *,
    kind: str | None = None,
    policy: AuthPolicy = DEFAULT_POLICY,
    clock: Clock = utc_now,
    touch: bool = True,
) -> tuple[User, Principal]:
    """The user and principal behind a token; :class:`InvalidTokenError` if it is not valid now.

    Session tokens also end after ``policy.session_idle`` without use; ``last_used_at`` is
    written at most every ``policy.touch_interval`` so page views rarely cost a write.
    """
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        raise InvalidTokenError("invalid or expired token")
    record = session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_token(token)))
    now = clock()
    if (
        record is None
        or record.revoked_at is not None
        or now >= record.expires_at
        or (kind is not None and record.kind != kind)
    ):
        raise InvalidTokenError("invalid or expired token")
    last_used = record.last_used_at or record.created_at
    if record.kind == TokenKind.SESSION and policy.session_idle is not None and now - last_used >= policy.session_idle:
        raise InvalidTokenError("invalid or expired token")
    user = record.user
    if not user.active or (user.locked_until is not None and now < user.locked_until):
        raise InvalidTokenError("invalid or expired token")
    if touch and (record.last_used_at is None or now - record.last_used_at >= policy.touch_interval):
        record.last_used_at = now
        session.flush()
    return user, principal_for(user)


def resolve_request(
    session: Session,
    *,
    cookie: str | None = None,
    authorization: str | None = None,
    policy: AuthPolicy = DEFAULT_POLICY,
    clock: Clock = utc_now,
) -> tuple[User, Principal]:
    """The caller of a web request: a bearer API token if the header has one, else the session cookie."""
    bearer = bearer_token(authorization)
    if bearer is not None:
        return resolve_token(session, bearer, kind=TokenKind.API, policy=policy, clock=clock)
    return resolve_token(session, cookie, kind=TokenKind.SESSION, policy=policy, clock=clock)


def csrf_token(session_token: str) -> str:
    """The anti-forgery value pages put in their forms: derived from the session token, useless without it."""
    return hashlib.sha256(b"mpid csrf\x00" + session_token.encode("utf-8")).hexdigest()


def verify_csrf(session_token: str | None, submitted: str | None) -> bool:
    """True when a form's anti-forgery value belongs to this session (constant-time comparison)."""
    if not session_token or not submitted:
        return False
    return hmac.compare_digest(csrf_token(session_token), submitted)


def principal_for(user: User) -> Principal:
    """The principal (role, agency, identity) of a user account."""
    return Principal(role=Role(user.role), agency=user.agency, user_id=user.id, username=user.username)


def revoke_token(session: Session, token: str, *, clock: Clock = utc_now) -> bool:
    """Revoke one token (sign-out); True if it existed and was live."""
    result = session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == hash_token(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=clock())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_user_tokens(session: Session, user: User, *, clock: Clock = utc_now) -> int:
    """Revoke every live token of a user; returns how many."""
    result = session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=clock())
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    if not authorization_header:
        return None
    scheme, _, value = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def session_cookie_settings(policy: AuthPolicy = DEFAULT_POLICY, *, secure: bool = True) -> dict[str, Any]:
    """Keyword arguments for Starlette's ``response.set_cookie`` (besides ``value``) for a session token."""
    return {
        "key": SESSION_COOKIE_NAME,
        "max_age": int(policy.session_ttl.total_seconds()),
        "path": "/",
        "secure": secure,
        "httponly": True,
        "samesite": "strict",
    }
