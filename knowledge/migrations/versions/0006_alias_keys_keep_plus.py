"""alias keys keep "+" and split scripts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

The matching key of a name now keeps a "+" written onto it ("Command R+" is "command r plus", no
longer "command r") and separates Latin from other scripts. Stored keys are recomputed; a key that
would collide with another of its kind keeps its old form (the import that brought both refused it).
"""
from alembic import op
import sqlalchemy as sa

from knowledge.matching import normalize


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_aliases = sa.table('aliases', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                    sa.column('alias', sa.String), sa.column('norm', sa.String))
_meta = sa.table('kb_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_aliases.c.id, _aliases.c.kind, _aliases.c.alias, _aliases.c.norm)).all()
    taken = {(kind, norm) for _, kind, _, norm in rows}
    changed = 0
    for row_id, kind, alias, norm in rows:
        key = normalize(alias)
        if key and key != norm and (kind, key) not in taken:
            conn.execute(_aliases.update().where(_aliases.c.id == row_id).values(norm=key))
            taken.discard((kind, norm))
            taken.add((kind, key))
            changed += 1
    if changed:
        version = conn.execute(sa.select(_meta.c.value).where(_meta.c.key == 'version')).scalar()
        if version is not None:
            conn.execute(_meta.update().where(_meta.c.key == 'version').values(value=str(int(version) + 1)))


def downgrade() -> None:
    """Keys stay as they are: the old form is the new one with "plus" and script splits, still valid."""
