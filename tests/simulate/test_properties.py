"""Property tests: any seed and family setting gives valid pedigrees and consistent records."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mpid.genetics.pedigree import validate_pedigree
from mpid.simulate import FamilyConfig, simulate_families


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    extra_children=st.floats(0.0, 6.0),
    p_cousins=st.floats(0.0, 1.0),
    p_second=st.floats(0.0, 1.0),
    p_no_refs=st.floats(0.0, 1.0),
)
def test_any_setting_gives_valid_families(seed: int, extra_children: float, p_cousins: float, p_second: float,
                                          p_no_refs: float) -> None:
    config = FamilyConfig(extra_children_mean=extra_children, p_parents_first_cousins=p_cousins,
                          p_spouse_first_cousin=p_cousins, p_second_missing=p_second,
                          p_family_without_references=p_no_refs)
    for family in simulate_families(8, None, np.random.default_rng(seed), config=config):
        validate_pedigree([(m.id, m.father, m.mother, m.sex) for m in family.members])
        ids = [m.id for m in family.members]
        assert len(set(family.missing_ids)) == len(family.missing_ids) and set(family.missing_ids) <= set(ids)
        assert set(family.donor_ids) <= set(ids)
        for pid in family.missing_ids:
            assert family.missing_year - family.facts[pid].birth_year >= 0
