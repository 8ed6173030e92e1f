"""Decision policy: categories, thresholds, verbal scale, provenance."""

from __future__ import annotations

import json
import math

import pytest

import mpid
from mpid.matching.policy import (
    Category,
    PolicySettings,
    Provenance,
    decide,
    decide_many,
    posterior_from_lr,
    verbal_scale,
)

PROV = Provenance.for_settings(PolicySettings(), "NorwegianFrequencies_forrel", "1")


def test_posterior_from_lr():
    assert posterior_from_lr(1.0, 0.5) == pytest.approx(0.5)
    assert posterior_from_lr(1e6, 1e-3) == pytest.approx(1e3 / (1e3 + 0.999))
    assert posterior_from_lr(math.inf, 0.1) == 1.0
    assert posterior_from_lr(0.0, 0.1) == 0.0
    with pytest.raises(ValueError):
        posterior_from_lr(10.0, 0.0)


def test_identified_needs_posterior_and_lr():
    d = decide("R1", "M1", 1e6, PROV, posterior=0.9999)
    assert d.category is Category.IDENTIFIED
    # Posterior high, LR below the floor: not identified.
    assert decide("R1", "M1", 5e3, PROV, posterior=0.9999).category is Category.PROBABLE
    # LR high, posterior below 99.95 %: probable.
    assert decide("R1", "M1", 1e5, PROV, posterior=0.99).category is Category.PROBABLE


def test_default_prior_from_scope():
    # LR 1e8 with 1000 missing: posterior 1e5 / (1e5 + 0.999) > 0.9995.
    d = decide("R1", "M1", 1e8, PROV, n_missing_in_scope=1000)
    assert d.category is Category.IDENTIFIED
    assert d.posterior == pytest.approx(posterior_from_lr(1e8, 1e-3))
    # LR 1e5 with 1000 missing: posterior ≈ 0.990 → probable.
    assert decide("R1", "M1", 1e5, PROV, n_missing_in_scope=1000).category is Category.PROBABLE


def test_excluded_and_inconclusive():
    assert decide("R1", "M1", 1e9, PROV, posterior=1.0, n_incompatible=3).category is Category.EXCLUDED
    assert decide("R1", "M1", 1e9, PROV, posterior=1.0, n_incompatible=2).category is Category.IDENTIFIED
    assert decide("R1", "M1", 0.0, PROV).category is Category.EXCLUDED
    assert decide("R1", "M1", 50.0, PROV).category is Category.INCONCLUSIVE
    assert decide("R1", "M1", None, PROV).category is Category.INCONCLUSIVE


def test_configurable_thresholds():
    s = PolicySettings(identify_posterior=0.99, identify_lr=1e6, probable_lr=1e2, max_incompatible=0)
    assert decide("R", "M", 1e5, PROV, s, posterior=0.999).category is Category.PROBABLE
    assert decide("R", "M", 1e6, PROV, s, posterior=0.999).category is Category.IDENTIFIED
    assert decide("R", "M", 1e6, PROV, s, posterior=0.999, n_incompatible=1).category is Category.EXCLUDED
    with pytest.raises(ValueError):
        PolicySettings(probable_lr=1e5, identify_lr=1e4)
    with pytest.raises(ValueError):
        PolicySettings(verbal_scale="other")


@pytest.mark.parametrize(
    ("lr", "words"),
    [
        (5.0, "weak support for the first"),
        (50.0, "moderate support for the first"),
        (500.0, "moderately strong support for the first"),
        (5e3, "strong support for the first"),
        (5e5, "very strong support for the first"),
        (1e7, "extremely strong support for the first"),
        (0.01, "moderately strong support for the second"),
        (1.0, "no support"),
    ],
)
def test_verbal_scale(lr: float, words: str):
    assert verbal_scale(lr).startswith(words)


def test_provenance_and_json():
    d = decide("R1", "M1", math.inf, PROV, posterior=1.0, family="F1")
    out = json.loads(d.to_json())
    assert out["lr"] is None and out["category"] == "identified"
    assert out["provenance"]["code_version"] == mpid.__version__
    assert out["provenance"]["frequency_table"] == "NorwegianFrequencies_forrel"
    assert out["provenance"]["settings"]["identify_posterior"] == 0.9995
    many = decide_many([{"remains": "R1", "missing": "M1", "lr": 2e3}, {"remains": "R2", "missing": "M1"}], PROV)
    assert [m.category for m in many] == [Category.PROBABLE, Category.INCONCLUSIVE]


def test_decide_marginals():
    from mpid.matching.policy import decide_marginals

    marg = {"R1": {"M1": 0.9999, "*": 1e-4}, "R2": {"M2": 0.5, "M3": 0.5, "*": 0.0}, "R3": {"*": 1.0}}
    stats = {("R1", "M1"): (1e7, 0), ("R2", "M2"): (1e8, 0), ("R2", "M3"): (1e8, 0)}
    out = {d.remains: d for d in decide_marginals(marg, stats, PROV, family_of={"M1": "F1"})}
    assert out["R1"].category is Category.IDENTIFIED and out["R1"].family == "F1"
    assert out["R2"].category is Category.PROBABLE  # two brothers: posterior 0.5 each
    assert "R3" not in out


def test_decide_marginals_symmetric_family():
    from mpid.matching.policy import decide_marginals

    marg = {"R2": {"M2": 0.49999, "M3": 0.49999, "*": 2e-5}}
    stats = {("R2", "M2"): (1e8, 0), ("R2", "M3"): (1e8, 0)}
    (d,) = decide_marginals(marg, stats, PROV, family_of={"M2": "F1", "M3": "F1"})
    assert d.category is Category.PROBABLE
    assert any("symmetric" in r and "M2/M3" in r for r in d.reasons)
