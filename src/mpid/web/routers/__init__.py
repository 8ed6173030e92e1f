"""One router module per resource; each has ``pages`` (HTML) and/or ``api`` (``/api/v1``) routers."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

__all__ = ["ALL_ROUTERS", "RESOURCE_MODULES"]

RESOURCE_MODULES = (
    "auth", "dashboard", "persons", "sites", "remains", "imports", "matching", "review", "dedupe", "inquiry",
    "requests",
)


def _collect() -> list[APIRouter]:
    routers: list[APIRouter] = []
    for name in RESOURCE_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        for attr in ("api", "pages"):
            router = getattr(module, attr, None)
            if router is not None:
                routers.append(router)
    return routers


ALL_ROUTERS = _collect()
