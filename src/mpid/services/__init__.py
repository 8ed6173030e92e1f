"""mpid.services: the use cases over the register. Each service function works inside the caller's
session and flushes; the caller owns the unit of work (``session_scope``), except the file
imports and exports, which run their own single transaction.

* :mod:`~mpid.services.intake` — register a report (new case or an existing one), merge duplicates;
* :mod:`~mpid.services.references` — donors placed in the pedigree by relationship, whole pedigrees, consent;
* :mod:`~mpid.services.sites` — sites, exhumations, remains, bar-coded samples, chain of custody;
* :mod:`~mpid.services.profiles` — attach STR profiles (locus and allele checks);
* :mod:`~mpid.services.lifecycle` — move a case through its lifecycle;
* :mod:`~mpid.services.frequencies` — named, versioned allele frequency tables;
* :mod:`~mpid.services.importing` / :mod:`~mpid.services.exporting` — exchange files;
* :mod:`~mpid.services.statistics` — counts for ``mpid status``.
"""

__all__ = [
    "exporting",
    "frequencies",
    "importing",
    "intake",
    "lifecycle",
    "profiles",
    "references",
    "sites",
    "statistics",
]
