"""Scenario directories: reproducible bytes, valid structure, truth consistent with the files."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from mpid.formats.cmf import parse_cmf
from mpid.formats.genemapper import parse_genemapper
from mpid.formats.register_lists import parse_register_list
from mpid.simulate import PRESETS, write_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, float]:
    out = tmp_path_factory.mktemp("small")
    started = time.perf_counter()
    summary = write_scenario("small", 42, out)
    return out, summary, time.perf_counter() - started


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_small_preset_is_fast(scenario: tuple[Path, object, float]) -> None:
    assert scenario[2] < 5.0


def test_same_seed_gives_byte_identical_files(scenario: tuple[Path, object, float], tmp_path: Path) -> None:
    write_scenario("small", 42, tmp_path / "again")
    first, second = _files(scenario[0]), _files(tmp_path / "again")
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name
    write_scenario("small", 43, tmp_path / "other")
    assert _files(tmp_path / "other")["families.json"] != first["families.json"]


def test_counts_match_the_preset(scenario: tuple[Path, object, float]) -> None:
    out, summary, _ = scenario
    config = PRESETS["small"]
    manifest = json.loads((out / "scenario.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["missing"] == summary.missing
    assert config.n_missing <= summary.missing <= config.n_missing + 2
    assert 30 <= summary.families <= 50
    assert summary.recovered_individuals == config.n_recovered_listed + config.n_recovered_unlisted
    assert summary.remains > summary.recovered_individuals
    assert summary.sites == config.layout.n_sites
    assert len(manifest["kit"]["loci"]) == 23
    for name in manifest["files"]:
        assert (out / name).is_file(), name


def test_families_file_holds_valid_pedigrees(scenario: tuple[Path, object, float]) -> None:
    out = scenario[0]
    families = json.loads((out / "families.json").read_text(encoding="utf-8"))
    persons = {r["person_id"]: r for r in _csv(out / "truth" / "persons.csv")}
    reports = {r["record_id"]: r["true_person_id"] for r in _csv(out / "truth" / "reports.csv")}
    references = {r.sample_id for p in sorted((out / "lab").glob("reference_samples_*.txt"))
                  for r in parse_genemapper(p)}
    barcodes = set()
    for family in families:
        sexes: dict[str, str] = {}
        for m in family["pedigree"]:
            assert (m["father"] is None) == (m["mother"] is None)
            if m["father"]:
                assert sexes[m["father"]] == "male" and sexes[m["mother"]] == "female"
            sexes[m["id"]] = m["sex"]
        for mp in family["missing_persons"]:
            assert mp["id"] in sexes and persons[mp["id"]]["family_id"] == family["family_id"]
            assert reports[mp["report_record_id"]] == mp["id"], "the family's case number is a report of that person"
        for donor in family["donors"]:
            assert donor["id"] in sexes and donor["sample_barcode"] in references
            barcodes.add(donor["sample_barcode"])
    assert barcodes == references
    listed = [p for p in persons.values() if p["on_missing_list"] == "1"]
    assert len(listed) == sum(len(f["missing_persons"]) for f in families)


def test_truth_matches_lab_files_and_manifest(scenario: tuple[Path, object, float]) -> None:
    out = scenario[0]
    manifest = _csv(out / "remains_samples.csv")
    truth = {r["sample_barcode"]: r for r in _csv(out / "truth" / "samples.csv")}
    assert {r["sample_barcode"] for r in manifest} == set(truth)
    sites = {r["site_id"] for r in _csv(out / "sites.csv")}
    assert {r["site_id"] for r in manifest} <= sites
    true_profiles = {r.sample_id: r.loci for r in parse_genemapper(out / "truth" / "missing_persons_profiles.txt")}
    bone = [r for p in sorted((out / "lab").glob("bone_samples_*.txt"))
            for r in parse_genemapper(p, single_allele="partial")]
    assert {r.sample_id for r in bone} == {k for k, v in truth.items() if v["profile_status"] == "ok"}
    for record in bone:
        person = truth[record.sample_id]["person_id"]
        amelogenin = {a for a in record.loci.get("AMEL", ()) if a is not None}
        assert amelogenin <= ({"X", "Y"} if truth[record.sample_id]["true_sex"] == "male" else {"X"})
        if person in true_profiles:
            for locus, alleles in record.loci.items():
                if locus != "AMEL":
                    assert {a for a in alleles if a is not None} <= set(true_profiles[person][locus])
    assert any("Y" in r.loci.get("AMEL", ()) for r in bone), "the lab types amelogenin"
    cmf = [r for p in sorted((out / "lab").glob("bone_samples_*.cmf.xml")) for r in parse_cmf(p)]
    assert [r.sample_id for r in cmf] == [r.sample_id for r in bone]
    remains_people: dict[str, set[str]] = {}
    for row in truth.values():
        remains_people.setdefault(row["remains_id"], set()).add(row["person_id"])
    assert all(len(p) == 1 for p in remains_people.values()), "each remains item is one person"
    assert any(r["on_missing_list"] == "0" for r in truth.values()), "some remains are of unlisted people"


def test_registers_cover_every_missing_person(scenario: tuple[Path, object, float]) -> None:
    out = scenario[0]
    truth = {r["record_id"]: r for r in _csv(out / "truth" / "reports.csv")}
    rows = [row.fields for path in sorted((out / "registers").iterdir()) for row in parse_register_list(path)]
    assert {r["record_id"] for r in rows} == set(truth)
    assert {r["source"] for r in rows} == {"state_commission", "icrc", "ngo"}
    assert sum(1 for r in rows if r["missing_date"]) > 0.7 * len(rows), "agency headers are understood"
    missing = {r["person_id"] for r in _csv(out / "truth" / "persons.csv") if r["on_missing_list"] == "1"}
    assert {t["true_person_id"] for t in truth.values()} == missing
    assert len(rows) > len(missing), "persons are reported by several agencies"
    names = [r["family_name"] or "" for r in rows]
    assert any("ə" in n for n in names) and any("ов" in n for n in names) and any(n.endswith("ov") for n in names)
    assert any(r["birth_date"] and len(r["birth_date"]) == 4 for r in rows), "year-only dates"


@pytest.mark.slow
def test_azerbaijan_preset_counts(tmp_path: Path) -> None:
    summary = write_scenario("azerbaijan", 1, tmp_path)
    assert summary.missing >= 4000 and summary.sites == 150 and summary.mass_graves == 23
    assert summary.recovered_individuals == 688 and summary.remains > 900
    assert summary.families_without_references < 0.25 * summary.families


def test_familias_dvi_project(scenario: tuple[Path, object, float]) -> None:
    from mpid.formats.familias import parse_familias

    out = scenario[0]
    project = parse_familias(out / "lab" / "dvi.fam")
    assert project.dvi is not None and len(project.loci) == 23
    truth = _csv(out / "truth" / "samples.csv")
    assert {v.id for v in project.dvi.victims} == {r["sample_barcode"] for r in truth if r["profile_status"] == "ok"}
    families = json.loads((out / "families.json").read_text(encoding="utf-8"))
    assert [f.name for f in project.dvi.families] == [f["family_id"] for f in families]
    for fam, entry in zip(project.dvi.families, families, strict=True):
        assert set(fam.missing) == {f"Missing {m['id']}" for m in entry["missing_persons"]}
        typed = {p.id for p in fam.persons if p.genotypes}
        assert typed == {d["sample_barcode"] for d in entry["donors"]}


def test_same_bytes_from_another_process(scenario: tuple[Path, object, float], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    code = "import sys; from mpid.simulate import write_scenario; write_scenario('small', 42, sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env, timeout=120)
    assert _files(tmp_path) == _files(scenario[0])


def test_rewriting_a_directory_leaves_no_stale_files(tmp_path: Path) -> None:
    import dataclasses

    big = dataclasses.replace(PRESETS["small"], families_per_batch=10)
    write_scenario(big, 1, tmp_path)
    assert (tmp_path / "lab" / "reference_samples_002.txt").is_file()
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    write_scenario("small", 1, tmp_path)
    assert not (tmp_path / "lab" / "reference_samples_002.txt").exists()
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    listed = set(json.loads((tmp_path / "scenario.json").read_text(encoding="utf-8"))["files"])
    present = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert present == listed | {"scenario.json", "notes.txt"}


def test_the_lab_samples_weak_remains_again(scenario: tuple[Path, object, float]) -> None:
    """Re-sampling protocol: a remains ends with a good profile or with every attempt used."""
    from mpid.simulate.profiles import DegradationModel

    model = DegradationModel()
    by_remains: dict[str, list[tuple[int, float]]] = {}
    for row in _csv(scenario[0] / "truth" / "samples.csv"):
        by_remains.setdefault(row["remains_id"], []).append((int(row["loci_called"]),
                                                             float(row["dropout_probability"])))
    assert any(len(s) > 1 and s[0][0] < model.resample_below_loci for s in by_remains.values()), "some re-sampled"
    for samples in by_remains.values():
        good = (max(n for n, _d in samples) >= model.resample_below_loci
                and min(d for _n, d in samples) <= model.resample_dropout_above + 5e-5)  # 4 decimals in the file
        assert good or len(samples) >= model.max_samples_per_remains
        assert len(samples) <= max(2, model.max_samples_per_remains)
