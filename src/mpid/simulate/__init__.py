"""mpid.simulate: synthetic but realistic missing-person scenarios (F15), seeded and reproducible.

Two ways in:

* files: :func:`write_scenario` (``mpid simulate --preset azerbaijan --seed N --out DIR``) writes a
  scenario directory — lab files, registers, sites, remains manifest, families, and a ground
  truth kept apart in ``DIR/truth`` (see ``docs/simulation.md``);
* objects, for benchmarks and tests: :func:`simulate_families` and :func:`simulate_remains`.
"""

from .agencies import AgencyReport, PersonIdentity, generate_agency_reports, generate_person_identities
from .families import FamilyConfig, PedigreeMember, PersonFacts, SimulatedFamily, simulate_families
from .genotypes import Genotype, GenotypeProfile, drop_genes
from .graves import BALKANS_REGIONS, KARABAKH_REGIONS, RegionSet, Site, SiteLayout
from .kit import DEFAULT_FREQUENCY_TABLE, DEFAULT_KIT, KitFrequencies, STRKit, kit_frequencies
from .profiles import DegradationModel, SimulatedRemains, simulate_remains
from .scenario import PRESETS, ScenarioConfig, ScenarioSummary, write_scenario

__all__ = [
    "BALKANS_REGIONS",
    "DEFAULT_FREQUENCY_TABLE",
    "DEFAULT_KIT",
    "KARABAKH_REGIONS",
    "PRESETS",
    "AgencyReport",
    "DegradationModel",
    "FamilyConfig",
    "Genotype",
    "GenotypeProfile",
    "KitFrequencies",
    "PedigreeMember",
    "PersonFacts",
    "PersonIdentity",
    "RegionSet",
    "STRKit",
    "ScenarioConfig",
    "ScenarioSummary",
    "SimulatedFamily",
    "SimulatedRemains",
    "Site",
    "SiteLayout",
    "drop_genes",
    "generate_agency_reports",
    "generate_person_identities",
    "kit_frequencies",
    "simulate_families",
    "simulate_remains",
    "write_scenario",
]
