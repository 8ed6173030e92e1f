"""Imports of lab and agency files (profiles, pedigrees, frequency tables, register lists)."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from mpid.formats.errors import FormatError
from mpid.registry.models import ImportBatch
from mpid.security.audit import AuditAction, record_audit
from mpid.security.roles import Permission
from mpid.services.importing import IMPORT_KINDS, ImportOptions, ImportResult, import_file
from mpid.web.deps import Caller, CallerDep, SessionDep, check_csrf
from mpid.web.routers.common import optional_date
from mpid.web.schemas import ImportRead
from mpid.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["imports"])

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def required_permission(kind: str) -> Permission:
    """Register lists are case work; everything else carries genetic data or frequencies."""
    return Permission.MISSING_PERSON_WRITE if kind == "register" else Permission.PROFILE_IMPORT


async def _import_upload(request: Request, caller: Caller, kind: str, upload: UploadFile,
                         options: ImportOptions) -> ImportResult:
    if kind not in IMPORT_KINDS:
        from mpid.registry.errors import RegisterError

        raise RegisterError(f"unknown import kind {kind!r}", field="kind")
    caller.require(required_permission(kind))
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(upload.filename or "upload").name)[:120] or "upload"
    with tempfile.TemporaryDirectory(prefix="mpid-upload-") as tmp:
        path = Path(tmp) / name
        size = 0
        with path.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    from mpid.registry.errors import RegisterError

                    raise RegisterError("file too large", field="file")
                out.write(chunk)
        result = await run_in_threadpool(import_file, request.app.state.session_factory, kind, path, options)
    record_audit(request.app.state.session_factory, actor=caller.principal, action=AuditAction.IMPORT,
                 object_type="import_batch", object_id=result.batch_id,
                 details={"kind": kind, "file": name, "counts": result.counts,
                          "already_imported": result.already_imported})
    return result


@pages.get("/imports")
def imports_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """The upload form and the latest import batches."""
    if not (caller.can(Permission.PROFILE_IMPORT) or caller.can(Permission.MISSING_PERSON_WRITE)):
        caller.require(Permission.PROFILE_IMPORT)
    batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(30)).all()
    kinds = [k for k in IMPORT_KINDS if caller.can(required_permission(k))]
    return render(request, "imports.html", {"batches": batches, "kinds": kinds, "result": None, "error": None})


@pages.post("/imports")
async def import_page(
    request: Request, session: SessionDep, caller: CallerDep, kind: Annotated[str, Form()],
    file: Annotated[UploadFile, File()], category: Annotated[str, Form()] = "", lab: Annotated[str, Form()] = "",
    kit: Annotated[str, Form()] = "", source_agency: Annotated[str, Form()] = "",
    consent_given_on: Annotated[str, Form()] = "",
) -> Response:
    """Import an uploaded file in one transaction (idempotent: the same file twice does nothing)."""
    await check_csrf(request, caller)
    options = ImportOptions(category=category or None, lab=lab or None, kit=kit or None,
                            source_agency=source_agency or None,
                            consent_given_on=optional_date(consent_given_on) or date.today(), actor=caller.username)
    result, error = None, None
    try:
        result = await _import_upload(request, caller, kind, file, options)
    except FormatError as exc:
        error = str(exc)
    batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(30)).all()
    kinds = [k for k in IMPORT_KINDS if caller.can(required_permission(k))]
    return render(request, "imports.html", {"batches": batches, "kinds": kinds, "result": result, "error": error},
                  status_code=200 if error is None else 422)


@api.post("/imports", response_model=ImportRead, status_code=201, responses={422: {}})
async def api_import(
    request: Request, caller: CallerDep, kind: Annotated[str, Form()], file: Annotated[UploadFile, File()],
    category: Annotated[str, Form()] = "", lab: Annotated[str, Form()] = "", kit: Annotated[str, Form()] = "",
    source_agency: Annotated[str, Form()] = "", consent_given_on: Annotated[str, Form()] = "",
) -> Response:
    """Import a file (multipart upload)."""
    await check_csrf(request, caller)
    options = ImportOptions(category=category or None, lab=lab or None, kit=kit or None,
                            source_agency=source_agency or None,
                            consent_given_on=optional_date(consent_given_on) or date.today(), actor=caller.username)
    try:
        result = await _import_upload(request, caller, kind, file, options)
    except FormatError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    body = ImportRead(kind=result.kind, batch_id=result.batch_id, already_imported=result.already_imported,
                      counts=result.counts)
    return JSONResponse(body.model_dump(), status_code=200 if result.already_imported else 201)
