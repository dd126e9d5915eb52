"""fact_terms: the word index of free-text facts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

Each fact's word stems (and ``:topic``), so a question finds its facts by an index lookup instead of
reading every fact. Filled here for the facts already stored.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_facts = sa.table('facts', sa.column('id', sa.Integer), sa.column('text', sa.Text), sa.column('topic', sa.String))
_terms = sa.table('fact_terms', sa.column('stem', sa.Text), sa.column('fact_id', sa.Integer))


def upgrade() -> None:
    op.create_table(
        'fact_terms',
        sa.Column('stem', sa.Text(), nullable=False),
        sa.Column('fact_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['fact_id'], ['facts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('stem', 'fact_id'),
    )
    op.create_index('ix_fact_terms_fact', 'fact_terms', ['fact_id'], unique=False)
    from knowledge.factterms import terms

    conn = op.get_bind()
    rows = conn.execute(sa.select(_facts.c.id, _facts.c.text, _facts.c.topic)).all()
    values = [{'stem': term, 'fact_id': fact_id} for fact_id, text, topic in rows for term in terms(text, topic)]
    for start in range(0, len(values), 5000):
        conn.execute(_terms.insert(), values[start:start + 5000])


def downgrade() -> None:
    op.drop_index('ix_fact_terms_fact', table_name='fact_terms')
    op.drop_table('fact_terms')
