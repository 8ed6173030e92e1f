"""Access matrix: every role (and an anonymous caller) × every endpoint the app has → allow or deny.

The expectations come from ONE declarative table, :data:`ENDPOINTS`: for each route (method,
path template) the permissions it needs, written with the names of
:class:`mpid.security.roles.Permission`. Whether a role is allowed is computed from
``ROLE_PERMISSIONS``, never written by hand, so a change of the permission table changes the
expectations. The routes are enumerated from ``app.routes`` at test time: a new endpoint without
a line in the table fails :func:`test_every_route_has_an_expectation`.

A role that is allowed must reach the handler (no 401/403, no redirect to the sign-in page, no
5xx; GETs answer 200); a signed-in role that is denied gets 403; an anonymous caller gets 401 from
the API and a redirect to ``/login`` from the pages. Pages are called with the session cookie
(and the CSRF field), the API with a bearer token. The family member has no account: that row is
a client which has just used the portal, so it is allowed exactly what is public.

Beyond allow/deny: a partner agency never receives genetic data from any endpoint it may call,
sees only the cases its agency reported, and never sees a donor (in particular one whose consent
names another agency).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from hardening_helpers import (
    DATA,
    F01_MARKERS,
    PARTNER_AGENCY,
    Client,
    Seeded,
    bearer_client,
    session_client,
    wait_for_jobs,
)
from starlette.routing import Mount

from mpid.security.consent import Consent, ConsentScope, donor_access
from mpid.security.roles import ROLE_PERMISSIONS, Permission, Principal, Role

P = Permission


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Need:
    """What a route needs: nothing (public), an account, or permissions (all of ``all_of``, one of ``any_of``)."""

    public: bool = False
    all_of: frozenset[Permission] = frozenset()
    any_of: frozenset[Permission] = frozenset()

    def allows(self, role: Role | None) -> bool:
        """Whether ``role`` (None: anonymous) may call the route, decided by ROLE_PERMISSIONS."""
        if self.public:
            return True
        if role is None or role is Role.FAMILY_MEMBER:  # no account: only public routes
            return False
        granted = ROLE_PERMISSIONS[role]
        return self.all_of <= granted and (not self.any_of or bool(self.any_of & granted))

    def __str__(self) -> str:
        if self.public:
            return "public"
        parts = [p.value for p in sorted(self.all_of)] + (
            ["one of " + "|".join(sorted(p.value for p in self.any_of))] if self.any_of else [])
        return " & ".join(parts) or "any account"


PUBLIC = Need(public=True)
ACCOUNT = Need()


def needs(*all_of: Permission, any_of: tuple[Permission, ...] = ()) -> Need:
    return Need(all_of=frozenset(all_of), any_of=frozenset(any_of))


@dataclass(frozen=True)
class Call:
    """One way of calling a route (a route may have several, e.g. an import per kind)."""

    need: Need
    label: str = ""
    json: Any = None
    form: dict[str, Any] | None = None
    files: Callable[[Seeded], dict[str, tuple[str, bytes, str]]] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    ok: tuple[int, ...] = ()  # statuses an allowed call may answer (default: 200 for GET, < 400 otherwise)


REGISTER_CSV = b"record_id,family_name,given_name,sex,birth_date\nHX-1,Nuriyev,Kamran,M,1971-02-03\n"
GENEMAPPER = (DATA / "genemapper" / "strvalidator_ref3.txt").read_bytes()


def _upload(name: str, data: bytes) -> Callable[[Seeded], dict[str, tuple[str, bytes, str]]]:
    return lambda _s: {"file": (name, data, "application/octet-stream")}


# (method, path template) → the calls made to it. Path parameters are filled from Seeded.params().
ENDPOINTS: dict[tuple[str, str], tuple[Call, ...]] = {
    # public: schema, docs, static files, sign-in, the family portal
    ("GET", "/api/v1/openapi.json"): (Call(PUBLIC),),
    ("GET", "/static"): (Call(PUBLIC),),
    ("GET", "/login"): (Call(PUBLIC, ok=(200, 303)),),
    ("POST", "/login"): (Call(PUBLIC, form={"username": "nobody", "password": "wrong password!"}, ok=(401,)),),
    ("POST", "/api/v1/tokens"): (Call(PUBLIC, json={"username": "administrator",
                                                    "password": "correct horse battery staple"}, ok=(201,)),),
    ("GET", "/inquiry"): (Call(PUBLIC),),
    ("POST", "/inquiry"): (Call(PUBLIC, label="portal:status by case code and secret",
                                form={"case_code": "{case_code}", "secret": "{case_secret}"}),),
    # any account
    ("GET", "/api/v1/me"): (Call(ACCOUNT),),
    ("POST", "/logout"): (Call(ACCOUNT, ok=(303,)),),
    # statistics
    ("GET", "/"): (Call(needs(P.STATISTICS_READ)),),
    ("GET", "/api/v1/statistics"): (Call(needs(P.STATISTICS_READ)),),
    ("GET", "/statistics.csv"): (Call(needs(P.STATISTICS_EXPORT)),),
    ("GET", "/api/v1/statistics.csv"): (Call(needs(P.STATISTICS_EXPORT)),),
    # missing persons and donors
    ("GET", "/persons"): (Call(needs(P.MISSING_PERSON_READ)),
                          Call(needs(P.MISSING_PERSON_READ), label="search", query={"q": "Həsənov"})),
    ("GET", "/api/v1/persons"): (Call(needs(P.MISSING_PERSON_READ)),
                                 Call(needs(P.MISSING_PERSON_READ), label="search", query={"q": "Hasanov"})),
    ("GET", "/persons/new"): (Call(needs(P.MISSING_PERSON_WRITE)),),
    ("POST", "/persons"): (Call(needs(P.MISSING_PERSON_WRITE), form={"source_agency": "NGO",
                                                                     "name_original": "Əliyev Samir"}, ok=(201,)),),
    ("POST", "/api/v1/persons"): (Call(needs(P.MISSING_PERSON_WRITE), json={"source_agency": "NGO",
                                                                             "name_original": "Əliyev Elşən"},
                                       ok=(201,)),),
    ("GET", "/persons/{case_code}"): (Call(needs(P.MISSING_PERSON_READ)),),
    ("GET", "/api/v1/persons/{case_code}"): (Call(needs(P.MISSING_PERSON_READ)),),
    ("POST", "/persons/{case_code}/donors"): (Call(needs(P.DONOR_WRITE, P.CONSENT_WRITE),
                                                   form={"relationship": "father", "consent_given_on": "2024-02-03"},
                                                   ok=(303,)),),
    ("POST", "/api/v1/persons/{case_code}/donors"): (Call(needs(P.DONOR_WRITE, P.CONSENT_WRITE),
                                                          json={"relationship": "brother"}, ok=(201,)),),
    ("POST", "/persons/{case_code}/notifications"): (Call(needs(P.NOTIFICATION_SEND), label="case not identified yet",
                                                          form={"note": "told"}, ok=(303, 422)),),
    # sites, remains, samples
    ("GET", "/sites"): (Call(needs(P.SITE_READ)),),
    ("GET", "/api/v1/sites"): (Call(needs(P.SITE_READ)),),
    ("GET", "/api/v1/sites.geojson"): (Call(needs(P.SITE_READ)),),
    ("GET", "/sites/{site_id}"): (Call(needs(P.SITE_READ)),),
    ("GET", "/api/v1/sites/{site_id}"): (Call(needs(P.SITE_READ)),),
    ("POST", "/sites"): (Call(needs(P.SITE_WRITE), form={"name": "Matrix site", "site_type": "mass_grave"},
                              ok=(303,)),),
    ("POST", "/sites/{site_id}/exhumations"): (Call(needs(P.SITE_WRITE), form={"team_lead": "T"}, ok=(303,)),),
    ("GET", "/remains"): (Call(needs(P.SITE_READ)),),
    ("POST", "/remains"): (Call(needs(P.SITE_WRITE), form={"kind": "body", "site_id": "{site_id}"}, ok=(303,)),),
    ("GET", "/remains/{remains_id}"): (Call(needs(P.SITE_READ)),),
    ("GET", "/api/v1/remains/{remains_id}"): (Call(needs(P.SITE_READ)),),
    ("POST", "/remains/{remains_id}/samples"): (Call(needs(P.SAMPLE_WRITE), form={"barcode": "HX-MATRIX-1",
                                                                                   "sample_type": "bone"},
                                                     ok=(303,)),),
    ("GET", "/api/v1/samples/{barcode}"): (Call(needs(P.SITE_READ), label="a remains sample"),),
    ("POST", "/samples/{barcode}/custody"): (Call(needs(P.SAMPLE_WRITE), form={"action": "shipped"}, ok=(303,)),),
    # imports: register lists are case work, lab files need profile:import
    ("GET", "/imports"): (Call(needs(any_of=(P.PROFILE_IMPORT, P.MISSING_PERSON_WRITE))),),
    ("POST", "/imports"): (
        Call(needs(P.MISSING_PERSON_WRITE), label="register list", form={"kind": "register", "source_agency": "NGO"},
             files=_upload("list.csv", REGISTER_CSV)),
        Call(needs(P.PROFILE_IMPORT), label="GeneMapper", form={"kind": "genemapper", "category": "remains"},
             files=_upload("gm.txt", GENEMAPPER)),
    ),
    ("POST", "/api/v1/imports"): (
        Call(needs(P.MISSING_PERSON_WRITE), label="register list", form={"kind": "register", "source_agency": "NGO"},
             files=_upload("list2.csv", REGISTER_CSV.replace(b"HX-1", b"HX-2")), ok=(200, 201)),
        Call(needs(P.PROFILE_IMPORT), label="GeneMapper", form={"kind": "genemapper", "category": "remains"},
             files=_upload("gm2.txt", GENEMAPPER), ok=(200, 201)),
    ),
    # matching
    ("GET", "/matching"): (Call(needs(P.MATCH_READ)),),
    ("POST", "/matching/runs"): (Call(needs(P.MATCH_RUN), form={"kind": "blind"}, ok=(303,)),),
    ("GET", "/matching/jobs/{job_id}"): (Call(needs(P.MATCH_READ)),),
    ("GET", "/matching/runs/{run_id}"): (Call(needs(P.MATCH_READ)),),
    ("POST", "/api/v1/match-runs"): (Call(needs(P.MATCH_RUN), json={"kind": "blind"}, ok=(202,)),),
    ("GET", "/api/v1/match-runs"): (Call(needs(P.MATCH_READ)),),
    ("GET", "/api/v1/jobs/{job_id}"): (Call(needs(P.MATCH_READ)),),
    ("GET", "/api/v1/match-runs/{run_id}/candidates"): (Call(needs(P.MATCH_READ)),),
    # review and the DNA match report
    ("GET", "/review"): (Call(needs(P.REVIEW_READ)),),
    ("GET", "/api/v1/review-queue"): (Call(needs(P.REVIEW_READ)),),
    ("GET", "/review/{candidate_id}"): (Call(needs(P.REVIEW_READ, P.GENETIC_READ)),),
    ("GET", "/api/v1/candidates/{candidate_id}"): (Call(needs(P.MATCH_READ)),),
    ("POST", "/review/{candidate_id}"): (Call(needs(P.REVIEW_DECIDE), form={"decision": "more_evidence"},
                                              label="(409: one decision per reviewer)", ok=(303, 409)),),
    ("POST", "/api/v1/candidates/{candidate_id}/reviews"): (Call(needs(P.REVIEW_DECIDE),
                                                                 json={"decision": "more_evidence"},
                                                                 ok=(201, 409)),),
    ("GET", "/review/{candidate_id}/report"): (Call(needs(P.REPORT_DOWNLOAD, P.GENETIC_READ)),),
    ("GET", "/review/{candidate_id}/report.pdf"): (Call(needs(P.REPORT_DOWNLOAD, P.GENETIC_READ)),),
    ("GET", "/api/v1/candidates/{candidate_id}/report.pdf"): (Call(needs(P.REPORT_DOWNLOAD, P.GENETIC_READ)),),
    # deduplication
    ("GET", "/requests"): (Call(needs(P.MATCH_READ, P.DONOR_READ)),),
    ("GET", "/api/v1/reference-requests"): (Call(needs(P.MATCH_READ, P.DONOR_READ)),),
    ("GET", "/dedupe"): (Call(needs(P.MISSING_PERSON_MERGE)),),
    ("GET", "/api/v1/dedupe/pairs"): (Call(needs(P.MISSING_PERSON_MERGE)),),
    ("POST", "/dedupe/merge"): (Call(needs(P.MISSING_PERSON_MERGE), form={"keep": "{dup0a}", "duplicate": "{dup0b}"},
                                     ok=(303,)),),
    ("POST", "/api/v1/dedupe/merge"): (Call(needs(P.MISSING_PERSON_MERGE),
                                            form={"keep": "{dup1a}", "duplicate": "{dup1b}"}),),
    ("POST", "/dedupe/dismiss"): (Call(needs(P.MISSING_PERSON_MERGE), form={"a": "{dup2a}", "b": "{dup2b}"},
                                       ok=(303,)),),
    ("POST", "/api/v1/dedupe/dismiss"): (Call(needs(P.MISSING_PERSON_MERGE), form={"a": "{dup2a}", "b": "{dup2b}"}),),
}

# Calls that end the caller's session run last.
LAST = {("POST", "/logout")}

# The rows of the matrix: every role of the Role enum, and an anonymous caller.
PRINCIPALS: list[Role | None] = [*Role, None]


def principal_id(role: Role | None) -> str:
    return role.value if role else "anonymous"


# ----------------------------------------------------------------------------- routes of the app


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, from ``app.routes`` (HEAD is GET's; a mount is GET)."""
    out: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            out.add(("GET", route.path))
            continue
        for method in context.methods or ():
            if method != "HEAD":
                out.add((method, context.path))
    return out


def test_every_route_has_an_expectation(seeded_app: tuple[FastAPI, Seeded]) -> None:
    app, _ = seeded_app
    routes = app_routes(app)
    missing = sorted(routes - set(ENDPOINTS))
    stale = sorted(set(ENDPOINTS) - routes)
    assert not missing, f"routes with no line in the access table ENDPOINTS: {missing}"
    assert not stale, f"lines of ENDPOINTS for routes the app no longer has: {stale}"
    assert len(routes) >= 60


def test_the_table_is_not_trivial() -> None:
    # Every account role is allowed something beyond the public routes and denied something.
    for role in Role:
        allowed = {key for key, calls in ENDPOINTS.items() for c in calls if c.need.allows(role)}
        public = {key for key, calls in ENDPOINTS.items() for c in calls if c.need.public}
        if role is Role.FAMILY_MEMBER:
            assert allowed == public
        else:
            assert public < allowed < set(ENDPOINTS), role


# ----------------------------------------------------------------------------- running the matrix


def _fill(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**values) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _values(seeded: Seeded) -> dict[str, Any]:
    values: dict[str, Any] = {**seeded.params(), "case_secret": seeded.case_secret}
    for k, (a, b) in enumerate(seeded.dup_pairs):
        values[f"dup{k}a"], values[f"dup{k}b"] = a, b
    return values


@dataclass
class Outcome:
    method: str
    path: str
    url: str
    label: str
    need: Need
    status: int
    location: str
    body: bytes
    content_type: str
    ok: tuple[int, ...]


def _request(client: Client, method: str, path: str, call: Call, seeded: Seeded, api: bool) -> Outcome:
    values = _values(seeded)
    url = "/static/css/mpid.css" if path == "/static" else path.format(**values)
    kwargs: dict[str, Any] = {"follow_redirects": False, "params": call.query}
    headers: dict[str, str] = {}
    if call.json is not None:
        kwargs["json"] = _fill(call.json, values)
    if call.form is not None or method == "POST":
        form = dict(_fill(call.form or {}, values))
        if call.json is None:
            if not api and client.csrf:
                form["csrf"] = client.csrf
            kwargs["data"] = form
    if call.files is not None:
        kwargs["files"] = call.files(seeded)
    if api and client.csrf:
        headers["X-CSRF-Token"] = client.csrf
    response = client.request(method, url, headers=headers, **kwargs)
    return Outcome(method, path, url, call.label, call.need, response.status_code,
                   response.headers.get("location", ""), response.content,
                   response.headers.get("content-type", ""), call.ok or ((200,) if method == "GET" else ()))


def _clients(app: FastAPI, role: Role | None, seeded: Seeded) -> tuple[Client, Client]:
    """(pages client, API client) of a row of the matrix."""
    if role is None:
        return Client(app), Client(app)
    if role is Role.FAMILY_MEMBER:
        client = Client(app)
        answer = client.post("/inquiry", data={"case_code": seeded.case_code, "secret": seeded.case_secret})
        assert answer.status_code == 200, answer.text
        return client, client
    return session_client(app, role.value), bearer_client(app, role.value)


def run_row(app: FastAPI, seeded: Seeded, role: Role | None) -> list[Outcome]:
    pages, api = _clients(app, role, seeded)
    present = app_routes(app)  # a stale line of the table fails test_every_route_has_an_expectation only
    order = sorted((k for k in ENDPOINTS if k in present), key=lambda key: (key in LAST, key[0] != "GET", key))
    out = []
    for method, path in order:
        is_api = path.startswith("/api/")
        for call in ENDPOINTS[(method, path)]:
            out.append(_request(api if is_api else pages, method, path, call, seeded, is_api))
            if method == "POST" and ("match-runs" in path or "matching/runs" in path):
                wait_for_jobs(app)
    return out


@pytest.fixture(scope="module")
def matrix(seeded_app: tuple[FastAPI, Seeded]) -> dict[Role | None, list[Outcome]]:
    app, seeded = seeded_app
    return {role: run_row(app, seeded, role) for role in PRINCIPALS}


def _verdict(o: Outcome, role: Role | None) -> str | None:
    """None if the outcome is what the table expects for ``role``, else the reason."""
    login_redirect = o.status in (302, 303, 307) and o.location.startswith("/login?next=")
    if o.status >= 500:
        return f"server error {o.status}"
    if o.need.allows(role):
        if o.status in (401, 403) and not o.need.public or login_redirect:
            return f"denied ({o.status}) but the table allows it ({o.need})"
        if o.ok and o.status not in o.ok:
            return f"allowed but answered {o.status}, expected {o.ok}: {o.body[:200]!r}"
        if not o.ok and o.status >= 400:
            return f"allowed but answered {o.status}: {o.body[:200]!r}"
        return None
    if role is None or role is Role.FAMILY_MEMBER:
        if o.path.startswith("/api/"):
            return None if o.status == 401 else f"anonymous API call answered {o.status}, expected 401"
        return None if login_redirect else f"anonymous page answered {o.status}, expected a redirect to /login"
    return None if o.status == 403 else f"the table denies it ({o.need}) but it answered {o.status}"


@pytest.mark.parametrize("role", PRINCIPALS, ids=principal_id)
def test_access_matrix(matrix: dict[Role | None, list[Outcome]], role: Role | None) -> None:
    wrong = []
    for o in matrix[role]:
        reason = _verdict(o, role)
        if reason:
            wrong.append(f"{o.method} {o.url} {o.label}: {reason}")
    assert not wrong, f"{principal_id(role)}:\n" + "\n".join(wrong)
    assert len(matrix[role]) >= 60


# ----------------------------------------------------------------------------- partner agencies


GENETIC_KEYS = ("per_locus", "alleles", "profiles", "genotype")


def _genetic_content(o: Outcome) -> list[str]:
    """Traces of genetic data in a response: marker names, allele lists, per-locus LRs, donor pseudonyms."""
    found = []
    text = o.body.decode("utf-8", "replace")
    for marker in F01_MARKERS:
        if marker in text:
            found.append(marker)
    if "json" in o.content_type and o.body:
        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in GENETIC_KEYS and v not in (None, [], {}):
                        found.append(k)
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(json.loads(o.body))
    if "application/pdf" in o.content_type:
        found.append("a DNA match report")
    return found


def test_partner_agency_never_receives_genetic_data(matrix: dict[Role | None, list[Outcome]],
                                                    seeded_app: tuple[FastAPI, Seeded]) -> None:
    leaks = {f"{o.method} {o.url}": g for o in matrix[Role.PARTNER_AGENCY]
             if o.status < 400 and o.path != "/api/v1/openapi.json" and (g := _genetic_content(o))}
    assert not leaks
    # A case the partner shared that has typed donors and candidates: readable, but nothing genetic.
    app, seeded = seeded_app
    code = seeded.shared_genetic_case_code
    for client, url in ((bearer_client(app, "partner_agency"), f"/api/v1/persons/{code}"),
                        (session_client(app, "partner_agency"), f"/persons/{code}")):
        r = client.get(url)
        assert r.status_code == 200, url
        o = Outcome("GET", url, url, "", ACCOUNT, r.status_code, "", r.content, r.headers.get("content-type", ""), ())
        assert not _genetic_content(o), (url, _genetic_content(o))
        assert "posterior" not in r.text.lower() and "likelihood ratio" not in r.text.lower(), url
        if url.startswith("/api/"):
            assert r.json()["candidates"] == [] and r.json()["donors"] == []
    analyst = bearer_client(app, "dna_analyst").get(f"/api/v1/persons/{code}").json()
    assert analyst["candidates"] and analyst["donors"]  # the case does have them
    # ... while the same calls do show genetic data to a DNA analyst (the check can see it).
    seen = [o for o in matrix[Role.DNA_ANALYST]
            if o.status < 400 and o.path != "/api/v1/openapi.json" and _genetic_content(o)]
    assert seen


def test_partner_sees_only_its_agencys_cases_and_no_donors(seeded_app: tuple[FastAPI, Seeded]) -> None:
    app, seeded = seeded_app
    partner = bearer_client(app, "partner_agency")
    other_partner = bearer_client(app, "partner_other")
    officer = bearer_client(app, "case_officer")

    listed = {p["case_code"] for p in partner.get("/api/v1/persons", params={"page_size": 500}).json()["items"]}
    assert seeded.case_code in listed
    assert seeded.other_case_code not in listed and seeded.genetic_case_code not in listed
    searched = partner.get("/api/v1/persons", params={"q": "Quliyeva"}).json()
    assert searched["total"] == 0
    assert partner.get(f"/api/v1/persons/{seeded.other_case_code}").status_code == 403
    assert partner.get(f"/api/v1/persons/{seeded.genetic_case_code}").status_code == 403
    assert other_partner.get(f"/api/v1/persons/{seeded.case_code}").status_code == 403
    assert other_partner.get(f"/api/v1/persons/{seeded.other_case_code}").status_code == 200

    case = partner.get(f"/api/v1/persons/{seeded.case_code}")
    assert case.status_code == 200
    body = case.json()
    assert body["donors"] == [] and body["candidates"] == []
    assert not any(d["pseudonym"] in (seeded.shared_donor, seeded.excluded_donor) for d in body["donors"])

    # Staff with donor:read see both donors of the case.
    staff = officer.get(f"/api/v1/persons/{seeded.case_code}").json()
    assert {d["pseudonym"] for d in staff["donors"]} >= {seeded.shared_donor, seeded.excluded_donor}


def test_no_donor_pseudonym_reaches_a_partner_through_the_case_api(seeded_app: tuple[FastAPI, Seeded]) -> None:
    # Found here first: the history event 'reference donor <pseudonym> (<relationship>) registered'.
    app, seeded = seeded_app
    api = bearer_client(app, "partner_agency").get(f"/api/v1/persons/{seeded.case_code}")
    assert api.status_code == 200
    assert seeded.excluded_donor not in api.text and seeded.shared_donor not in api.text


def test_no_donor_pseudonym_reaches_a_partner_through_the_case_page(seeded_app: tuple[FastAPI, Seeded]) -> None:
    # Found here first: the pedigree SVG labelled every donor with its pseudonym, for any reader of the case.
    app, seeded = seeded_app
    page = session_client(app, "partner_agency").get(f"/persons/{seeded.case_code}")
    assert page.status_code == 200
    assert seeded.excluded_donor not in page.text and seeded.shared_donor not in page.text


def test_consent_exclusion_hides_the_donor_from_the_excluded_agency() -> None:
    # The decision the services layer applies: a donor is visible to a partner only if its consent
    # names the partner's agency; never its genetic data nor its use in matching.
    scopes = (ConsentScope.IDENTIFICATION_ONLY, ConsentScope.SHARE_WITH_AGENCIES)
    shared = Consent.of(scopes, agencies=[PARTNER_AGENCY.lower()])
    excluded = Consent.of(scopes, agencies=["UNHCR"])
    partner = Principal(Role.PARTNER_AGENCY, agency=PARTNER_AGENCY)
    seen = donor_access(shared, partner)
    assert seen.visible and not seen.genetic_visible and not seen.usable_in_matching
    hidden = donor_access(excluded, partner)
    assert not hidden.visible and not hidden.genetic_visible


def test_anonymous_and_forged_credentials_get_nothing(seeded_app: tuple[FastAPI, Seeded]) -> None:
    app, seeded = seeded_app
    forged = TestClient(app, headers={"Authorization": "Bearer mpid_" + "A" * 43})
    assert forged.get("/api/v1/persons").status_code == 401
    assert forged.get(f"/api/v1/persons/{seeded.case_code}").status_code == 401
    cookie = TestClient(app, cookies={"mpid_session": "mpid_forged"})
    assert cookie.get("/persons", follow_redirects=False).status_code == 303
