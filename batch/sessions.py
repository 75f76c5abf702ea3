"""What batch work needs of the database: sessions to read and to write, nothing of how they are made.

``app.database.Database`` satisfies it; so would a test double or another wiring. Keeping batch work on this
protocol keeps the layers pointing one way: ``app/`` wires ``batch/``, never the reverse.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.orm import Session


class Sessions(Protocol):
    def read(self) -> AbstractContextManager[Session]:
        """A session for reading, closed on exit."""
        ...

    def write(self) -> AbstractContextManager[Session]:
        """A session in one transaction: committed on a normal exit, rolled back on an exception."""
        ...
