"""model finder: tool calling, and indexes for filtering and sorting models

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tool_calling', sa.Boolean(), nullable=True))
        batch_op.create_index(batch_op.f('ix_models_released'), ['released'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_context_window'), ['context_window'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_max_output_tokens'), ['max_output_tokens'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_models_max_output_tokens'))
        batch_op.drop_index(batch_op.f('ix_models_context_window'))
        batch_op.drop_index(batch_op.f('ix_models_released'))
        batch_op.drop_column('tool_calling')
