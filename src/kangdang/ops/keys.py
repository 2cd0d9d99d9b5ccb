"""Rotating the deployment's secret key: every value encrypted or indexed with the old key is re-encrypted
and re-indexed with the new one, in one transaction (identity numbers, phone numbers, sealed phone numbers
inside forms). Afterwards the operator sets KANGDANG_SECRET_KEY to the new key."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kangdang.access.actor import system_actor
from kangdang.access.audit import record_event
from kangdang.access.crypto import IdentityCipher
from kangdang.records.catalogue import catalogue
from kangdang.records.sealing import seal, unseal
from kangdang.residents.phones import phone_index

# (table, encrypted columns, (cipher column, index column) of an identity number or None)
_TABLES: tuple[tuple[str, tuple[str, ...], tuple[str, str] | None], ...] = (
    ("person", ("phone", "contact_phone"), ("document_cipher", "document_index")),
    ("household", ("phone",), None),
    ("practitioner", ("phone",), ("id_number_cipher", "id_number_index")),
)


@dataclass
class RotationReport:
    rows: dict[str, int] = field(default_factory=dict)


def rotate_secret_key(session: Session, old_key: str, new_key: str) -> RotationReport:
    """Re-encrypt everything under ``new_key``. Raises if a value cannot be read with ``old_key``."""
    if old_key == new_key:
        raise ValueError("新密钥与旧密钥相同")
    old, new = IdentityCipher(old_key), IdentityCipher(new_key)
    report = RotationReport()
    for table_name, encrypted, identity in _TABLES:
        columns = ["id", *encrypted, *(identity or ())]
        table = sa.table(table_name, *(sa.column(c, sa.LargeBinary() if c != "id" else sa.Uuid()) for c in columns))
        count = 0
        for row in session.execute(sa.select(*table.c)).mappings():
            values: dict[str, object] = {}
            for column in encrypted:
                if row[column] is not None:
                    plain = old.decrypt(row[column])
                    values[column] = new.encrypt(plain)
                    if table_name == "person" and column == "phone":
                        values["phone_index"] = phone_index(new, plain)
            if identity and row[identity[0]] is not None:
                number = old.decrypt(row[identity[0]])
                values[identity[0]] = new.encrypt(number)
                values[identity[1]] = new.blind_index(number)
            if values:
                target = sa.table(table_name, sa.column("id", sa.Uuid()), *(sa.column(k) for k in values))
                session.execute(sa.update(target).where(target.c.id == row["id"]).values(**values))
                count += 1
        report.rows[table_name] = count
    report.rows["service_record"] = _rotate_forms(session, old, new)
    record_event(session, system_actor(), "keys.rotate", details={"rows": report.rows})
    session.flush()
    return report


def _rotate_forms(session: Session, old: IdentityCipher, new: IdentityCipher) -> int:
    cat = catalogue()
    phone_forms = [code for code, form in cat.forms.items() if any(i.type == "phone" for i in form.items())]
    if not phone_forms:
        return 0
    table = sa.table(
        "service_record",
        sa.column("id", sa.Uuid()),
        sa.column("form_code", sa.String()),
        sa.column("form_version", sa.String()),
        sa.column("answers", sa.JSON()),
    )
    count = 0
    rows = session.execute(sa.select(*table.c).where(table.c.form_code.in_(phone_forms))).mappings().all()
    for row in rows:
        form = cat.form_at(row["form_code"], row["form_version"])
        answers = seal(form, unseal(form, row["answers"], old), new)
        if answers != row["answers"]:
            session.execute(sa.update(table).where(table.c.id == row["id"]).values(answers=answers))
            count += 1
    return count
