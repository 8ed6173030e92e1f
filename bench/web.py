"""Benchmark: the list, search and case pages with 10^5 missing persons, against 10^3 in the same run.

    .venv/bin/python bench/web.py [--n 100000] [--baseline-n 1000] [--requests 150] [--seconds 60]
                                  [--workdir DIR] [--postgres postgresql://USER@HOST:PORT/DB]

For each register size the script seeds a SQLite register (or, with ``--postgres``, a throwaway
PostgreSQL database on that server) with synthetic cases
(:func:`mpid.web.fixtures.seed_missing_persons`: names from ``mpid.simulate``, reports in
Azerbaijani, Russian and English spelling) plus the F01 reference DVI case imported and
blind-matched (so case pages with a pedigree and candidates are measured too), starts
``mpid serve`` on a loopback port, signs in, warms up (the name index is built on the first
search), then sends a bounded number of requests per page kind (at most ``--requests`` and
``--seconds``) one at a time, alternating between the two servers so that other load on the
machine weighs on both alike:

* list:   ``/persons?page=K`` (K random, 50 rows a page, total count shown);
* search: ``/persons?q=NAME`` (surnames in Latin, Azerbaijani and Cyrillic spelling);
* case:   ``/persons/CODE`` (random seeded cases and the matched F01 cases).

It prints the median and 95th percentile per page kind and register size, the ratio to the
baseline, and whether the median is under the 100 ms target. Seeded registers are kept in
``--workdir`` (default: a temporary directory) and reused when present.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from _seeding import seed_once  # bench/ is on sys.path when a bench runs

USER, PASSWORD = "bench", "bench password 12345"
SEARCHES = ["Mamedov", "Məmmədov", "Мамедов", "Aliyev", "Əliyev", "Алиев", "Hasanov", "Гасанов", "Huseynov",
            "Гусейнов", "Quliyev", "Kuliev", "Ismayilov", "Исмаилов", "Məmmədov Əli", "Jafarov", "Кязимов"]
TARGET_MS = 100.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_register(url: str, n: int) -> list[str]:
    """Seed (once) and return case codes to visit."""
    from sqlalchemy import select

    from mpid.registry.db import make_engine, session_scope
    from mpid.registry.models import CandidateMatch, MissingPerson
    from mpid.security.auth import create_user
    from mpid.security.models import User

    engine = make_engine(url)
    if seed_once(engine, n, "bench"):
        with session_scope(engine) as s:
            create_user(s, USER, PASSWORD, "dna_analyst")
    with session_scope(engine) as s:
        assert s.scalar(select(User.id).where(User.username == USER)) is not None
        rng = random.Random(7)
        top = s.scalar(select(MissingPerson.id).order_by(MissingPerson.id.desc()).limit(1)) or 1
        ids = [rng.randint(1, top) for _ in range(400)]
        codes = list(s.scalars(select(MissingPerson.case_code).where(MissingPerson.id.in_(ids))))
        matched = list(s.scalars(select(MissingPerson.case_code).join(
            CandidateMatch, CandidateMatch.missing_person_id == MissingPerson.id)))
        total = s.query(MissingPerson).count()
    engine.dispose()
    return codes + matched * 10 if total else codes


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("mpid")), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--database", url],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/login", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))


def _client(base: str, codes: list[str]) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    login = client.post("/login", data={"username": USER, "password": PASSWORD})
    assert login.status_code in (200, 303) and "mpid_session" in client.cookies, login.status_code
    for url in ("/persons", "/persons?q=Mamedov", f"/persons/{codes[0]}"):  # warm-up (index build)
        assert client.get(url).status_code == 200, url
    return client


def measure(servers: dict[int, tuple[str, list[str]]], requests: int,
            seconds: float) -> dict[int, dict[str, list[float]]]:
    """Requests alternate between the registers, so load on the machine affects both alike."""
    rng = random.Random(11)
    clients = {n: _client(base, codes) for n, (base, codes) in servers.items()}
    kinds = {
        "list": lambda n, codes: f"/persons?page={rng.randint(1, max(1, n // 50))}",
        "search": lambda n, codes: "/persons?" + str(httpx.QueryParams({"q": rng.choice(SEARCHES)})),
        "case": lambda n, codes: f"/persons/{rng.choice(codes)}",
    }
    out: dict[int, dict[str, list[float]]] = {n: {} for n in servers}
    try:
        for kind, make_url in kinds.items():
            for n in servers:
                out[n][kind] = []
            stop = time.monotonic() + seconds
            for _ in range(requests):
                if time.monotonic() > stop:
                    break
                for n, (_base, codes) in servers.items():
                    url = make_url(n, codes)
                    started = time.perf_counter()
                    response = clients[n].get(url)
                    out[n][kind].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
    finally:
        for client in clients.values():
            client.close()
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--baseline-n", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=150, help="at most this many requests per page kind")
    parser.add_argument("--seconds", type=float, default=60.0, help="at most this long per page kind")
    parser.add_argument("--workdir", type=Path, default=None, help="keep seeded SQLite registers here")
    parser.add_argument("--postgres", metavar="URL", default=None,
                        help="PostgreSQL server to use instead of SQLite (a throwaway database per size)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mpid-bench-web-"))
    workdir.mkdir(parents=True, exist_ok=True)
    servers: dict[int, tuple[str, list[str]]] = {}
    procs = []
    with contextlib.ExitStack() as stack:
        try:
            for n in (args.baseline_n, args.n):
                if args.postgres:
                    from mpid.registry.testing import temporary_postgres_database

                    url = stack.enter_context(temporary_postgres_database(args.postgres))
                else:
                    url = f"sqlite:///{workdir / f'register-{n}.sqlite'}"
                print(f"register of {n:,} missing persons: {url}", file=sys.stderr)
                codes = prepare_register(url, n)
                proc, base = start_server(url)
                procs.append(proc)
                servers[n] = (base, codes)
            results = measure(servers, args.requests, args.seconds)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
    print(f"\n{'page':8} {'persons':>9} {'requests':>9} {'median ms':>10} {'p95 ms':>8} {'× baseline':>11}")
    ok = True
    for kind in ("list", "search", "case"):
        base_median = statistics.median(results[args.baseline_n][kind])
        for n in (args.baseline_n, args.n):
            times = results[n][kind]
            median = statistics.median(times)
            ratio = median / base_median if base_median else float("nan")
            print(f"{kind:8} {n:>9,} {len(times):>9} {median:>10.1f} {p95(times):>8.1f} {ratio:>11.2f}")
        target_median = statistics.median(results[args.n][kind])
        passed = target_median < TARGET_MS
        ok &= passed
        print(f"{'':8} target: median under {TARGET_MS:.0f} ms with {args.n:,} persons: {'yes' if passed else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
