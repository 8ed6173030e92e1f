"""Shared helpers of the hardening tests: a web app on a seeded SQLite register with one user per role.

Importable from every module of ``tests/hardening`` as ``from hardening_helpers import ...``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from mpid.registry.db import session_scope
from mpid.registry.models import (
    CandidateMatch,
    DatePrecision,
    MissingPerson,
    Remains,
    Sample,
    Sex,
    SiteType,
)
from mpid.security.auth import SESSION_COOKIE_NAME, AuthPolicy, create_user, csrf_token
from mpid.security.ratelimit import AccessLimits, RateLimiter
from mpid.security.roles import Principal, Role

TESTS = Path(__file__).resolve().parents[1]
REFCASES = TESTS / "refcases"
DATA = TESTS / "data"
F01 = REFCASES / "F01_dvi_small_2fam_3vic.json"
PASSWORD = "correct horse battery staple"
FAST_POLICY = AuthPolicy(argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
PARTNER_AGENCY = "ICRC"
OTHER_AGENCY = "UNHCR"

# One account per account role (user name = role name); a second partner of another agency.
USERS: dict[str, tuple[Role, str | None]] = {role.value: (role, PARTNER_AGENCY if role is Role.PARTNER_AGENCY else None)
                                             for role in Role if role is not Role.FAMILY_MEMBER}
USERS["partner_other"] = (Role.PARTNER_AGENCY, OTHER_AGENCY)

# Genetic data as it would appear in a response: F01's allele calls and marker names.
F01_MARKERS = ("D3S1358", "D21S11", "D18S51", "PENTA_E", "D5S818", "D13S317", "D7S820", "D16S539", "CSF1PO",
               "D8S1179", "D19S433", "D2S1338", "D10S1248", "D1S1656", "D22S1045", "D2S441", "D12S391", "SE33")


def generous_limits() -> AccessLimits:
    """Rate limits that never trigger in a test that signs in many times from one client."""
    big = 1_000_000.0
    return AccessLimits(login_by_client=RateLimiter(big, big), login_by_username=RateLimiter(big, big),
                        portal_by_client=RateLimiter(big, big), portal_by_case=RateLimiter(big, big))


@dataclass
class Seeded:
    """The objects of the seeded register the tests address by id or code."""

    case_code: str = ""            # a case reported by the partner's agency (with two donors)
    case_secret: str = ""
    other_case_code: str = ""      # a case reported by another agency only
    genetic_case_code: str = ""    # an F01 case with a pedigree, typed donors and candidates
    shared_genetic_case_code: str = ""  # the other F01 case, also reported by the partner's agency
    site_id: int = 0
    remains_id: int = 0
    barcode: str = ""
    run_id: int = 0
    candidate_id: int = 0
    job_id: int = 0
    shared_donor: str = ""         # pseudonym of a donor whose consent names the partner's agency
    excluded_donor: str = ""       # pseudonym of a donor whose consent does not
    dup_pairs: list[tuple[str, str]] = field(default_factory=list)

    def params(self) -> dict[str, object]:
        """Values for the path parameters of every route."""
        return {"case_code": self.case_code, "site_id": self.site_id, "remains_id": self.remains_id,
                "barcode": self.barcode, "run_id": self.run_id, "candidate_id": self.candidate_id,
                "job_id": self.job_id}


def build_app(database_url: str, *, matched: bool = True, portal_seconds: float = 0.01) -> tuple[FastAPI, Seeded]:
    """The app on a fresh register: users, F01 imported and matched, cases, donors, a site, duplicates."""
    from mpid.security.auth import hash_case_secret, new_case_secret
    from mpid.services.importing import import_file
    from mpid.services.intake import ReportInput, register_report
    from mpid.services.matching import run_matching
    from mpid.services.references import ConsentInput, add_donor
    from mpid.services.sites import SiteInput, record_site
    from mpid.web import WebSettings, create_app

    settings = WebSettings(database_url=database_url, auth_policy=FAST_POLICY, portal_answer_seconds=portal_seconds,
                           search_refresh_seconds=0.0)
    app = create_app(settings)
    app.state.limits = generous_limits()
    seeded = Seeded()
    engine = app.state.engine
    with session_scope(engine) as s:
        for name, (role, agency) in USERS.items():
            create_user(s, name, PASSWORD, role.value, agency=agency, policy=FAST_POLICY)
    import_file(app.state.session_factory, "refcase", F01)
    with session_scope(engine) as s:
        if matched:
            run = run_matching(s, started_by="dna_analyst")
            seeded.run_id = run.id
        shared = register_report(s, ReportInput(
            source_agency=PARTNER_AGENCY, name_original="Həsənov Rəşad", sex=Sex.MALE, birth_date=date(1970, 5, 1),
            birth_date_precision=DatePrecision.DAY, region="Ağdam"), actor="case_officer")
        secret = new_case_secret()
        shared.case_secret_hash = hash_case_secret(secret, FAST_POLICY)
        seeded.case_code, seeded.case_secret = shared.case_code, secret
        d1 = add_donor(s, shared, "mother", sex=Sex.FEMALE, actor="family_liaison",
                       consent=ConsentInput(given_on=date(2024, 1, 2), shared_with_agencies=(PARTNER_AGENCY.lower(),)))
        d2 = add_donor(s, shared, "full_sibling", sex=Sex.MALE, actor="family_liaison",
                       consent=ConsentInput(given_on=date(2024, 1, 2), shared_with_agencies=(OTHER_AGENCY,)))
        seeded.shared_donor, seeded.excluded_donor = d1.pseudonym, d2.pseudonym
        other = register_report(s, ReportInput(source_agency=OTHER_AGENCY, name_original="Quliyeva Aynur",
                                               sex=Sex.FEMALE), actor="case_officer")
        seeded.other_case_code = other.case_code
        for k, given in enumerate(("Tofiq", "Vüqar", "Elçin")):
            born = {"birth_date": date(1960 + k, 1, 1), "birth_date_precision": DatePrecision.YEAR}
            a = register_report(s, ReportInput(source_agency="NGO", name_original=f"Məmmədov{k} {given}",
                                               full_name=f"Məmmədov{k} {given}", **born))
            b = register_report(s, ReportInput(source_agency="ICRC", name_original=f"Мамедов{k} {given}",
                                               full_name=f"Məmmədov{k} {given}", **born))
            seeded.dup_pairs.append((a.case_code, b.case_code))
        site = record_site(s, SiteInput(name="Test grave", site_type=list(SiteType)[0], latitude=40.0,
                                        longitude=47.0, region="Ağdam"))
        s.flush()
        seeded.site_id = site.id
        remains = s.scalars(select(Remains).order_by(Remains.id)).first()
        seeded.remains_id = remains.id
        seeded.barcode = s.scalars(select(Sample.barcode).where(Sample.remains_id.is_not(None))
                                   .order_by(Sample.id)).first()
        if matched:
            cand = s.scalars(select(CandidateMatch).where(CandidateMatch.missing_person_id.is_not(None))
                             .order_by(CandidateMatch.lr.desc())).first()
            seeded.candidate_id = cand.id
            seeded.genetic_case_code = s.get(MissingPerson, cand.missing_person_id).case_code
        other_f01 = s.scalars(select(MissingPerson).where(MissingPerson.case_code.like("F01%"),
                                                           MissingPerson.case_code != seeded.genetic_case_code)
                              .order_by(MissingPerson.id)).first()
        if other_f01 is None:  # F01 cases are coded by the import; any other typed case will do
            other_f01 = s.scalars(select(MissingPerson).where(MissingPerson.id != cand.missing_person_id)
                                  .order_by(MissingPerson.id)).first() if matched else None
        if other_f01 is not None:
            register_report(s, ReportInput(source_agency=PARTNER_AGENCY, name_original=other_f01.full_name or "x"),
                            case=other_f01, actor="case_officer")
            seeded.shared_genetic_case_code = other_f01.case_code
    app.state.name_index.ensure_fresh(app.state.session_factory())
    if matched:
        job = app.state.jobs.start(Principal(Role.DNA_ANALYST, username="dna_analyst"), "blind", {"threshold_lr": 1e3})
        seeded.job_id = job.id
        wait_for_jobs(app)
    return app, seeded


def wait_for_jobs(app: FastAPI, timeout: float = 300.0) -> None:
    """Wait until the app's matching jobs have finished (a run holds SQLite's write lock while it works)."""
    deadline = time.monotonic() + timeout
    while any(job.state not in ("finished", "failed") for job in app.state.jobs.recent()):
        assert time.monotonic() < deadline, "matching jobs still running"
        time.sleep(0.05)


class Client(TestClient):
    """A test client; ``csrf`` is the anti-forgery value of its session (empty without one)."""

    csrf: str = ""


def session_client(app: FastAPI, username: str) -> Client:
    """A client signed in to the pages with a session cookie."""
    client = Client(app)
    response = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    client.csrf = csrf_token(client.cookies[SESSION_COOKIE_NAME])
    return client


def bearer_client(app: FastAPI, username: str) -> Client:
    """A client of the API with a bearer token."""
    client = Client(app)
    response = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


def bearer_token(app: FastAPI, username: str) -> str:
    """A bearer token of ``username``."""
    response = TestClient(app).post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])
