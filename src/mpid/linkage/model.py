"""Probabilistic deduplication of missing-person reports with Splink on embedded DuckDB.

The reports of one person by several agencies disagree in script, spelling, date precision
and completeness. :func:`prepare_records` reduces every report to comparison keys
(:mod:`mpid.linkage.normalise`); :func:`build_settings` declares the Fellegi–Sunter model
(comparisons, levels, blocking rules) as a Splink settings dict; :func:`deduplicate` trains it
without labels (u by random sampling, m by expectation maximisation, the prior from
near-certain deterministic rules), scores the blocked pairs and clusters them at a threshold
match probability. The trained settings dict is returned so a run can be saved and audited.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from mpid.linkage.cluster import ConflictFeatures, constrained_clusters
from mpid.linkage.normalise import (
    name_key,
    parse_patronymic,
    parse_sex,
    phonetic_key,
    place_key,
    sex_from_surname,
    split_given_and_patronymic,
    surname_key,
)

__all__ = [
    "CONFLICT_PROBABILITY",
    "DEFAULT_THRESHOLD",
    "INPUT_COLUMNS",
    "REVIEW_FLOOR",
    "DedupeResult",
    "auto_merge_allowed",
    "PartialDate",
    "build_settings",
    "cluster_predictions",
    "deduplicate",
    "estimate_prior_from_scores",
    "parse_partial_date",
    "prepare_records",
    "reference_model",
]

logger = logging.getLogger(__name__)

INPUT_COLUMNS = (
    "record_id", "source", "family_name", "given_name", "patronymic", "sex",
    "birth_date", "birth_place", "missing_date", "missing_place",
)
# Pairs at or above this probability are merged. Chosen on the benchmark and on an independently
# generated list as the value where precision stays near 0.99 and recall above 0.95 on both
# (see docs/linkage.md); below it, pairs go to the review queue.
DEFAULT_THRESHOLD = 0.7
# Pairs between this probability and the threshold are worth a case officer's look.
REVIEW_FLOOR = 0.2
# Pairs are scored down to this probability so the clustering knows which reports conflict.
_SCORE_FLOOR = 0.001
# Two reports scored below this cannot end up in one cluster.
CONFLICT_PROBABILITY = 0.05


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to the year, the month or the day (month and day may be None)."""

    year: int
    month: int | None = None
    day: int | None = None

    def day_number(self) -> int:
        """Days since 0001-01-01, taking the middle of the month or year when a part is unknown."""
        month = self.month or 7
        day = self.day or (15 if self.month else 1)
        try:
            return dt.date(self.year, month, day).toordinal()
        except ValueError:
            return dt.date(self.year, month, 28).toordinal()


def parse_partial_date(text: str | None) -> PartialDate | None:
    """Parse YYYY-MM-DD, YYYY-MM or YYYY (None if empty); raise ValueError if it is no such date.

    A month above 12 with a day of 12 or less is read as a day–month swap (1975-25-03), which
    some agencies' exports produce, and logged; a day past the month's end (1943-02-29) is kept
    as written, since the record is evidence even if the date was mistyped.
    """
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    parts = text.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4 \
            or any(len(p) not in (1, 2) for p in parts[1:]):
        raise ValueError(f"{text!r} is not a date of the form YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(parts[0])
    month = int(parts[1]) if len(parts) > 1 else None
    day = int(parts[2]) if len(parts) > 2 else None
    if month is not None and day is not None and month > 12 and 1 <= day <= 12:
        logger.info("date %s read as day-month swapped", text)
        month, day = day, month
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"{text!r} has no month {month}")
    if day is not None and not 1 <= day <= 31:
        raise ValueError(f"{text!r} has no day {day}")
    if not 1000 <= year <= 2100:
        raise ValueError(f"{text!r} has an implausible year")
    return PartialDate(year, month, day)


def _none_if_empty(value: str) -> str | None:
    return value or None


def prepare_records(records: pd.DataFrame) -> pd.DataFrame:
    """Comparison keys of every report: the table Splink deduplicates (one row per record_id).

    Raises ValueError on an unparsable date, naming the record and the field.
    """
    frame = records.reindex(columns=list(INPUT_COLUMNS)).astype(object).fillna("").astype(str)
    rows: list[dict[str, Any]] = []
    for values in frame.itertuples(index=False):
        row = dict(zip(INPUT_COLUMNS, values, strict=True))
        row["given_name"], row["patronymic"] = split_given_and_patronymic(row["given_name"], row["patronymic"])
        patronymic = parse_patronymic(row["patronymic"])
        sex = parse_sex(row["sex"]) or patronymic.sex or sex_from_surname(row["family_name"])
        dates = {}
        for column in ("birth_date", "missing_date"):
            try:
                dates[column] = parse_partial_date(row[column])
            except ValueError as error:
                raise ValueError(f"record {row['record_id']!r}, field {column}: {error}") from None
        birth, missing = dates["birth_date"], dates["missing_date"]
        given = name_key(row["given_name"])
        family = surname_key(row["family_name"])
        rows.append({
            "unique_id": row["record_id"],
            "source": row["source"],
            "fam_key": _none_if_empty(family),
            "fam_phon": _none_if_empty(phonetic_key(family)),
            "given_key": _none_if_empty(given),
            "given_phon": _none_if_empty(phonetic_key(given)),
            "pat_key": _none_if_empty(patronymic.father_key),
            "pat_phon": _none_if_empty(phonetic_key(patronymic.father_key)),
            "sex": sex,
            "b_year": birth.year if birth else None,
            "b_month": birth.month if birth else None,
            "b_day": birth.day if birth else None,
            "bp_key": _none_if_empty(place_key(row["birth_place"])),
            "m_year": missing.year if missing else None,
            "m_month": missing.month if missing else None,
            "m_daynum": missing.day_number() if missing else None,
            "mp_key": _none_if_empty(place_key(row["missing_place"])),
        })
    prepared = pd.DataFrame(rows)
    # First three letters of each name key: a block that survives a typo later in either name.
    prepared["fam_prefix"] = prepared["fam_key"].str[:3]
    prepared["given_prefix"] = prepared["given_key"].str[:3]
    for column in ("b_year", "b_month", "b_day", "m_year", "m_month", "m_daynum"):
        prepared[column] = prepared[column].astype("Int64")
    for column in ("bp_key", "mp_key", "fam_key", "given_key", "pat_key"):
        prepared[column + "_phon"] = prepared[column].map(
            lambda key: phonetic_key(key) or None if isinstance(key, str) else None)
    prepared = prepared.drop(columns=["fam_key_phon", "given_key_phon", "pat_key_phon"])
    prepared["bp_phon"] = prepared.pop("bp_key_phon")
    prepared["mp_phon"] = prepared.pop("mp_key_phon")
    return prepared


def _level(sql: str, label: str, *, null: bool = False, tf: str | None = None) -> dict[str, Any]:
    """One comparison level as a Splink settings dict entry."""
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _jw(column: str, threshold: float) -> str:
    return f"jaro_winkler_similarity({column}_l, {column}_r) >= {threshold}"


def _name_comparison(column: str, phon: str, label: str, *, initials: bool) -> dict[str, Any]:
    """Levels for a name: exact (term-frequency adjusted), close spelling, same consonant
    skeleton, an initial (given names are sometimes written A.), loosely similar, different."""
    levels = [
        _level(f"{column}_l IS NULL OR {column}_r IS NULL", "null", null=True),
        _level(f"{column}_l = {column}_r", "exact key", tf=column),
        _level(_jw(column, 0.92), "Jaro-Winkler >= 0.92"),
        _level(f"{phon}_l = {phon}_r AND {_jw(column, 0.8)}", "same phonetic key, similar"),
        _level(f"(length({column}_l) = 1 OR length({column}_r) = 1) "
               f"AND left({column}_l, 1) = left({column}_r, 1)", "initial agrees"),
        _level(f"{_jw(column, 0.8)} OR damerau_levenshtein({column}_l, {column}_r) <= 1",
               "Jaro-Winkler >= 0.80 or one edit"),
        _level("ELSE", "different"),
    ]
    if not initials:
        del levels[4]
    return {"output_column_name": label, "comparison_levels": levels}


def _swap_level() -> dict[str, Any]:
    """Family and given name written in each other's field by one agency."""
    return _level("(fam_phon_l = given_phon_r AND given_phon_l = fam_phon_r AND fam_phon_l <> given_phon_l)",
                  "names swapped")


def _place_comparison(column: str, phon: str, label: str) -> dict[str, Any]:
    """Levels for a place: exact, close spelling or same consonant skeleton, different."""
    return {
        "output_column_name": label,
        "comparison_levels": [
            _level(f"{column}_l IS NULL OR {column}_r IS NULL", "null", null=True),
            _level(f"{column}_l = {column}_r", "exact key", tf=column),
            _level(f"{_jw(column, 0.88)} OR {phon}_l = {phon}_r", "similar"),
            _level("ELSE", "different"),
        ],
    }


_BIRTH_DATE = {
    "output_column_name": "birth_date",
    "comparison_levels": [
        _level("b_year_l IS NULL OR b_year_r IS NULL", "null", null=True),
        _level("b_year_l = b_year_r AND b_month_l = b_month_r AND b_day_l = b_day_r", "exact date"),
        _level("b_year_l = b_year_r AND b_month_l = b_day_r AND b_day_l = b_month_r", "day and month swapped"),
        _level("b_year_l = b_year_r AND b_month_l = b_month_r AND (b_day_l IS NULL OR b_day_r IS NULL)",
               "same year and month, day unknown"),
        _level("b_year_l = b_year_r AND (b_month_l IS NULL OR b_month_r IS NULL)", "same year, month unknown"),
        _level("b_month_l = b_month_r AND b_day_l = b_day_r AND (abs(b_year_l - b_year_r) = 1 "
               "OR b_year_l // 10 = b_year_r // 10 OR b_year_l % 10 = b_year_r % 10 "
               "OR (b_year_l % 10 = (b_year_r // 10) % 10 AND (b_year_l // 10) % 10 = b_year_r % 10))",
               "same day and month, one year digit off"),
        _level("b_year_l = b_year_r", "same year, different day or month"),
        _level("abs(b_year_l - b_year_r) <= 1", "within a year"),
        _level("ELSE", "different"),
    ],
}

_MISSING_DATE = {
    "output_column_name": "missing_date",
    "comparison_levels": [
        _level("m_year_l IS NULL OR m_year_r IS NULL", "null", null=True),
        _level("m_daynum_l = m_daynum_r AND m_month_l IS NOT NULL AND m_month_r IS NOT NULL", "same date"),
        _level("abs(m_daynum_l - m_daynum_r) <= 31 AND m_month_l IS NOT NULL AND m_month_r IS NOT NULL",
               "within a month"),
        _level("m_year_l = m_year_r", "same year"),
        _level("abs(m_daynum_l - m_daynum_r) <= 366", "within a year"),
        _level("ELSE", "different"),
    ],
}

_SEX = {
    "output_column_name": "sex",
    "comparison_levels": [
        _level("sex_l IS NULL OR sex_r IS NULL", "null", null=True),
        _level("sex_l = sex_r", "same"),
        _level("ELSE", "different"),
    ],
}

_PATRONYMIC = {
    "output_column_name": "patronymic",
    "comparison_levels": [
        _level("pat_key_l IS NULL OR pat_key_r IS NULL", "null", null=True),
        _level("pat_key_l = pat_key_r", "exact key", tf="pat_key"),
        _level(f"{_jw('pat_key', 0.9)} OR pat_phon_l = pat_phon_r", "similar"),
        _level("(length(pat_key_l) = 1 OR length(pat_key_r) = 1) AND left(pat_key_l, 1) = left(pat_key_r, 1)",
               "initial agrees"),
        _level(_jw("pat_key", 0.8), "loosely similar"),
        _level("ELSE", "different"),
    ],
}

# Each rule yields the pairs that agree on it; together they keep a true pair unless it
# disagrees on nearly everything (the union is scored, each pair once).
BLOCKING_RULES = (
    "l.fam_phon = r.fam_phon AND l.given_phon = r.given_phon",
    "l.given_key = r.given_key AND l.b_year = r.b_year",
    "l.fam_key = r.fam_key AND l.b_year = r.b_year",
    "l.given_phon = r.given_phon AND l.pat_key = r.pat_key",
    "l.fam_phon = r.fam_phon AND l.pat_key = r.pat_key",
    "l.b_year = r.b_year AND l.b_month = r.b_month AND l.b_day = r.b_day",
    "l.fam_phon = r.given_phon AND l.given_phon = r.fam_phon",
    "l.fam_prefix = r.fam_prefix AND l.given_prefix = r.given_prefix",
    "l.given_key = r.given_key AND l.bp_key = r.bp_key",
)


def build_settings() -> dict[str, Any]:
    """The untrained model as a Splink settings dict (comparisons, levels, blocking rules)."""
    family = _name_comparison("fam_key", "fam_phon", "family_name", initials=False)
    family["comparison_levels"].insert(2, _swap_level())
    given = _name_comparison("given_key", "given_phon", "given_name", initials=True)
    # A swap is evidence once, in family_name; for given_name it is treated as missing.
    null_level = given["comparison_levels"][0]
    null_level["sql_condition"] = f"{null_level['sql_condition']} OR {_swap_level()['sql_condition']}"
    null_level["label_for_charts"] = "null or names swapped"
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": [
            family, given, _PATRONYMIC, _SEX, _BIRTH_DATE,
            _place_comparison("bp_key", "bp_phon", "birth_place"),
            _MISSING_DATE,
            _place_comparison("mp_key", "mp_phon", "missing_place"),
        ],
        "blocking_rules_to_generate_predictions": [{"blocking_rule": rule} for rule in BLOCKING_RULES],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": ["source"],
        "em_convergence": 0.001,
        "max_iterations": 20,
    }


# Near-certain agreement used to estimate how many pairs are duplicates, with their recall.
_DETERMINISTIC_RULES = (
    "l.fam_key = r.fam_key AND l.given_key = r.given_key "
    "AND l.b_year = r.b_year AND l.b_month = r.b_month AND l.b_day = r.b_day",
    "l.fam_key = r.fam_key AND l.given_key = r.given_key AND l.pat_key = r.pat_key AND l.b_year = r.b_year",
)
_DETERMINISTIC_RECALL = 0.7
# EM training passes: each fixes the fields it blocks on and learns m for the others.
# Blocks on person-specific fields only: a block on family-level fields (surname, patronymic,
# place and date of disappearance) is full of siblings, whom EM would learn as matches.
_EM_BLOCKS = (
    "l.fam_key = r.fam_key AND l.given_key = r.given_key",
    "l.b_year = r.b_year AND l.b_month = r.b_month AND l.b_day = r.b_day",
    "l.given_key = r.given_key AND l.b_year = r.b_year",
)
# No level is impossible for a true match in another agency's data (a wrong sex, another
# district): m is floored so one disagreement costs at most about log2(1/_M_FLOOR) bits.
_M_FLOOR = 0.003
# EM, blind to labels, over-estimates how often one person's reports disagree outright on a name
# or the birth date: reports of different people who went missing the same day from the same
# village agree on so much else that EM counts some of them as matches. For these identity
# fields a clear disagreement is given at least log2(0.9 / 0.01) ≈ 6.5 bits against.
_IDENTITY_COMPARISONS = frozenset({"family_name", "given_name", "patronymic", "birth_date"})
_M_CEILING_DIFFERENT = 0.01
# Below this many reports the parameters cannot be estimated well; the reference model is used.
MIN_RECORDS_TO_TRAIN = 1000
REFERENCE_MODEL_FILE = "reference_model.json"


@dataclass
class DedupeResult:
    """Clusters of records, the candidate pairs behind them and the trained model."""

    clusters: pd.DataFrame  # record_id, person_id
    pairs: pd.DataFrame  # record_id_l, record_id_r, match_weight, match_probability and keys
    settings: dict[str, Any]
    threshold: float
    timings: dict[str, float] = field(default_factory=dict)


def _train(linker: Any, n_records: int, seed: int) -> None:
    """Estimate the prior, u (random sampling) and m (EM) without labels.

    Each step that the data cannot support (no pair agreeing on a training block, a field
    always empty) is skipped with a warning; the parameters it would have given are then taken
    from the reference model (:func:`reference_model`).
    """
    try:
        linker.training.estimate_probability_two_random_records_match(
            list(_DETERMINISTIC_RULES), recall=_DETERMINISTIC_RECALL)
    except Exception as error:  # Splink raises several types; each means "no estimate"
        logger.warning("prior not estimated from deterministic rules (%s); 1/n is used", error)
        linker._settings_obj._probability_two_random_records_match = min(0.5, 1.0 / max(n_records, 2))
    max_pairs = min(5e6, max(1e5, n_records * (n_records - 1) / 2))
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    except Exception as error:  # as above
        logger.warning("u not estimated by random sampling (%s); reference values are used", error)
    for rule in _EM_BLOCKS:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
        except Exception as error:  # as above
            logger.warning("EM pass blocked on %s skipped (%s)", rule, error)


def auto_merge_allowed(pairs: pd.DataFrame) -> pd.Series:
    """Pairs that may be merged without a person looking: not those whose given names differ.

    Siblings often went missing together and agree on surname, patronymic, places and date
    of disappearance; the model's independence assumption then over-counts that shared
    family evidence. Two clearly different given names therefore always go to review.
    """
    if "gamma_given_name" not in pairs:
        return pd.Series(True, index=pairs.index)
    return pairs["gamma_given_name"] != 0


def _logit2(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


def estimate_prior_from_scores(match_weights: np.ndarray, n_records: int, prior: float,
                               *, iterations: int = 50) -> float:
    """Re-estimate the share of pairs that match from the scored pairs themselves.

    The deterministic-rule estimate used in training depends on a guessed recall. Here the
    match and non-match likelihoods are fixed and only the mixing weight is fitted (EM on one
    parameter): prior = sum of match probabilities / number of possible pairs, iterated to its
    fixed point. Pairs not scored (not blocked, or far below any threshold) contribute nearly 0.
    """
    total_pairs = n_records * (n_records - 1) / 2
    if total_pairs <= 0 or len(match_weights) == 0:
        return prior
    bayes_factors = np.asarray(match_weights, dtype=float) - _logit2(prior)
    estimate = prior
    for _ in range(iterations):
        probabilities = 1.0 / (1.0 + np.power(2.0, -(bayes_factors + _logit2(estimate))))
        updated = float(min(max(probabilities.sum() / total_pairs, 1e-12), 0.5))
        if abs(updated - estimate) <= 1e-6 * estimate:
            estimate = updated
            break
        estimate = updated
    logger.info("prior re-estimated from the scores: %.3g (training gave %.3g)", estimate, prior)
    return estimate


def rescore_with_prior(pairs: pd.DataFrame, old_prior: float, new_prior: float) -> pd.DataFrame:
    """Shift match weights and probabilities of scored pairs from one prior to another."""
    rescored = pairs.copy()
    rescored["match_weight"] = rescored["match_weight"] - _logit2(old_prior) + _logit2(new_prior)
    rescored["match_probability"] = 1.0 / (1.0 + np.power(2.0, -rescored["match_weight"].to_numpy()))
    return rescored


def reference_model() -> dict[str, Any] | None:
    """The model trained on the benchmark's 100,000-record list (None if the file is missing).

    It stands in for training on lists too small to estimate from (fewer than
    ``MIN_RECORDS_TO_TRAIN``) and fills any parameter a training step could not estimate.
    """
    resource = resources.files("mpid.linkage").joinpath(REFERENCE_MODEL_FILE)
    if not resource.is_file():
        return None
    return json.loads(resource.read_text(encoding="utf-8"))


def _reference_levels(reference: dict[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    if reference is None:
        return {}
    return {(comparison["output_column_name"], level["label_for_charts"]): level
            for comparison in reference["comparisons"] for level in comparison["comparison_levels"]}


def _for_small_list(reference: dict[str, Any], n_records: int) -> dict[str, Any]:
    """The reference model adapted to a short list: no term-frequency adjustments (name
    frequencies in a few dozen reports say nothing), and a starting prior of one duplicate per
    report (re-estimated from the scores afterwards)."""
    adapted = json.loads(json.dumps(reference))
    for comparison in adapted["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    adapted["probability_two_random_records_match"] = min(0.5, 1.0 / max(n_records - 1, 1))
    return adapted


def _regularise(settings: dict[str, Any], reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fill untrained levels from the reference model, floor m at _M_FLOOR and renormalise."""
    known = _reference_levels(reference)
    for comparison in settings["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        for level in levels:
            fallback = known.get((comparison["output_column_name"], level["label_for_charts"]), {})
            for name in ("m_probability", "u_probability"):
                if level.get(name) is None and fallback.get(name) is not None:
                    level[name] = fallback[name]
        m_values = [max(level.get("m_probability") or 0.0, _M_FLOOR) for level in levels]
        if comparison["output_column_name"] in _IDENTITY_COMPARISONS:
            m_values[-1] = min(m_values[-1], _M_CEILING_DIFFERENT)
        total = sum(m_values)
        for level, m_value in zip(levels, m_values, strict=True):
            trained = level.get("m_probability") is not None and level.get("u_probability") is not None
            level["m_probability"] = m_value / total
            # A level with no estimate at all carries no evidence (Bayes factor 1).
            level["u_probability"] = max(level["u_probability"], 1e-6) if trained else m_value / total
    return settings


def _conflict_features(prepared: pd.DataFrame) -> dict[str, ConflictFeatures]:
    """The per-record keys the clustering needs to detect conflicting reports."""
    def value(item: Any) -> Any:
        return None if item is None or item is pd.NA or (isinstance(item, float) and math.isnan(item)) else item

    columns = ["unique_id", "given_key", "given_phon", "fam_phon", "b_year", "b_month", "b_day"]
    features = {}
    for row in prepared[columns].itertuples(index=False):
        given, given_phon, fam_phon, year, month, day = (value(v) for v in row[1:])
        features[row[0]] = ConflictFeatures(given, given_phon, fam_phon,
                                            None if year is None else int(year),
                                            None if month is None else int(month),
                                            None if day is None else int(day))
    return features


def cluster_predictions(
    ids: list[str], pairs: pd.DataFrame, prepared: pd.DataFrame, threshold: float,
    *, conflict_probability: float = CONFLICT_PROBABILITY,
) -> dict[str, str]:
    """Group records: merge pairs at or above threshold, best first, never across a conflict."""
    allowed = auto_merge_allowed(pairs)
    left, right = pairs["unique_id_l"].to_numpy(), pairs["unique_id_r"].to_numpy()
    probability = pairs["match_probability"].to_numpy()
    known = {}
    for a, b, p, ok in zip(left, right, probability, allowed.to_numpy(), strict=True):
        known[(a, b) if a < b else (b, a)] = (float(p), bool(ok))
    chosen = (probability >= threshold) & allowed.to_numpy()
    edges = list(zip(left[chosen], right[chosen], probability[chosen], strict=True))
    return constrained_clusters(ids, edges, known, _conflict_features(prepared),
                                conflict_probability=conflict_probability)


def deduplicate(
    records: pd.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    settings: dict[str, Any] | None = None,
    review_floor: float = REVIEW_FLOOR,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> DedupeResult:
    """Cluster reports of the same person; train the model unless a trained settings dict is given."""
    from splink import DuckDBAPI, Linker  # imported here: Splink is slow to import

    def step(message: str) -> None:
        logger.info(message)
        if progress is not None:
            progress(message)

    timings: dict[str, float] = {}
    started = time.perf_counter()
    step("normalising names, places and dates")
    prepared = prepare_records(records)
    if prepared["unique_id"].duplicated().any():
        duplicated = prepared.loc[prepared["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise ValueError(f"record_id {duplicated!r} occurs more than once")
    timings["normalise"] = time.perf_counter() - started
    ids = prepared["unique_id"].tolist()
    if len(prepared) < 2:
        clusters = pd.DataFrame({"record_id": ids, "person_id": [_person_id(i) for i in range(len(ids))]})
        return DedupeResult(clusters, pd.DataFrame(), settings or build_settings(), threshold, timings)

    connection = duckdb.connect()
    db_api = DuckDBAPI(connection)
    table = db_api.register(prepared, table_name="reports")
    linker = Linker(table, settings or build_settings(), log_level=None)
    reference = reference_model() if settings is None else None
    if settings is None and (len(prepared) >= MIN_RECORDS_TO_TRAIN or reference is None):
        step("estimating the model without labels (prior, u by sampling, m by EM)")
        mark = time.perf_counter()
        _train(linker, len(prepared), seed)
        regularised = _regularise(linker.misc.save_model_to_json(), reference)
        linker = Linker(table, regularised, log_level=None)
        timings["train"] = time.perf_counter() - mark
    elif settings is None:
        step(f"fewer than {MIN_RECORDS_TO_TRAIN} reports: using the reference model")
        linker = Linker(table, _for_small_list(reference, len(prepared)), log_level=None)
    mark = time.perf_counter()
    step("scoring candidate pairs")
    if not 0.0 < linker._settings_obj._probability_two_random_records_match < 1.0:
        linker._settings_obj._probability_two_random_records_match = min(0.5, 1.0 / len(prepared))
    predictions = linker.inference.predict(threshold_match_probability=_SCORE_FLOOR)
    pairs = predictions.as_pandas_dataframe()
    if pairs.empty:
        pairs = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_weight", "match_probability"])
        pairs = pairs.astype({"match_weight": float, "match_probability": float})
    timings["predict"] = time.perf_counter() - mark
    trained = linker.misc.save_model_to_json()
    connection.close()
    if settings is None:
        prior = estimate_prior_from_scores(pairs["match_weight"].to_numpy(), len(prepared),
                                           trained["probability_two_random_records_match"])
        pairs = rescore_with_prior(pairs, trained["probability_two_random_records_match"], prior)
        trained["probability_two_random_records_match"] = prior

    mark = time.perf_counter()
    step("clustering")
    roots = cluster_predictions(ids, pairs, prepared, threshold)
    order: dict[str, int] = {}
    person_ids = []
    for record_id in ids:
        root = roots[record_id]
        if root not in order:
            order[root] = len(order)
        person_ids.append(_person_id(order[root]))
    clusters = pd.DataFrame({"record_id": ids, "person_id": person_ids})
    timings["cluster"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    pairs = pairs.loc[pairs["match_probability"] >= min(review_floor, threshold)]
    pairs = pairs.rename(columns={"unique_id_l": "record_id_l", "unique_id_r": "record_id_r"})
    pairs = pairs.reset_index(drop=True)
    logger.info("%d records, %d candidate pairs, %d persons", len(ids), len(pairs), len(order))
    return DedupeResult(clusters, pairs, trained, threshold, timings)


def _person_id(index: int) -> str:
    return f"PERSON-{index + 1:07d}"


def match_probability_from_weight(weight: float) -> float:
    """Convert a match weight (log2 Bayes factor) to a probability."""
    return 1.0 / (1.0 + math.pow(2.0, -weight))
