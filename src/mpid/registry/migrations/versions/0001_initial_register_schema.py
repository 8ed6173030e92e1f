"""initial register schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 04:19:08.529349
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "donors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column(
            "sex",
            sa.Enum("male", "female", "unknown", name="sex", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("stated_relationship", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_donors_pseudonym")),
    )
    op.create_table(
        "families",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_families")),
        sa.UniqueConstraint("code", name=op.f("uq_families_code")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(length=120), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("kind", "content_sha256", name=op.f("uq_import_batches_kind")),
    )
    op.create_table(
        "missing_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_code", sa.String(length=40), nullable=False),
        sa.Column("case_secret_hash", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "reported",
                "references_collected",
                "candidate_match",
                "under_review",
                "identified",
                "family_notified",
                "closed",
                "merged_duplicate",
                name="case_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column(
            "sex",
            sa.Enum("male", "female", "unknown", name="sex", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column(
            "birth_date_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                name="date_precision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("disappeared_on", sa.Date(), nullable=True),
        sa.Column("disappearance_place", sa.String(length=300), nullable=True),
        sa.Column("circumstances", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["missing_persons.id"],
            name=op.f("fk_missing_persons_merged_into_id_missing_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_persons")),
        sa.UniqueConstraint("case_code", name=op.f("uq_missing_persons_case_code")),
    )
    with op.batch_alter_table("missing_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_missing_persons_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_missing_persons_status"), ["status"], unique=False)

    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "site_type",
            sa.Enum(
                "mass_grave",
                "individual_grave",
                "surface",
                "other",
                name="site_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("discovered_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name=op.f("ck_sites_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
            name=op.f("ck_sites_longitude_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_sites_code")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_region"), ["region"], unique=False)

    op.create_table(
        "case_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("missing_person_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "reported",
                "references_collected",
                "candidate_match",
                "under_review",
                "identified",
                "family_notified",
                "closed",
                "merged_duplicate",
                name="from_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "reported",
                "references_collected",
                "candidate_match",
                "under_review",
                "identified",
                "family_notified",
                "closed",
                "merged_duplicate",
                name="to_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["missing_person_id"],
            ["missing_persons.id"],
            name=op.f("fk_case_status_events_missing_person_id_missing_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_status_events")),
    )
    with op.batch_alter_table("case_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_status_events_missing_person_id"), ["missing_person_id"], unique=False
        )

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("identification", sa.Boolean(), nullable=False),
        sa.Column("shared_with_agencies", sa.JSON(), nullable=False),
        sa.Column("court_use", sa.Boolean(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"], name=op.f("fk_consents_donor_id_donors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "exhumations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("team_lead", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR started_on IS NULL OR ended_on >= started_on",
            name=op.f("ck_exhumations_date_order"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_exhumations_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhumations")),
    )
    with op.batch_alter_table("exhumations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exhumations_site_id"), ["site_id"], unique=False)

    op.create_table(
        "frequency_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("sample_sizes", sa.JSON(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_frequency_tables_import_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frequency_tables")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_frequency_tables_name")),
    )
    op.create_table(
        "pedigree_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column(
            "sex",
            sa.Enum("male", "female", "unknown", name="sex", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("father_id", sa.Integer(), nullable=True),
        sa.Column("mother_id", sa.Integer(), nullable=True),
        sa.Column("missing_person_id", sa.Integer(), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(father_id IS NULL) = (mother_id IS NULL)", name=op.f("ck_pedigree_persons_both_parents_or_none")
        ),
        sa.CheckConstraint(
            "NOT (missing_person_id IS NOT NULL AND donor_id IS NOT NULL)",
            name=op.f("ck_pedigree_persons_mp_or_donor"),
        ),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"], name=op.f("fk_pedigree_persons_donor_id_donors")),
        sa.ForeignKeyConstraint(["family_id"], ["families.id"], name=op.f("fk_pedigree_persons_family_id_families")),
        sa.ForeignKeyConstraint(
            ["father_id"],
            ["pedigree_persons.id"],
            name=op.f("fk_pedigree_persons_father_id_pedigree_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["missing_person_id"],
            ["missing_persons.id"],
            name=op.f("fk_pedigree_persons_missing_person_id_missing_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["mother_id"],
            ["pedigree_persons.id"],
            name=op.f("fk_pedigree_persons_mother_id_pedigree_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pedigree_persons")),
        sa.UniqueConstraint("donor_id", name=op.f("uq_pedigree_persons_donor_id")),
        sa.UniqueConstraint("family_id", "label", name=op.f("uq_pedigree_persons_family_id")),
        sa.UniqueConstraint("missing_person_id", name=op.f("uq_pedigree_persons_missing_person_id")),
    )
    with op.batch_alter_table("pedigree_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pedigree_persons_family_id"), ["family_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("missing_person_id", sa.Integer(), nullable=False),
        sa.Column("source_agency", sa.String(length=120), nullable=False),
        sa.Column("source_reference", sa.String(length=120), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("reporter_name", sa.String(length=300), nullable=True),
        sa.Column("reporter_relationship", sa.String(length=80), nullable=True),
        sa.Column("name_original", sa.String(length=300), nullable=False),
        sa.Column("name_script", sa.String(length=8), nullable=True),
        sa.Column("patronymic_original", sa.String(length=200), nullable=True),
        sa.Column("birth_date_original", sa.String(length=60), nullable=True),
        sa.Column(
            "sex_reported",
            sa.Enum("male", "female", "unknown", name="sex", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"], ["import_batches.id"], name=op.f("fk_reports_import_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["missing_person_id"],
            ["missing_persons.id"],
            name=op.f("fk_reports_missing_person_id_missing_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("source_agency", "source_reference", name=op.f("uq_reports_source_agency")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_import_batch_id"), ["import_batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_missing_person_id"), ["missing_person_id"], unique=False)

    op.create_table(
        "frequency_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("locus", sa.String(length=40), nullable=False),
        sa.Column("allele", sa.String(length=20), nullable=False),
        sa.Column("frequency", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"], ["frequency_tables.id"], name=op.f("fk_frequency_rows_table_id_frequency_tables")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frequency_rows")),
        sa.UniqueConstraint("table_id", "locus", "allele", name=op.f("uq_frequency_rows_table_id")),
    )
    with op.batch_alter_table("frequency_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_frequency_rows_table_id"), ["table_id"], unique=False)

    op.create_table(
        "match_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "blind",
                "direct",
                "joint",
                name="match_run_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "finished",
                "failed",
                name="match_run_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("code_version", sa.String(length=80), nullable=False),
        sa.Column("frequency_table_id", sa.Integer(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["frequency_table_id"],
            ["frequency_tables.id"],
            name=op.f("fk_match_runs_frequency_table_id_frequency_tables"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    op.create_table(
        "remains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("exhumation_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("body", "body_part", name="remains_kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("body_part", sa.String(length=120), nullable=True),
        sa.Column(
            "anthropological_sex",
            sa.Enum(
                "male",
                "female",
                "unknown",
                name="anthropological_sex",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("stature_min_cm", sa.Float(), nullable=True),
        sa.Column("stature_max_cm", sa.Float(), nullable=True),
        sa.Column("recovered_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name=op.f("ck_remains_age_range")
        ),
        sa.CheckConstraint(
            "stature_min_cm IS NULL OR stature_max_cm IS NULL OR stature_min_cm <= stature_max_cm",
            name=op.f("ck_remains_stature_range"),
        ),
        sa.ForeignKeyConstraint(
            ["exhumation_id"], ["exhumations.id"], name=op.f("fk_remains_exhumation_id_exhumations")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_remains_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remains")),
        sa.UniqueConstraint("code", name=op.f("uq_remains_code")),
    )
    with op.batch_alter_table("remains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remains_exhumation_id"), ["exhumation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_remains_site_id"), ["site_id"], unique=False)

    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(length=120), nullable=False),
        sa.Column(
            "sample_type",
            sa.Enum(
                "blood",
                "buccal",
                "bone",
                "tooth",
                "tissue",
                "other",
                name="sample_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("remains_id", sa.Integer(), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("collected_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(remains_id IS NULL) <> (donor_id IS NULL)", name=op.f("ck_samples_one_owner")),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"], name=op.f("fk_samples_donor_id_donors")),
        sa.ForeignKeyConstraint(["remains_id"], ["remains.id"], name=op.f("fk_samples_remains_id_remains")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samples")),
        sa.UniqueConstraint("barcode", name=op.f("uq_samples_barcode")),
    )
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_samples_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_samples_remains_id"), ["remains_id"], unique=False)

    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "collected",
                "sealed",
                "shipped",
                "received",
                "analysed",
                "stored",
                "returned",
                "destroyed",
                name="custody_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"], name=op.f("fk_custody_events_sample_id_samples")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_events_sample_id"), ["sample_id"], unique=False)

    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("kit", sa.String(length=80), nullable=False),
        sa.Column("lab", sa.String(length=80), nullable=False),
        sa.Column("run", sa.String(length=120), nullable=False),
        sa.Column("quality", sa.String(length=40), nullable=True),
        sa.Column("n_loci", sa.Integer(), nullable=False),
        sa.Column("alleles", sa.JSON(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_profiles_import_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"], name=op.f("fk_profiles_sample_id_samples")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("sample_id", "lab", "run", "kit", name=op.f("uq_profiles_sample_id")),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profiles_import_batch_id"), ["import_batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_profiles_sample_id"), ["sample_id"], unique=False)

    op.create_table(
        "candidate_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=False),
        sa.Column("missing_person_id", sa.Integer(), nullable=True),
        sa.Column("other_remains_id", sa.Integer(), nullable=True),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("lr", sa.Float(), nullable=False),
        sa.Column("log10_lr", sa.Float(), nullable=True),
        sa.Column("prior", sa.Float(), nullable=True),
        sa.Column("posterior", sa.Float(), nullable=True),
        sa.Column("n_exclusions", sa.Integer(), nullable=False),
        sa.Column("n_loci_compared", sa.Integer(), nullable=True),
        sa.Column("per_locus", sa.JSON(), nullable=False),
        sa.Column("conclusion", sa.String(length=40), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "missing_person_id IS NOT NULL OR other_remains_id IS NOT NULL",
            name=op.f("ck_candidate_matches_has_counterpart"),
        ),
        sa.ForeignKeyConstraint(
            ["missing_person_id"],
            ["missing_persons.id"],
            name=op.f("fk_candidate_matches_missing_person_id_missing_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["other_remains_id"], ["remains.id"], name=op.f("fk_candidate_matches_other_remains_id_remains")
        ),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], name=op.f("fk_candidate_matches_profile_id_profiles")),
        sa.ForeignKeyConstraint(["remains_id"], ["remains.id"], name=op.f("fk_candidate_matches_remains_id_remains")),
        sa.ForeignKeyConstraint(["run_id"], ["match_runs.id"], name=op.f("fk_candidate_matches_run_id_match_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_matches")),
    )
    with op.batch_alter_table("candidate_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_matches_missing_person_id"), ["missing_person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidate_matches_remains_id"), ["remains_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidate_matches_run_id"), ["run_id"], unique=False)

    op.create_table(
        "identifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("missing_person_id", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("identified_on", sa.Date(), nullable=False),
        sa.Column("confirmed_by", sa.JSON(), nullable=False),
        sa.Column("report_reference", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate_matches.id"],
            name=op.f("fk_identifications_candidate_id_candidate_matches"),
        ),
        sa.ForeignKeyConstraint(
            ["missing_person_id"],
            ["missing_persons.id"],
            name=op.f("fk_identifications_missing_person_id_missing_persons"),
        ),
        sa.ForeignKeyConstraint(["remains_id"], ["remains.id"], name=op.f("fk_identifications_remains_id_remains")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identifications")),
        sa.UniqueConstraint("remains_id", name=op.f("uq_identifications_remains_id")),
    )
    with op.batch_alter_table("identifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identifications_missing_person_id"), ["missing_person_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=120), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "confirm",
                "reject",
                "more_evidence",
                name="review_decision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("non_dna_evidence", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidate_matches.id"], name=op.f("fk_reviews_candidate_id_candidate_matches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("candidate_id", "reviewer", name=op.f("uq_reviews_candidate_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_candidate_id"), ["candidate_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("missing_person_id", sa.Integer(), nullable=False),
        sa.Column("identification_id", sa.Integer(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "portal",
                "liaison_officer",
                "letter",
                name="notification_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_by", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["identification_id"],
            ["identifications.id"],
            name=op.f("fk_notifications_identification_id_identifications"),
        ),
        sa.ForeignKeyConstraint(
            ["missing_person_id"],
            ["missing_persons.id"],
            name=op.f("fk_notifications_missing_person_id_missing_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_missing_person_id"), ["missing_person_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_missing_person_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_candidate_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("identifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identifications_missing_person_id"))

    op.drop_table("identifications")
    with op.batch_alter_table("candidate_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_matches_run_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_matches_remains_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_matches_missing_person_id"))

    op.drop_table("candidate_matches")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profiles_sample_id"))
        batch_op.drop_index(batch_op.f("ix_profiles_import_batch_id"))

    op.drop_table("profiles")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_sample_id"))

    op.drop_table("custody_events")
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_samples_remains_id"))
        batch_op.drop_index(batch_op.f("ix_samples_donor_id"))

    op.drop_table("samples")
    with op.batch_alter_table("remains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remains_site_id"))
        batch_op.drop_index(batch_op.f("ix_remains_exhumation_id"))

    op.drop_table("remains")
    op.drop_table("match_runs")
    with op.batch_alter_table("frequency_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frequency_rows_table_id"))

    op.drop_table("frequency_rows")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_missing_person_id"))
        batch_op.drop_index(batch_op.f("ix_reports_import_batch_id"))

    op.drop_table("reports")
    with op.batch_alter_table("pedigree_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pedigree_persons_family_id"))

    op.drop_table("pedigree_persons")
    op.drop_table("frequency_tables")
    with op.batch_alter_table("exhumations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exhumations_site_id"))

    op.drop_table("exhumations")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_donor_id"))

    op.drop_table("consents")
    with op.batch_alter_table("case_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_status_events_missing_person_id"))

    op.drop_table("case_status_events")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_region"))

    op.drop_table("sites")
    with op.batch_alter_table("missing_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_missing_persons_status"))
        batch_op.drop_index(batch_op.f("ix_missing_persons_region"))

    op.drop_table("missing_persons")
    op.drop_table("import_batches")
    op.drop_table("families")
    op.drop_table("donors")
    # ### end Alembic commands ###
