"""phones at rest (and the last-seen time of sessions, for the idle timeout)

Phone numbers (person, contact, household, practitioner) move from clear text to AES-GCM ciphertext
(db.types.EncryptedText); persons get an HMAC blind index for lookup. Rows already there are encrypted
with the deployment's KANGDANG_SECRET_KEY (read from the environment, like every other command).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"person": ("phone", "contact_phone"), "household": ("phone",), "practitioner": ("phone",)}


def _cipher() -> Any:
    from kangdang.access.crypto import IdentityCipher
    from kangdang.settings import Settings

    return IdentityCipher(Settings().secret_key)


def upgrade() -> None:
    op.drop_index('ix_person_phone', table_name='person')
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(table, sa.Column(f'{column}_enc', sa.LargeBinary(), nullable=True))
    op.add_column('person', sa.Column('phone_index', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    cipher = None
    for table, columns in COLUMNS.items():
        t = sa.table(table, sa.column('id', sa.Uuid()), *(sa.column(c, sa.String()) for c in columns),
                     *(sa.column(f'{c}_enc', sa.LargeBinary()) for c in columns), sa.column('phone_index', sa.String()))
        rows = bind.execute(sa.select(t.c.id, *(t.c[c] for c in columns))).all()
        for row in rows:
            values = {}
            for column, value in zip(columns, row[1:], strict=True):
                if value:
                    cipher = cipher or _cipher()
                    values[f'{column}_enc'] = cipher.encrypt(value)
                    if table == 'person' and column == 'phone':
                        digits = ''.join(ch for ch in value if ch.isdigit() or ch == '+')
                        values['phone_index'] = cipher.blind_index(f'tel:{digits}') if digits else None
            if values:
                bind.execute(sa.update(t).where(t.c.id == row[0]).values(**values))
    # Plain ALTER TABLE (SQLite >= 3.35 and PostgreSQL alike): a batch "recreate" would drop and copy tables
    # that other rows reference, which SQLite's foreign-key checks refuse on a filled database.
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
            op.execute(f'ALTER TABLE {table} RENAME COLUMN {column}_enc TO {column}')
    op.create_index(op.f('ix_person_phone_index'), 'person', ['phone_index'], unique=False)
    # idle timeout of browser sessions
    op.add_column('user_session', sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("phone numbers are not decrypted back into clear text")
