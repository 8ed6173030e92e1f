"""Seeding a benchmark register once: synthetic cases plus the F01 reference case, blind-matched."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[1]
F01 = ROOT / "tests" / "refcases" / "F01_dvi_small_2fam_3vic.json"


def seed_once(engine: Engine, persons: int, actor: str) -> bool:
    """Migrate, then seed ``persons`` synthetic cases and the matched F01 case unless already there; True if seeded."""
    from sqlalchemy import select

    from mpid.registry.db import session_scope
    from mpid.registry.migrate import prepare_database
    from mpid.registry.models import MissingPerson
    from mpid.services.importing import import_file
    from mpid.services.matching import run_matching
    from mpid.web.fixtures import seed_missing_persons

    prepare_database(engine)
    with session_scope(engine) as s:
        if s.scalar(select(MissingPerson.id).limit(1)) is not None:
            return False
    started = time.perf_counter()
    seed_missing_persons(engine, persons, seed=1)
    import_file(engine, "refcase", F01)
    with session_scope(engine) as s:
        run_matching(s, started_by=actor)
    print(f"  seeded {persons:,} persons in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return True
