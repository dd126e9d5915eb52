"""subscriptions with the finder's filters: min context, max input price, reasoning, tool calling, licence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_context', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_input_price', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('reasoning', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('tool_calling', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('license', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('license')
        batch_op.drop_column('tool_calling')
        batch_op.drop_column('reasoning')
        batch_op.drop_column('max_input_price')
        batch_op.drop_column('min_context')
