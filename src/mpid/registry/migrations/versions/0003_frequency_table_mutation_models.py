"""frequency table mutation models

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:49:00.796651
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    with op.batch_alter_table("frequency_tables", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mutation_models", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("frequency_tables", schema=None) as batch_op:
        batch_op.drop_column("mutation_models")
