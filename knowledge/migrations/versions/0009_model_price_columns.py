"""model prices as indexed columns for the finder

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

``pricing`` stays the source of truth for cards; ``input_price`` and ``output_price`` copy its two
per-million-token prices so price filters and sorts use an index instead of reading JSON row by row.
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_models = sa.table('models', sa.column('id', sa.Integer), sa.column('pricing', sa.Text),
                   sa.column('input_price', sa.Float), sa.column('output_price', sa.Float))


def upgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('input_price', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('output_price', sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f('ix_models_input_price'), ['input_price'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_output_price'), ['output_price'], unique=False)
    conn = op.get_bind()
    rows = conn.execute(sa.select(_models.c.id, sa.cast(_models.c.pricing, sa.Text))).all()
    for model_id, raw in rows:
        prices = _prices(raw)
        if prices != (None, None):
            conn.execute(_models.update().where(_models.c.id == model_id)
                         .values(input_price=prices[0], output_price=prices[1]))


def _prices(raw) -> tuple:
    try:
        pricing = json.loads(raw) if raw else None
    except ValueError:
        return None, None
    if not isinstance(pricing, dict):
        return None, None
    return tuple(float(v) if isinstance(v, (int, float)) else None
                 for v in (pricing.get('input_per_mtok'), pricing.get('output_per_mtok')))


def downgrade() -> None:
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_models_output_price'))
        batch_op.drop_index(batch_op.f('ix_models_input_price'))
        batch_op.drop_column('output_price')
        batch_op.drop_column('input_price')
