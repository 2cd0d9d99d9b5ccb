"""The unit of work: one transaction per request, CLI command or import batch.

Services only flush; the caller of ``transaction`` commits once at the end, or rolls back on error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from kangdang.db.engine import read_first

READ_METHODS = frozenset({"GET", "HEAD"})  # requests that read, writing only their audit rows and session touch


@contextmanager
def transaction(factory: sessionmaker[Session], *, reads_first: bool = False) -> Iterator[Session]:
    """``reads_first``: a read request (GET), whose few writes come late (see ``db.engine.read_first``)."""
    session = factory()
    try:
        if reads_first:
            read_first(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
