"""Simulated reference families as the matching layer takes them (shared by the matching tests)."""

from __future__ import annotations

from collections.abc import Sequence

from mpid.genetics.pedigree import Pedigree
from mpid.matching.tables import FamilyInput
from mpid.simulate.families import SimulatedFamily


def family_inputs(families: Sequence[SimulatedFamily], loci: Sequence[str], max_members: int) -> list[FamilyInput]:
    """One input per missing person of every family with a typed reference and at most ``max_members`` members."""
    inputs = []
    for f in families:
        ped = Pedigree.from_records([(m.id, m.father, m.mother, m.sex) for m in f.members])
        refs = {d: {k: v for k, v in f.reference_genotypes[d].items() if k in loci} for d in f.donor_ids}
        if refs and len(f.members) <= max_members:
            inputs.extend(FamilyInput(f.family_id, ped, mp, refs) for mp in f.missing_ids)
    return inputs
