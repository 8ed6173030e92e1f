"""Synthetic registers for the web tests, the browser tests and ``bench/web.py``.

:func:`seed_missing_persons` writes ``n`` synthetic missing persons (names from
:mod:`mpid.simulate`, in Azerbaijani Latin) each with one to three agency reports written in
Azerbaijani, Russian or English spelling, with bulk inserts (10^5 persons in well under a minute
on SQLite). It bypasses the intake service for speed and writes the same rows it would.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, text

from mpid.registry.models import CaseStatus, CaseStatusEvent, DatePrecision, MissingPerson, Report, Sex
from mpid.simulate.agencies import generate_agency_reports, generate_person_identities

__all__ = ["seed_missing_persons"]

_SCRIPT = {"ngo": "Cyrl"}


def seed_missing_persons(engine: Engine, n: int, *, seed: int = 1, batch: int = 5000) -> int:
    """Insert ``n`` synthetic cases with their reports and first status event; returns the count."""
    rng = random.Random(seed)
    persons = generate_person_identities(n, rng)
    reports = generate_agency_reports(persons, rng)
    by_person: dict[str, list] = {}
    for r in reports:
        by_person.setdefault(r.true_person_id, []).append(r)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        start = int(conn.execute(select(MissingPerson.id).order_by(MissingPerson.id.desc()).limit(1)).scalar() or 0)
        for offset in range(0, len(persons), batch):
            chunk = persons[offset: offset + batch]
            mp_rows, rp_rows, ev_rows = [], [], []
            for k, p in enumerate(chunk):
                mp_id = start + offset + k + 1
                mp_rows.append({
                    "id": mp_id, "case_code": f"MP-S{seed:02d}-{mp_id:07d}", "status": CaseStatus.REPORTED,
                    "full_name": f"{p.family_name} {p.given_name}", "sex": Sex.MALE if p.sex == "M" else Sex.FEMALE,
                    "birth_date": p.birth_date, "birth_date_precision": DatePrecision.DAY, "region": p.region,
                    "disappeared_on": p.missing_date, "disappearance_place": p.missing_place,
                    "created_at": now, "updated_at": now,
                })
                ev_rows.append({"missing_person_id": mp_id, "from_status": None, "to_status": CaseStatus.REPORTED,
                                "actor": "seed", "reason": "synthetic register", "at": now})
                for r in by_person.get(p.person_id, []):
                    rp_rows.append({
                        "missing_person_id": mp_id, "source_agency": r.source,
                        "source_reference": f"S{seed}-{r.record_id}",
                        "name_original": f"{r.family_name} {r.given_name}".strip(),
                        "name_script": _SCRIPT.get(r.source, "Latn"), "patronymic_original": r.patronymic or None,
                        "birth_date_original": r.birth_date or None, "sex_reported": Sex.UNKNOWN,
                        "region": p.region, "details": {}, "provenance": {"seeded": True, "seed": seed},
                        "created_at": now, "reported_on": None,
                    })
            conn.execute(insert(MissingPerson), mp_rows)
            conn.execute(insert(CaseStatusEvent), ev_rows)
            if rp_rows:
                conn.execute(insert(Report), rp_rows)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('missing_persons', 'id'), "
                              "(SELECT max(id) FROM missing_persons))"))
    return len(persons)
