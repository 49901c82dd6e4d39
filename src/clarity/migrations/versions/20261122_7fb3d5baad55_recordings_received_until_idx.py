"""recordings.received_until_idx: the end of the furthest indexed chunk (overlap check only before it)

Revision ID: 7fb3d5baad55
Revises: e453d41d0a6a
Create Date: 2026-11-22 03:17:29.445988
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7fb3d5baad55"
down_revision = "e453d41d0a6a"
branch_labels = None
depends_on = None

_BACKFILL = """
UPDATE recordings SET received_until_idx = (
    SELECT coalesce(max(c.start_idx + c.n_samples), 0) FROM waveform_chunks c
    WHERE c.recording_id = recordings.id AND c.start_idx IS NOT NULL
)
"""


def upgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "received_until_idx",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                server_default="0",
                nullable=False,
                comment="end of the furthest indexed chunk received: a chunk starting at or "
                "after it cannot overlap any other",
            )
        )
    op.execute(_BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_column("received_until_idx")
