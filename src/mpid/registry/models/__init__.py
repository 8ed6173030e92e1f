"""Every table of the register.

Importing this package imports every model module in it and the model modules other parts of
mpid keep next to their code (:data:`EXTERNAL_MODEL_MODULES`, e.g. security's users and audit
log), so ``Base.metadata`` is complete for Alembic and ``create_all``. A new model module is a
new file in this package, or a new entry in that tuple; either needs a migration.
"""

from __future__ import annotations

import importlib
import pkgutil

from mpid.registry.base import Base
from mpid.registry.models._lengths import check_object_text_lengths, install_length_check
from mpid.registry.models.cases import (
    CaseStatusEvent,
    Consent,
    Donor,
    Family,
    MissingPerson,
    PedigreePerson,
    Report,
)
from mpid.registry.models.enums import (
    CaseStatus,
    CustodyAction,
    DatePrecision,
    MatchRunKind,
    MatchRunStatus,
    NotificationChannel,
    RemainsKind,
    ReviewDecision,
    SampleType,
    Sex,
    SiteType,
)
from mpid.registry.models.field import CustodyEvent, Exhumation, Remains, Sample, Site
from mpid.registry.models.genetics import FrequencyRow, FrequencyTable, Profile
from mpid.registry.models.imports import ImportBatch
from mpid.registry.models.outcomes import CandidateMatch, Identification, MatchRun, Notification, Review

__all__ = [
    "EXTERNAL_MODEL_MODULES",
    "Base",
    "CandidateMatch",
    "check_object_text_lengths",
    "CaseStatus",
    "CaseStatusEvent",
    "Consent",
    "CustodyAction",
    "CustodyEvent",
    "DatePrecision",
    "Donor",
    "Exhumation",
    "Family",
    "FrequencyRow",
    "FrequencyTable",
    "Identification",
    "ImportBatch",
    "MatchRun",
    "MatchRunKind",
    "MatchRunStatus",
    "MissingPerson",
    "Notification",
    "NotificationChannel",
    "PedigreePerson",
    "Profile",
    "Remains",
    "RemainsKind",
    "Report",
    "Review",
    "ReviewDecision",
    "Sample",
    "SampleType",
    "Sex",
    "Site",
    "SiteType",
]


# Tables defined outside this package on the same Base (each must be in the migration chain).
EXTERNAL_MODEL_MODULES: tuple[str, ...] = ("mpid.security.models",)


def _import_all_model_modules() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    for name in EXTERNAL_MODEL_MODULES:
        importlib.import_module(name)


_import_all_model_modules()
install_length_check()
