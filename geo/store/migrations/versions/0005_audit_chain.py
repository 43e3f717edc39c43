"""The audit log becomes a hash chain: each entry stores its predecessor's hash and its own.

``entry_hash = sha256(prev_hash + canonical(content))``, the first entry's
``prev_hash`` being 64 zeros (:mod:`geo.store.audit` documents the canonical
form; :func:`geo.store.audit.verify_chain` checks it). ``prev_hash`` is UNIQUE:
no two entries can follow the same one.

Entries written before this revision are chained here, in id order, from
what they hold at the upgrade. So for them the chain vouches for their content
*since the upgrade*: an edit made to the table before it is not detectable,
and becomes part of the chain like everything else the log held then.

The hashing is a copy, not an import of :mod:`geo.store.audit`: a revision is
frozen, and must chain the same way whatever later code does.
``tests/store/test_migrations.py`` checks that a backfilled chain verifies.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
HASHED = ("action", "at", "detail", "reason", "role", "rows", "target", "user")
BATCH = 10_000


def _hash(prev: str, row: sa.Row) -> str:
    content = {f: getattr(row, f) for f in HASHED}
    content["rows"] = None if content["rows"] is None else int(content["rows"])
    for f in HASHED:
        if f != "rows":
            content[f] = str(content[f])
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((prev + text).encode("ascii")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(64), nullable=True))
    audit = sa.table("audit", *(sa.column(c) for c in ("id", *HASHED, "prev_hash", "entry_hash")))
    conn = op.get_bind()
    head, last = GENESIS, None
    while True:  # in id order, a batch at a time (fetched whole before the batch's updates)
        query = sa.select(audit.c.id, *(audit.c[f] for f in HASHED)).order_by(audit.c.id).limit(BATCH)
        rows = conn.execute(query if last is None else query.where(audit.c.id > last)).all()
        if not rows:
            break
        links = []
        for row in rows:
            entry = _hash(head, row)
            links.append({"b_id": row.id, "b_prev": head, "b_entry": entry})
            head = entry
        update = audit.update().where(audit.c.id == sa.bindparam("b_id"))
        conn.execute(update.values(prev_hash=sa.bindparam("b_prev"), entry_hash=sa.bindparam("b_entry")), links)
        last = rows[-1].id
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_audit_prev_hash", ["prev_hash"])


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.drop_constraint("uq_audit_prev_hash", type_="unique")
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
