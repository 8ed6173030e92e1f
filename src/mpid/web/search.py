"""Search of missing persons by name in any script, through an index of folded name keys.

A search for *Mamedov* must find *Məmmədov* and *Мамедов*: every word of a case's working
name and of every report's original name is folded with :func:`mpid.linkage.normalise.surname_key`
(Azerbaijani Latin, Russian Cyrillic and English transliterations collapse to one key; feminine
surname endings fold to the masculine form). The index maps each key to the case ids that carry
it and keeps the keys sorted, so a query word matches every key it is a prefix of (``mamad``
finds ``mamadov``) with two binary searches.

The register has no column for these keys, so the index lives in the app process: it is built on
first use, updated at once by the web app's own writes, and rebuilt when the register's newest
case or report id changes (another process wrote) or after ``refresh_seconds``.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import time
from collections.abc import Iterable

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mpid.linkage.normalise import surname_key
from mpid.registry.models import MissingPerson, Report

__all__ = ["NameIndex", "search_keys"]

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_MIN_PREFIX = 3


def search_keys(text: str | None) -> list[str]:
    """The folded keys of every word of ``text`` (empty words dropped, order kept, no repeats)."""
    keys: list[str] = []
    for word in _WORD.findall(text or ""):
        key = surname_key(word)
        if key and key not in keys:
            keys.append(key)
    return keys


class NameIndex:
    """In-memory index of name keys → case ids (thread-safe; one per app)."""

    def __init__(self, engine: Engine, *, refresh_seconds: float = 300.0) -> None:
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._ids: dict[str, set[int]] = {}
        self._sorted: list[str] = []
        self._signature: tuple[int, int] | None = None
        self._built_at = 0.0

    def _current_signature(self, session: Session) -> tuple[int, int]:
        mp = session.scalar(select(func.max(MissingPerson.id))) or 0
        rp = session.scalar(select(func.max(Report.id))) or 0
        return int(mp), int(rp)

    def _build(self, session: Session, signature: tuple[int, int]) -> None:
        started = time.perf_counter()
        ids: dict[str, set[int]] = {}
        rows = session.execute(select(MissingPerson.id, MissingPerson.full_name, MissingPerson.case_code))
        for mp_id, name, code in rows:
            for key in search_keys(name):
                ids.setdefault(key, set()).add(mp_id)
            ids.setdefault(_code_key(code), set()).add(mp_id)
        for mp_id, original, patronymic in session.execute(
            select(Report.missing_person_id, Report.name_original, Report.patronymic_original)
        ):
            for key in search_keys(f"{original} {patronymic or ''}"):
                ids.setdefault(key, set()).add(mp_id)
        self._ids = ids
        self._sorted = sorted(ids)
        self._signature = signature
        self._built_at = time.monotonic()
        log.info("name index: %d keys built in %.2f s", len(ids), time.perf_counter() - started)

    def ensure_fresh(self, session: Session) -> None:
        """Rebuild when the register has cases or reports the index has not seen, or it is old."""
        signature = self._current_signature(session)
        with self._lock:
            stale = time.monotonic() - self._built_at > self._refresh_seconds
            if signature != self._signature or stale:
                self._build(session, signature)

    def add(self, mp_id: int, texts: Iterable[str | None], session: Session | None = None) -> None:
        """Index new names of a case at once (the web app's own writes)."""
        with self._lock:
            for text in texts:
                for key in search_keys(text):
                    if key not in self._ids:
                        bisect.insort(self._sorted, key)
                    self._ids.setdefault(key, set()).add(mp_id)
            if session is not None and self._signature is not None:
                self._signature = self._current_signature(session)

    def search(self, session: Session, query: str) -> list[int]:
        """Ids of the cases whose names hold every word of ``query`` (as a prefix), ascending."""
        self.ensure_fresh(session)
        code = _code_key(query)
        result: set[int] | None = None
        with self._lock:
            if code in self._ids and len(code) > 4:
                return sorted(self._ids[code])
            for key in search_keys(query):
                found = self._prefix(key) if len(key) >= _MIN_PREFIX else set(self._ids.get(key, ()))
                result = found if result is None else result & found
                if not result:
                    return []
        return sorted(result or ())

    def _prefix(self, key: str) -> set[int]:
        lo = bisect.bisect_left(self._sorted, key)
        hi = bisect.bisect_left(self._sorted, key + "\uffff")
        found: set[int] = set()
        for k in self._sorted[lo:hi]:
            found |= self._ids[k]
        return found


def _code_key(code: str | None) -> str:
    return "#" + "".join(ch for ch in (code or "").upper() if ch.isalnum())
