"""Matching runs started from the web app: one at a time, on a worker thread, with progress.

A run is one transaction (``mpid.services.matching.run_matching``), so other sessions see it
only when it is finished; until then the page follows the job here (state, fraction done).
"""

from __future__ import annotations

import itertools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mpid.security.audit import AuditAction, append_audit
from mpid.security.roles import Principal

__all__ = ["Job", "MatchingJobs"]

log = logging.getLogger(__name__)


@dataclass
class Job:
    """A matching job: ``state`` is queued, running, finished or failed."""

    id: int
    kind: str
    started_by: str
    settings: dict[str, Any]
    state: str = "queued"
    progress: int = 0
    total: int | None = None
    run_id: int | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id, "kind": self.kind, "state": self.state, "progress": self.progress, "total": self.total,
            "run_id": self.run_id, "error": self.error, "started_by": self.started_by,
            "created_at": self.created_at.isoformat(),
        }


class MatchingJobs:
    """The app's matching jobs (kept in memory; the runs themselves are in the register)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mpid-match")
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def get(self, job_id: int) -> Job | None:
        """A job by id."""
        return self._jobs.get(job_id)

    def recent(self, limit: int = 10) -> list[Job]:
        """The newest jobs first."""
        return sorted(self._jobs.values(), key=lambda j: -j.id)[:limit]

    def start(self, principal: Principal, kind: str, settings: dict[str, Any]) -> Job:
        """Queue a blind (or direct) run over the register."""
        with self._lock:
            job = Job(id=next(self._ids), kind=kind, started_by=principal.username or "", settings=settings)
            self._jobs[job.id] = job
        self._executor.submit(self._run, job, principal)
        return job

    def _run(self, job: Job, principal: Principal) -> None:
        from mpid.services.matching import MatchSettings, run_direct_matching, run_matching

        job.state = "running"

        def progress(finished_in_block: int) -> None:
            job.progress += int(finished_in_block)  # missing persons searched so far

        try:
            settings = MatchSettings(**job.settings)
            with self._factory() as session:
                if job.kind == "direct":
                    run = run_direct_matching(session, settings, started_by=job.started_by)
                else:
                    run = run_matching(session, settings, started_by=job.started_by, progress=progress)
                append_audit(session, actor=principal, action=AuditAction.MATCH_RUN, object_type="match_run",
                             object_id=run.id, details={"kind": job.kind, "summary": run.summary})
                session.commit()
                job.run_id = run.id
            job.state = "finished"
        except Exception as exc:  # noqa: BLE001 - shown to the analyst on the page
            log.exception("matching job %s failed", job.id)
            job.state = "failed"
            job.error = str(exc)

    def shutdown(self) -> None:
        """Wait for a running job and stop the worker."""
        self._executor.shutdown(wait=True, cancel_futures=True)
