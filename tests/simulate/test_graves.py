"""Sites and the placement of remains in them."""

from __future__ import annotations

import numpy as np

from mpid.simulate import KARABAKH_REGIONS, SiteLayout
from mpid.simulate.graves import RecoveredIndividual, generate_sites, place_remains

LAYOUT = SiteLayout(n_sites=150, n_mass_graves=23, n_secondary_mass_graves=4, fraction_in_mass_graves=0.27)


def test_sites_of_the_azerbaijan_layout() -> None:
    sites = generate_sites(LAYOUT, KARABAKH_REGIONS, np.random.default_rng(1))
    assert len(sites) == 150 and len({s.site_id for s in sites}) == 150
    assert sum(s.kind == "mass_grave" for s in sites) == 23
    secondary = [s for s in sites if s.disturbance == "secondary"]
    assert len(secondary) == 4
    by_id = {s.site_id: s for s in sites}
    for s in secondary:
        primary = by_id[s.primary_site_id]
        assert primary.kind == "mass_grave" and primary.disturbance == "primary"
        assert s.exhumation_date >= primary.exhumation_date
    for s in sites:
        assert 39.2 <= s.lat <= 40.3 and 46.3 <= s.lon <= 47.3
        assert 2021 <= s.exhumation_date.year <= 2025


def test_every_individual_leaves_remains_and_some_are_split() -> None:
    rng = np.random.default_rng(2)
    people = [RecoveredIndividual(f"P{i}", f"F{i // 2}", "male", 30) for i in range(700)]
    sites = generate_sites(LAYOUT, KARABAKH_REGIONS, rng)
    placed = place_remains(people, sites, LAYOUT, rng)
    assert {p.individual for p in placed} == set(range(700))
    assert len(placed) > 700
    assert len({p.remains_id for p in placed}) == len(placed)
    sites_of: dict[int, set[str]] = {}
    for p in placed:
        sites_of.setdefault(p.individual, set()).add(p.site_id)
    assert any(len(s) > 1 for s in sites_of.values()), "one person's remains in several graves"
    kinds = {s.site_id: s.kind for s in sites}
    in_mass = sum(1 for s in sites_of.values() if any(kinds[x] == "mass_grave" for x in s))
    assert 0.15 < in_mass / 700 < 0.45
    used = {p.site_id for p in placed}
    assert len(used) == 150, "every site holds remains"
