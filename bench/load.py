"""Load test: the running web app on loopback under N concurrent users, against 1 user in the same run.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--baseline-seconds 15] [--persons 10000]
                                   [--workdir DIR] [--seed 1]

The script seeds a SQLite register (synthetic cases from :func:`mpid.web.fixtures.seed_missing_persons`,
the F01 reference DVI case imported and blind-matched, one staff account per virtual user, a portal
secret on one case per user), starts ``mpid serve`` on 127.0.0.1 (its default settings: argon2id
at full cost, rate limits on, 0.6 s fixed portal answers), then runs two phases:

1. baseline: 1 user for ``--baseline-seconds``;
2. load: ``--users`` users at once for ``--seconds``.

Each user signs in once (``POST /login``, from its own loopback address 127.0.0.x, as the rate
limits count per client; by default one user after another before the clock starts, with
``--login-burst`` all at the same moment) and then loops over a realistic mix, with no think time: dashboard,
case list (random page), name search (Latin, Azerbaijani, Cyrillic), case page, API reads
(``/api/v1/persons?q=``, ``/api/v1/persons/CODE``, ``/api/v1/statistics``, ``/api/v1/match-runs``),
and, as the family of its case, portal inquiries (at most 4 per user, the portal's per-case limit
being 5 an hour). A request that fails, times out or answers anything but the expected status
counts as an error.

It prints per phase: requests, throughput (requests/s), latency p50/p95/p99 overall and per kind,
and the error count; then the ratio of the load phase to the baseline. Exit status 1 if the load
phase had errors (sign-in errors included). Bounded: at most 200 users, 600 s per phase; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from _seeding import seed_once  # bench/ is on sys.path when a bench runs

PASSWORD = "load test password 2026"
CASE_SECRET = "LOADT-ESTS1"
HOST = "127.0.0.1"
MAX_USERS, MAX_SECONDS = 200, 600.0
PORTAL_PER_USER = 4
SEARCHES = ["Mamedov", "Məmmədov", "Мамедов", "Aliyev", "Əliyev", "Алиев", "Hasanov", "Гасанов", "Huseynov",
            "Гусейнов", "Quliyev", "Kuliev", "Ismayilov", "Исмаилов", "Məmmədov Əli", "Jafarov", "Кязимов"]
# kind → weight in the mix (portal inquiries are capped per user; the rest fill the loop)
MIX = {"dashboard": 10, "list": 20, "search": 20, "case": 20, "api_search": 8, "api_case": 8, "api_stats": 4,
       "api_runs": 4, "portal": 6}
ROLES = ["case_officer", "dna_analyst", "reviewer", "family_liaison", "case_officer", "dna_analyst"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Register:
    url: str
    codes: list[str]          # case codes to visit
    portal_codes: list[str]   # one case per user with the portal secret CASE_SECRET
    users: list[str]


def prepare_register(path: Path, persons: int, users: int) -> Register:
    """Seed the register once (reused when present) and return what the users need."""
    from sqlalchemy import select

    from mpid.registry.db import make_engine, session_scope
    from mpid.registry.models import CandidateMatch, MissingPerson
    from mpid.security.auth import create_user, hash_case_secret, hash_password
    from mpid.security.models import User

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    seed_once(engine, persons, "load")
    names = [f"load{k:03d}" for k in range(users)]
    with session_scope(engine) as s:
        have = set(s.scalars(select(User.username).where(User.username.in_(names))))
        missing = [n for n in names if n not in have]
        if missing:
            shared = hash_password(PASSWORD)  # one argon2id hash at full cost, reused (a hash per user is slow)
            for k, name in enumerate(names):
                if name in missing:
                    user = create_user(s, name, PASSWORD, ROLES[k % len(ROLES)])
                    user.password_hash = shared
        rng = random.Random(7)
        top = s.scalar(select(MissingPerson.id).order_by(MissingPerson.id.desc()).limit(1)) or 1
        ids = sorted({rng.randint(1, top) for _ in range(600)})
        codes = list(s.scalars(select(MissingPerson.case_code).where(MissingPerson.id.in_(ids))))
        portal = list(s.scalars(select(MissingPerson).order_by(MissingPerson.id).limit(users)))
        if any(p.case_secret_hash is None for p in portal):
            secret_hash = hash_case_secret(CASE_SECRET)
            for p in portal:
                p.case_secret_hash = secret_hash
        portal_codes = [p.case_code for p in portal]
        matched = list(s.scalars(select(MissingPerson.case_code).join(
            CandidateMatch, CandidateMatch.missing_person_id == MissingPerson.id)))
    engine.dispose()
    return Register(url, codes + matched * 10, portal_codes, names)


def start_server(url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``mpid serve`` on a free loopback port (its output in ``log``); returns the process and its base URL."""
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("mpid")), "serve", "--host", HOST, "--port", str(port),
             "--database", url, "--log-level", "error"],
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL, stderr=out,
        )
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start: " + log.read_text(errors="replace")[-2000:])


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)

    def record(self, kind: str, ms: float, error: str | None) -> None:
        self.latencies[kind].append(ms)
        if error:
            self.errors[kind] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{kind}: {error}")

    @property
    def all(self) -> list[float]:
        """Latencies of the measured requests (sign-ins happen before the clock starts)."""
        return [v for kind, values in self.latencies.items() if kind != "login" for v in values]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def one_user(k: int, base: str, reg: Register, start: asyncio.Event, stop_at: list[float], stats: Stats,
                   rng: random.Random, login_lock: asyncio.Lock | None) -> None:
    """Sign in once, then (once every user is in) loop over the mix until ``stop_at[0]``."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + k // 250}.{1 + k % 250}", retries=0)
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60, limits=limits) as client:
        async def timed(kind: str, method: str, url: str, expected: int = 200,
                        **kwargs: object) -> httpx.Response | None:
            started = time.perf_counter()
            try:
                response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                stats.record(kind, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}")
                return None
            ms = (time.perf_counter() - started) * 1000
            error = None if response.status_code == expected else f"{method} {url} → {response.status_code}"
            stats.record(kind, ms, error)
            return response

        username = reg.users[k % len(reg.users)]
        async with login_lock or contextlib.AsyncExitStack():
            login = await timed("login", "POST", "/login", 303, data={"username": username, "password": PASSWORD})
        await start.wait()
        if login is None or "mpid_session" not in client.cookies:
            return
        portal_left = PORTAL_PER_USER
        portal_code = reg.portal_codes[k % len(reg.portal_codes)]
        kinds, weights = list(MIX), list(MIX.values())
        while time.monotonic() < stop_at[0]:
            kind = rng.choices(kinds, weights)[0]
            if kind == "portal" and portal_left == 0:
                kind = "case"
            code = rng.choice(reg.codes)
            if kind == "dashboard":
                await timed(kind, "GET", "/")
            elif kind == "list":
                await timed(kind, "GET", f"/persons?page={rng.randint(1, 100)}")
            elif kind == "search":
                await timed(kind, "GET", "/persons", params={"q": rng.choice(SEARCHES)})
            elif kind == "case":
                await timed(kind, "GET", f"/persons/{code}")
            elif kind == "api_search":
                await timed(kind, "GET", "/api/v1/persons", params={"q": rng.choice(SEARCHES), "page_size": 20})
            elif kind == "api_case":
                await timed(kind, "GET", f"/api/v1/persons/{code}")
            elif kind == "api_stats":
                await timed(kind, "GET", "/api/v1/statistics")
            elif kind == "api_runs":
                await timed(kind, "GET", "/api/v1/match-runs")
            else:  # the family of the user's case asks the portal, without the staff session
                portal_left -= 1
                started = time.perf_counter()
                try:
                    async with httpx.AsyncClient(base_url=base, transport=httpx.AsyncHTTPTransport(
                            local_address=f"127.0.{1 + k // 250}.{1 + k % 250}"), timeout=60) as family:
                        r = await family.post("/inquiry", data={"case_code": portal_code, "secret": CASE_SECRET,
                                                                "lang": rng.choice(["az", "ru", "en"])})
                    ok = r.status_code == 200
                    stats.record(kind, (time.perf_counter() - started) * 1000,
                                 None if ok else f"POST /inquiry → {r.status_code}")
                except httpx.HTTPError as exc:
                    stats.record(kind, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}")


async def run_phase(base: str, reg: Register, users: int, seconds: float, seed: int, first: int,
                    burst: bool) -> tuple[Stats, float, float]:
    """Users ``first``..``first+users-1`` sign in (one at a time unless ``burst``), then all work for ``seconds``.

    Returns the statistics, the measured time and the time the sign-ins took.
    """
    stats = Stats()
    start, stop_at = asyncio.Event(), [0.0]
    lock = None if burst else asyncio.Lock()
    tasks = [asyncio.create_task(one_user(first + k, base, reg, start, stop_at, stats,
                                          random.Random(seed * 1000 + k), lock)) for k in range(users)]
    began = time.monotonic()
    while len(stats.latencies["login"]) < users and not all(t.done() for t in tasks):
        await asyncio.sleep(0.01)
    logged_in = time.monotonic() - began
    started = time.monotonic()
    stop_at[0] = started + seconds
    start.set()
    await asyncio.gather(*tasks)
    return stats, time.monotonic() - started, logged_in


def report(title: str, stats: Stats, elapsed: float) -> dict[str, float]:
    values = stats.all
    n, errors = len(values), sum(n for kind, n in stats.errors.items() if kind != "login")
    throughput = n / elapsed if elapsed else float("nan")
    print(f"\n{title}: {n} requests in {elapsed:.1f} s = {throughput:.1f} requests/s; "
          f"latency p50 {pct(values, .5):.0f} ms, p95 {pct(values, .95):.0f} ms, p99 {pct(values, .99):.0f} ms; "
          f"errors {errors}")
    print(f"  {'kind':11} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind in sorted(stats.latencies):
        lat = stats.latencies[kind]
        print(f"  {kind:11} {len(lat):>8} {pct(lat, .5):>8.0f} {pct(lat, .95):>8.0f} {pct(lat, .99):>8.0f} "
              f"{stats.errors[kind]:>7}")
    for sample in stats.error_samples:
        print(f"  error: {sample}")
    return {"throughput": throughput, "p50": pct(values, .5), "p95": pct(values, .95), "p99": pct(values, .99),
            "errors": errors, "requests": n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help=f"concurrent users (at most {MAX_USERS})")
    parser.add_argument("--seconds", type=float, default=60.0, help=f"length of the load phase (at most {MAX_SECONDS})")
    parser.add_argument("--baseline-seconds", type=float, default=15.0, help="length of the 1-user baseline")
    parser.add_argument("--persons", type=int, default=10_000, help="synthetic missing persons in the register")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the seeded register here (reused)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--login-burst", action="store_true",
                        help="all users sign in at once (default: one after another before the clock starts)")
    args = parser.parse_args()
    if not 1 <= args.users <= MAX_USERS:
        parser.error(f"--users must be 1..{MAX_USERS}")
    if not (0 < args.seconds <= MAX_SECONDS and 0 < args.baseline_seconds <= MAX_SECONDS):
        parser.error(f"phases last 0..{MAX_SECONDS} s")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mpid-bench-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"register: {workdir / 'register.sqlite'} ({args.persons:,} persons, {args.users} users)", file=sys.stderr)
    reg = prepare_register(workdir / "register.sqlite", args.persons, args.users + 1)
    log = workdir / "server.log"
    proc, base = start_server(reg.url, log)
    try:
        with contextlib.suppress(httpx.HTTPError):  # warm-up: the name index is built on the first search
            warm = httpx.Client(base_url=base, timeout=120)
            warm.post("/login", data={"username": reg.users[0], "password": PASSWORD})
            warm.get("/persons", params={"q": "Mamedov"})
            warm.close()
        print(f"server {base}; baseline 1 user for {args.baseline_seconds:.0f} s, then {args.users} users for "
              f"{args.seconds:.0f} s", file=sys.stderr)
        base_stats, base_elapsed, _ = asyncio.run(run_phase(base, reg, 1, args.baseline_seconds, args.seed, 0,
                                                            args.login_burst))
        load_stats, load_elapsed, login_time = asyncio.run(run_phase(base, reg, args.users, args.seconds,
                                                                     args.seed + 1, 1, args.login_burst))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    b = report("baseline, 1 user", base_stats, base_elapsed)
    load = report(f"load, {args.users} users", load_stats, load_elapsed)
    print(f"  ({args.users} sign-ins {'at once' if args.login_burst else 'one after another'} took "
          f"{login_time:.1f} s before the clock started; their latencies are the 'login' row)")
    print(f"\n{args.users} users vs 1: throughput × {load['throughput'] / b['throughput']:.2f}, "
          f"p50 × {load['p50'] / b['p50']:.2f}, p95 × {load['p95'] / b['p95']:.2f}; errors {load['errors']}")
    if load["errors"] or b["errors"] or load_stats.errors["login"]:
        print(f"server log: {log}")
    login_errors = load_stats.errors["login"] + base_stats.errors["login"]
    if login_errors:
        print(f"sign-in errors: {login_errors}")
    return 1 if load["errors"] or login_errors else 0


if __name__ == "__main__":
    sys.exit(main())
