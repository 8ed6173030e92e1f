"""A mutation between the references is not an exclusion of the remains.

When the references alone break Mendel's laws at a marker (a father 10/10 and his son 11/12: a
mutation), every genotype of the missing person is "excluded" there without mutation. That marker
says nothing about the remains and must not count towards the policy's exclusion limit; a marker
where the remains themselves contradict the family still counts.
"""

from __future__ import annotations

import numpy as np

from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree
from mpid.matching.search import RemainsProfile, SearchSettings, blind_search
from mpid.matching.tables import FamilyInput

ALLELES = tuple(str(a) for a in range(8, 15))
FREQS = np.full(len(ALLELES), 1 / len(ALLELES))
STEPWISE = {"model": "stepwise", "rate": 0.002, "rate2": 1e-6, "range": 0.1}


def _marker(name: str) -> Marker:
    return Marker(name, ALLELES, FREQS, MutationModel.from_params(ALLELES, FREQS, STEPWISE, STEPWISE))


def test_only_the_remains_own_contradictions_count() -> None:
    markers = [_marker(f"M{k}") for k in range(4)]
    ped = Pedigree.from_records([("FA", None, None, 1), ("MO", None, None, 2), ("SON", "FA", "MO", 1),
                                 ("MP", "FA", "MO", 1)])
    refs = {
        "FA": {"M0": ("10", "10"), "M1": ("10", "10"), "M2": ("9", "13"), "M3": ("12", "14")},
        # M0: the son carries neither of his father's alleles' copies, 11 and 12: a mutation.
        "SON": {"M0": ("11", "12"), "M1": ("10", "12"), "M2": ("9", "10"), "M3": ("12", "12")},
    }
    family = FamilyInput("F", ped, "MP", refs)
    # M0 agrees with the father; M1 contradicts him (the remains lack 10): a real exclusion.
    remains = RemainsProfile("R", {"M0": ("10", "12"), "M1": ("11", "12"), "M2": ("13", "11"),
                                   "M3": ("14", "8")})
    found = blind_search([remains], [family], markers, SearchSettings(threshold_lr=0.0, prior=0.5))
    (cand,) = found.candidates
    assert cand.n_exclusions == 1, "M1 only: M0's inconsistency is between the references"
