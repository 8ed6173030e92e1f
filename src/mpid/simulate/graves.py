"""Recovery sites, the individuals buried in them, their remains (body parts) and bone samples.

Sites are mass graves (primary, or secondary: remains moved there from a primary grave,
so one person's parts lie in both), small graves and surface sites, with coordinates near
the centres of the districts of the region and exhumation dates. Recovered individuals are
placed site by site, relatives who disappeared together usually in the same grave. Each
individual leaves one or more remains (a skeleton or body parts; more fragments in mass
graves), each with one bone or tooth sample, sometimes two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BALKANS_REGIONS",
    "KARABAKH_REGIONS",
    "PlacedRemains",
    "RecoveredIndividual",
    "RegionSet",
    "Site",
    "SiteLayout",
    "generate_sites",
    "place_remains",
]


@dataclass(frozen=True)
class RegionSet:
    """Districts of a region with their centres, the coordinate box and the exhumation years."""

    code: str
    districts: tuple[tuple[str, float, float], ...]
    lat_range: tuple[float, float]
    lon_range: tuple[float, float]
    exhumation_years: tuple[int, int]
    site_word: dict[str, str]


KARABAKH_REGIONS = RegionSet(
    code="KRB",
    districts=(
        ("Ağdam", 39.99, 46.93), ("Xocalı", 39.91, 46.79), ("Şuşa", 39.76, 46.75),
        ("Xankəndi", 39.82, 46.76), ("Xocavənd", 39.79, 47.11), ("Füzuli", 39.60, 47.15),
        ("Cəbrayıl", 39.40, 47.03), ("Zəngilan", 39.25, 46.65), ("Qubadlı", 39.34, 46.58),
        ("Laçın", 39.64, 46.55), ("Kəlbəcər", 40.10, 46.38), ("Ağdərə", 40.21, 46.82),
    ),
    lat_range=(39.2, 40.3),
    lon_range=(46.3, 47.3),
    exhumation_years=(2021, 2025),
    site_word={"mass_grave": "kütləvi məzarlıq", "grave": "məzar", "surface": "səth sahəsi"},
)

BALKANS_REGIONS = RegionSet(
    code="BIH",
    districts=(
        ("Srebrenica", 44.10, 19.30), ("Prijedor", 44.98, 16.71), ("Zvornik", 44.38, 19.10),
        ("Bratunac", 44.19, 19.33), ("Višegrad", 43.78, 19.29), ("Foča", 43.51, 18.78),
        ("Sanski Most", 44.77, 16.67), ("Ključ", 44.53, 16.78), ("Kotor Varoš", 44.62, 17.37),
        ("Vlasenica", 44.18, 18.94), ("Brčko", 44.87, 18.81), ("Bijeljina", 44.76, 19.21),
    ),
    lat_range=(42.6, 45.3),
    lon_range=(15.7, 19.7),
    exhumation_years=(1996, 2015),
    site_word={"mass_grave": "mass grave", "grave": "grave", "surface": "surface site"},
)


@dataclass(frozen=True)
class Site:
    """A recovery site: ``kind`` is mass_grave, grave or surface; ``disturbance`` primary or secondary."""

    site_id: str
    name: str
    kind: str
    disturbance: str
    lat: float
    lon: float
    region: str
    exhumation_date: dt.date
    primary_site_id: str | None = None
    """For a secondary grave: the primary grave its remains were moved from (ground truth)."""


@dataclass(frozen=True)
class SiteLayout:
    """How many sites of each kind a scenario has, and how individuals spread over them."""

    n_sites: int
    n_mass_graves: int
    n_secondary_mass_graves: int
    fraction_in_mass_graves: float
    p_surface: float = 0.3
    """Share of the non-mass sites that are surface sites (the rest are graves)."""
    extra_fragments_mass: float = 0.9
    extra_fragments_other: float = 0.25
    p_split_to_secondary: float = 0.5
    p_split_other: float = 0.04
    p_family_together: float = 0.7
    p_second_sample: float = 0.06


@dataclass(frozen=True)
class RecoveredIndividual:
    """A person whose remains were recovered (truth), with what anthropology can see."""

    person_id: str
    family_id: str | None
    sex: str
    age_at_death: int


@dataclass(frozen=True)
class PlacedRemains:
    """One remains item: where it lies, the body part, whose it is, and its samples' bar-code seeds."""

    remains_id: str
    site_id: str
    body_part: str
    individual: int
    """Index into the list of recovered individuals."""
    n_samples: int


_BODY_PARTS = (
    ("femur", 0.2), ("tibia", 0.12), ("humerus", 0.1), ("skull", 0.1), ("mandible", 0.08),
    ("pelvis", 0.06), ("radius", 0.05), ("ulna", 0.04), ("fibula", 0.05), ("vertebrae", 0.06),
    ("ribs", 0.05), ("foot bones", 0.04), ("hand bones", 0.03), ("tooth", 0.02),
)
SEX_INDICATORS = frozenset({"skeleton", "pelvis", "skull"})
AGE_INDICATORS = frozenset({"skeleton", "pelvis", "skull", "mandible", "tooth"})


def generate_sites(layout: SiteLayout, regions: RegionSet, rng: np.random.Generator) -> list[Site]:
    """Sites with ids ``KRB-001``…, mass graves first (primary, then secondary), then graves and surface sites."""
    width = max(3, len(str(layout.n_sites)))
    n_primary = layout.n_mass_graves - layout.n_secondary_mass_graves
    y0, y1 = regions.exhumation_years
    first_day = dt.date(y0, 1, 1).toordinal()
    last_day = dt.date(y1, 12, 31).toordinal()
    sites: list[Site] = []
    for k in range(layout.n_sites):
        kind = "mass_grave"
        if k >= layout.n_mass_graves:
            kind = "surface" if rng.random() < layout.p_surface else "grave"
        secondary = n_primary <= k < layout.n_mass_graves
        primary_id = None
        if secondary:
            primary = sites[int(rng.integers(0, max(1, n_primary)))]
            primary_id = primary.site_id
            district = next(d for d in regions.districts if d[0] == primary.region)
        else:
            district = regions.districts[int(rng.integers(0, len(regions.districts)))]
        lat = float(np.clip(district[1] + rng.normal(0, 0.04), *regions.lat_range))
        lon = float(np.clip(district[2] + rng.normal(0, 0.05), *regions.lon_range))
        day = dt.date.fromordinal(int(rng.integers(first_day, last_day + 1)))
        if secondary and primary_id is not None:
            day = max(day, next(s.exhumation_date for s in sites if s.site_id == primary_id))
        site_id = f"{regions.code}-{k + 1:0{width}d}"
        name = f"{district[0]} {regions.site_word[kind]} {k + 1}"
        sites.append(Site(site_id, name, kind, "secondary" if secondary else "primary", round(lat, 5),
                          round(lon, 5), district[0], day, primary_id))
    return sites


def _capacities(n_individuals: int, sites: list[Site], layout: SiteLayout,
                rng: np.random.Generator) -> np.ndarray:
    """Number of individuals whose main remains lie in each site (secondary graves: none)."""
    caps = np.zeros(len(sites), dtype=np.int64)
    primary_mass = [i for i, s in enumerate(sites) if s.kind == "mass_grave" and s.disturbance == "primary"]
    others = [i for i, s in enumerate(sites) if s.kind != "mass_grave"]
    n_mass = min(n_individuals, round(layout.fraction_in_mass_graves * n_individuals)) if primary_mass else 0
    if not others:
        n_mass = n_individuals
    for group, total in ((primary_mass, n_mass), (others, n_individuals - n_mass)):
        if not group or total <= 0:
            continue
        base = min(total // len(group), 2 if group is primary_mass else 1)
        weights = rng.dirichlet(np.full(len(group), 1.5))
        caps[group] = base + rng.multinomial(total - base * len(group), weights)
    return caps


def place_remains(individuals: list[RecoveredIndividual], sites: list[Site], layout: SiteLayout,
                  rng: np.random.Generator) -> list[PlacedRemains]:
    """Put the individuals in sites and break them into remains; ids ``<site>-<nnn>``, in site order."""
    caps = _capacities(len(individuals), sites, layout, rng)
    by_family: dict[str, list[int]] = {}
    units: list[list[int]] = []
    for i, person in enumerate(individuals):
        if person.family_id is None:
            units.append([i])
        else:
            by_family.setdefault(person.family_id, []).append(i)
    for members in by_family.values():
        if len(members) > 1 and rng.random() < layout.p_family_together:
            units.append(members)
        else:
            units.extend([m] for m in members)
    order = [i for u in (units[k] for k in rng.permutation(len(units))) for i in u]
    site_order = rng.permutation(len(sites))
    slots = np.repeat(site_order, caps[site_order])
    home = np.empty(len(individuals), dtype=np.int64)
    home[order] = slots
    secondary_of: dict[int, list[int]] = {}
    index_of = {s.site_id: i for i, s in enumerate(sites)}
    for i, s in enumerate(sites):
        if s.primary_site_id is not None:
            secondary_of.setdefault(index_of[s.primary_site_id], []).append(i)
    others = np.array([i for i, s in enumerate(sites) if s.kind != "mass_grave"])
    per_site: dict[int, list[tuple[str, int]]] = {}
    for i in range(len(individuals)):
        site = int(home[i])
        mass = sites[site].kind == "mass_grave"
        n_parts = 1 + int(rng.poisson(layout.extra_fragments_mass if mass else layout.extra_fragments_other))
        second_site = -1
        if mass and site in secondary_of and rng.random() < layout.p_split_to_secondary:
            choices = secondary_of[site]
            second_site = choices[int(rng.integers(0, len(choices)))]
        elif not mass and others.size > 1 and rng.random() < layout.p_split_other:
            second_site = int(others[rng.integers(0, others.size)])
            second_site = -1 if second_site == site else second_site
        if second_site >= 0:
            n_parts = max(n_parts, 2)
        parts = _body_parts(n_parts, whole_body=not mass and second_site < 0, rng=rng)
        for k, part in enumerate(parts):
            where = second_site if (second_site >= 0 and k % 2 == 1) else site
            per_site.setdefault(where, []).append((part, i))
    placed: list[PlacedRemains] = []
    for site in range(len(sites)):
        items = per_site.get(site, [])
        for number, k in enumerate(rng.permutation(len(items)), start=1):
            part, owner = items[k]
            n_samples = 2 if rng.random() < layout.p_second_sample else 1
            remains_id = f"{sites[site].site_id}-{number:03d}"
            placed.append(PlacedRemains(remains_id, sites[site].site_id, part, owner, n_samples))
    return placed


def _body_parts(n: int, whole_body: bool, rng: np.random.Generator) -> list[str]:
    """Body parts of one individual's ``n`` remains: often a skeleton first in a single grave."""
    names = [p for p, _ in _BODY_PARTS]
    weights = np.array([w for _, w in _BODY_PARTS])
    parts = [names[k] for k in rng.choice(len(names), size=n, p=weights / weights.sum())]
    if whole_body and rng.random() < 0.6:
        parts[0] = "skeleton"
    return parts
