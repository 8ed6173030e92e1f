"""Accounts, passwords, lock-out (fake clock) and opaque session/API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_helpers import FakeClock
from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.security.auth import (
    SESSION_COOKIE_NAME,
    AccountLockedError,
    AuthenticationError,
    AuthPolicy,
    InvalidTokenError,
    PasswordPolicyError,
    authenticate,
    bearer_token,
    change_password,
    create_user,
    hash_password,
    hash_token,
    issue_token,
    lock_user,
    resolve_token,
    revoke_token,
    revoke_user_tokens,
    session_cookie_settings,
    unlock_user,
    verify_password,
)
from mpid.security.models import AuthToken, TokenKind, User
from mpid.security.roles import Principal, Role

PASSWORD = "correct horse battery staple"


@pytest.fixture
def alice(session: Session, policy: AuthPolicy, clock: FakeClock) -> User:
    user = create_user(session, "alice", PASSWORD, Role.DNA_ANALYST, display_name="Alice", policy=policy,
                       clock=clock)
    session.commit()
    return user


def test_password_hash_is_argon2id_with_production_defaults() -> None:
    encoded = hash_password("a sufficiently long password")
    assert encoded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(encoded, "a sufficiently long password")
    assert not verify_password(encoded, "a sufficiently long passwore")
    assert not verify_password("not a hash", "anything")


def test_create_user_rules(session: Session, policy: AuthPolicy, alice: User) -> None:
    assert alice.password_hash.startswith("$argon2id$") and PASSWORD not in alice.password_hash
    with pytest.raises(ValueError, match="already exists"):
        create_user(session, "alice", PASSWORD, "reviewer", policy=policy)
    with pytest.raises(PasswordPolicyError, match="at least 12 characters"):
        create_user(session, "bob", "short", "reviewer", policy=policy)
    with pytest.raises(PasswordPolicyError, match="differ from the user name"):
        create_user(session, "bobbybobbybob", "BobbyBobbyBob", "reviewer", policy=policy)
    with pytest.raises(ValueError, match="cannot hold an account"):
        create_user(session, "fam", PASSWORD, Role.FAMILY_MEMBER, policy=policy)
    with pytest.raises(ValueError, match="needs an agency"):
        create_user(session, "icrc", PASSWORD, Role.PARTNER_AGENCY, policy=policy)
    with pytest.raises(ValueError, match="without spaces"):
        create_user(session, "two words", PASSWORD, Role.REVIEWER, policy=policy)
    with pytest.raises(ValueError):
        create_user(session, "root", PASSWORD, "superuser", policy=policy)
    partner = create_user(session, "icrc", PASSWORD, Role.PARTNER_AGENCY, agency=" ICRC ", policy=policy)
    assert partner.agency == "ICRC"


def test_authenticate_success_and_generic_failures(session: Session, policy: AuthPolicy, alice: User,
                                                   clock: FakeClock) -> None:
    user = authenticate(session, "alice", PASSWORD, policy=policy, clock=clock)
    assert user.id == alice.id and user.last_login_at == clock.now
    with pytest.raises(AuthenticationError, match="^invalid user name or password$"):
        authenticate(session, "alice", "wrong password!", policy=policy, clock=clock)
    with pytest.raises(AuthenticationError, match="^invalid user name or password$"):
        authenticate(session, "nobody", PASSWORD, policy=policy, clock=clock)


def test_lockout_after_repeated_failures(session: Session, alice: User, clock: FakeClock) -> None:
    policy = AuthPolicy(max_failures=3, lockout_duration=timedelta(minutes=10),
                        argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    for _ in range(2):
        with pytest.raises(AuthenticationError) as info:
            authenticate(session, "alice", "wrong password!", policy=policy, clock=clock)
        assert not isinstance(info.value, AccountLockedError)
        clock.advance(seconds=5)
    with pytest.raises(AccountLockedError) as locked:
        authenticate(session, "alice", "wrong password!", policy=policy, clock=clock)
    assert locked.value.until == clock.now + timedelta(minutes=10)
    session.commit()
    # Even the right password is refused while locked.
    clock.advance(minutes=9, seconds=59)
    with pytest.raises(AccountLockedError):
        authenticate(session, "alice", PASSWORD, policy=policy, clock=clock)
    clock.advance(seconds=1)
    assert authenticate(session, "alice", PASSWORD, policy=policy, clock=clock).failed_logins == 0
    assert alice.locked_until is None


def test_failures_outside_the_window_do_not_accumulate(session: Session, alice: User, clock: FakeClock) -> None:
    policy = AuthPolicy(max_failures=3, failure_window=timedelta(minutes=5),
                        argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    for _ in range(10):
        for _ in range(2):
            with pytest.raises(AuthenticationError) as info:
                authenticate(session, "alice", "wrong password!", policy=policy, clock=clock)
            assert not isinstance(info.value, AccountLockedError)
        clock.advance(minutes=6)
    assert alice.locked_until is None


def test_success_resets_the_failure_count(session: Session, alice: User, policy: AuthPolicy,
                                          clock: FakeClock) -> None:
    for _ in range(policy.max_failures - 1):
        with pytest.raises(AuthenticationError):
            authenticate(session, "alice", "wrong password!", policy=policy, clock=clock)
    authenticate(session, "alice", PASSWORD, policy=policy, clock=clock)
    with pytest.raises(AuthenticationError) as info:
        authenticate(session, "alice", "wrong password!", policy=policy, clock=clock)
    assert not isinstance(info.value, AccountLockedError)


def test_failure_count_survives_commit(engine, alice: User, policy: AuthPolicy, clock: FakeClock) -> None:
    for _ in range(policy.max_failures):
        with Session(engine) as s:
            try:
                authenticate(s, "alice", "wrong password!", policy=policy, clock=clock)
            except AuthenticationError:
                s.commit()
    with Session(engine) as s, pytest.raises(AccountLockedError):
        authenticate(s, "alice", PASSWORD, policy=policy, clock=clock)


def test_admin_lock_and_unlock(session: Session, alice: User, policy: AuthPolicy, clock: FakeClock) -> None:
    issued = issue_token(session, alice, clock=clock)
    lock_user(session, "alice", clock=clock)
    with pytest.raises(AccountLockedError):
        authenticate(session, "alice", PASSWORD, policy=policy, clock=clock)
    with pytest.raises(InvalidTokenError):
        resolve_token(session, issued.token, clock=clock)
    with pytest.raises(AccountLockedError):
        issue_token(session, alice, clock=clock)
    unlock_user(session, "alice")
    authenticate(session, "alice", PASSWORD, policy=policy, clock=clock)
    with pytest.raises(LookupError):
        lock_user(session, "nobody")
    with pytest.raises(LookupError):
        unlock_user(session, "nobody")


def test_rehash_when_policy_cost_rises(session: Session, alice: User, clock: FakeClock) -> None:
    stronger = AuthPolicy(argon2_time_cost=2, argon2_memory_kib=16, argon2_parallelism=1)
    old = alice.password_hash
    authenticate(session, "alice", PASSWORD, policy=stronger, clock=clock)
    assert alice.password_hash != old and "m=16,t=2,p=1" in alice.password_hash


def test_tokens_are_opaque_hashed_and_expire(session: Session, alice: User, clock: FakeClock) -> None:
    issued = issue_token(session, alice, kind=TokenKind.SESSION, client="10.0.0.7", clock=clock)
    session.commit()
    assert issued.token.startswith("mpid_") and len(issued.token) >= 40
    stored = session.scalars(select(AuthToken.token_hash)).all()
    assert stored == [hash_token(issued.token)] and issued.token not in stored[0]
    user, principal = resolve_token(session, issued.token, clock=clock)
    assert user.id == alice.id
    assert principal == Principal(role=Role.DNA_ANALYST, agency=None, user_id=alice.id, username="alice")
    assert issued.record.last_used_at == clock.now
    clock.advance(hours=8)
    with pytest.raises(InvalidTokenError, match="invalid or expired token"):
        resolve_token(session, issued.token, clock=clock)


def test_api_tokens_live_longer_and_kinds_are_checked(session: Session, alice: User, clock: FakeClock) -> None:
    api = issue_token(session, alice, kind=TokenKind.API, label="lab import", clock=clock)
    clock.advance(days=29)
    resolve_token(session, api.token, kind=TokenKind.API, clock=clock)
    with pytest.raises(InvalidTokenError):
        resolve_token(session, api.token, kind=TokenKind.SESSION, clock=clock)
    clock.advance(days=1)
    with pytest.raises(InvalidTokenError):
        resolve_token(session, api.token, clock=clock)
    with pytest.raises(ValueError):
        issue_token(session, alice, kind="forever", clock=clock)


def test_revocation(session: Session, alice: User, policy: AuthPolicy, clock: FakeClock) -> None:
    a = issue_token(session, alice, clock=clock)
    b = issue_token(session, alice, clock=clock)
    c = issue_token(session, alice, kind=TokenKind.API, clock=clock)
    assert revoke_token(session, a.token, clock=clock)
    assert not revoke_token(session, a.token, clock=clock)
    with pytest.raises(InvalidTokenError):
        resolve_token(session, a.token, clock=clock)
    resolve_token(session, b.token, clock=clock)
    assert revoke_user_tokens(session, alice, clock=clock) == 2
    change_password(session, alice, "another long password", policy=policy, clock=clock)
    for issued in (b, c):
        with pytest.raises(InvalidTokenError):
            resolve_token(session, issued.token, clock=clock)
    authenticate(session, "alice", "another long password", policy=policy, clock=clock)


def test_tokens_of_a_locked_out_user_stop_working(session: Session, alice: User, policy: AuthPolicy,
                                                  clock: FakeClock) -> None:
    issued = issue_token(session, alice, clock=clock)
    for _ in range(policy.max_failures):
        with pytest.raises(AuthenticationError):
            authenticate(session, "alice", "wrong password!", policy=policy, clock=clock)
    with pytest.raises(InvalidTokenError):
        resolve_token(session, issued.token, clock=clock)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.one_of(st.none(), st.text(max_size=200), st.text(max_size=60).map(lambda s: "mpid_" + s)))
def test_garbage_tokens_are_refused(session: Session, alice: User, clock: FakeClock, garbage: str | None) -> None:
    with pytest.raises(InvalidTokenError):
        resolve_token(session, garbage, clock=clock)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_any_changed_character_of_a_token_is_refused(session: Session, alice: User, clock: FakeClock,
                                                     position: int, replacement: str) -> None:
    issued = issue_token(session, alice, clock=clock)
    i = position % len(issued.token)
    forged = issued.token[:i] + replacement + issued.token[i + 1:]
    if forged != issued.token:
        with pytest.raises(InvalidTokenError):
            resolve_token(session, forged, clock=clock)
    assert resolve_token(session, issued.token, clock=clock)[0].id == alice.id


def test_tokens_are_unique() -> None:
    import secrets

    assert len({secrets.token_urlsafe(32) for _ in range(1000)}) == 1000


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer mpid_abc") == "mpid_abc"
    assert bearer_token("bearer   mpid_abc  ") == "mpid_abc"
    assert bearer_token("Basic dXNlcjpwYXNz") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
    assert bearer_token("") is None


def test_cookie_settings_are_secure() -> None:
    settings_ = session_cookie_settings()
    assert settings_["key"] == SESSION_COOKIE_NAME
    assert settings_["httponly"] and settings_["secure"] and settings_["samesite"] == "strict"
    assert settings_["max_age"] == 8 * 3600
    assert session_cookie_settings(secure=False)["secure"] is False


def test_case_secrets_for_the_family_portal(policy: AuthPolicy) -> None:
    from mpid.security.auth import hash_case_secret, new_case_secret, verify_case_secret

    secret = new_case_secret()
    assert len(secret) == 11 and secret[5] == "-"
    assert not set(secret) & set("01IO")
    stored = hash_case_secret(secret, policy)
    assert stored.startswith("$argon2id$")
    assert verify_case_secret(stored, secret, policy)
    assert verify_case_secret(stored, " " + secret.lower().replace("-", " ") + " ", policy)
    assert not verify_case_secret(stored, new_case_secret(), policy)
    assert not verify_case_secret(None, secret, policy)
    assert len({new_case_secret() for _ in range(200)}) == 200


def test_resolve_request_prefers_bearer_and_checks_kinds(session: Session, alice: User, clock: FakeClock) -> None:
    from mpid.security.auth import resolve_request

    cookie = issue_token(session, alice, kind=TokenKind.SESSION, clock=clock).token
    api = issue_token(session, alice, kind=TokenKind.API, clock=clock).token
    assert resolve_request(session, cookie=cookie, clock=clock)[1].username == "alice"
    assert resolve_request(session, authorization=f"Bearer {api}", clock=clock)[1].username == "alice"
    assert resolve_request(session, cookie="junk", authorization=f"Bearer {api}", clock=clock)[0].id == alice.id
    with pytest.raises(InvalidTokenError):  # a session cookie is not an API token
        resolve_request(session, authorization=f"Bearer {cookie}", clock=clock)
    with pytest.raises(InvalidTokenError):
        resolve_request(session, cookie=api, clock=clock)
    with pytest.raises(InvalidTokenError):
        resolve_request(session, clock=clock)


def test_concurrent_password_checks_are_bounded(policy: AuthPolicy) -> None:
    import threading

    from mpid.security import auth as auth_module

    encoded = hash_password(PASSWORD, policy)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(verify_password(encoded, PASSWORD, policy)))
               for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 32
    slots = auth_module._argon2_slots()
    assert slots._value == slots._initial_value  # type: ignore[attr-defined]  # every slot given back


def test_idle_sessions_end_and_touches_are_throttled(session: Session, alice: User, clock: FakeClock) -> None:
    issued = issue_token(session, alice, clock=clock)
    resolve_token(session, issued.token, clock=clock)
    first_touch = issued.record.last_used_at
    clock.advance(seconds=30)
    resolve_token(session, issued.token, clock=clock)
    assert issued.record.last_used_at == first_touch  # not written again within a minute
    for _ in range(15):  # used every 25 minutes: stays alive well past the idle limit
        clock.advance(minutes=25)
        resolve_token(session, issued.token, clock=clock)
    assert issued.record.last_used_at == clock.now
    clock.advance(minutes=30)
    with pytest.raises(InvalidTokenError):
        resolve_token(session, issued.token, clock=clock)
    api = issue_token(session, alice, kind=TokenKind.API, clock=clock)
    clock.advance(days=3)  # API tokens have no idle limit
    resolve_token(session, api.token, clock=clock)
    no_idle = AuthPolicy(session_idle=None, argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    long_lived = issue_token(session, alice, clock=clock)
    clock.advance(hours=7)
    resolve_token(session, long_lived.token, policy=no_idle, clock=clock)


def test_csrf_tokens_belong_to_their_session() -> None:
    from mpid.security.auth import csrf_token, verify_csrf

    value = csrf_token("mpid_session_a")
    assert verify_csrf("mpid_session_a", value)
    assert not verify_csrf("mpid_session_b", value)
    assert not verify_csrf("mpid_session_a", value[:-1] + ("0" if value[-1] != "0" else "1"))
    assert not verify_csrf(None, value) and not verify_csrf("mpid_session_a", None)
    assert "mpid_session_a" not in value
