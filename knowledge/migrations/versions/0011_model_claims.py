"""per-field provenance of model records: claims per pack, field sources per model

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

``model_claims`` keeps what each pack says about a model and which source states each field;
``models.field_sources`` names, per field, the source of the value the model holds. Existing rows get
no claims: the next import of each pack (the bundled one at start-up, a sync on its next run) writes them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'model_claims',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('pack_id', sa.String(length=100), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('sources', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['models.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['pack_id'], ['packs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('model_id', 'pack_id', name='uq_model_claims_model_pack'),
    )
    op.create_index(op.f('ix_model_claims_model_id'), 'model_claims', ['model_id'], unique=False)
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_sources', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_column('field_sources')
    op.drop_index(op.f('ix_model_claims_model_id'), table_name='model_claims')
    op.drop_table('model_claims')
