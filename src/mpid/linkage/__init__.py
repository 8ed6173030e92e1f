"""mpid.linkage: deduplication of missing-person reports across agencies, scripts and spellings.

``normalise`` folds Azerbaijani Latin, Russian Cyrillic and English spellings to keys;
``model`` trains and applies the Splink model; ``cluster`` groups scored pairs into persons;
``records`` reads and writes the CSV lists; ``review`` is the case officers' review queue.
"""

from mpid.linkage.model import DEFAULT_THRESHOLD, DedupeResult, deduplicate
from mpid.linkage.normalise import name_key, parse_patronymic, phonetic_key, place_key, surname_key
from mpid.linkage.records import ReportFileError, read_reports_csv, write_clusters_csv
from mpid.linkage.review import (
    CandidatePair,
    InMemoryReviewStore,
    JsonFileReviewStore,
    Merge,
    ReviewQueue,
    ReviewStore,
    candidates_from_predictions,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "CandidatePair",
    "DedupeResult",
    "InMemoryReviewStore",
    "JsonFileReviewStore",
    "Merge",
    "ReportFileError",
    "ReviewQueue",
    "ReviewStore",
    "candidates_from_predictions",
    "deduplicate",
    "name_key",
    "parse_patronymic",
    "phonetic_key",
    "place_key",
    "read_reports_csv",
    "surname_key",
    "write_clusters_csv",
]
