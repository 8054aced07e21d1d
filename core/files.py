"""Files written inside a transaction are removed when that transaction rolls back.

Storage is not transactional: a file saved before the database refuses the row (or before a
later step of the same service fails) stayed on disk with nothing pointing at it. Django has no
rollback hook, but it drops the on-commit callbacks of a transaction (or savepoint) that rolls
back; the callback registered here deletes its file when it is dropped without having run
(CPython frees it at once; a traceback that still holds it delays that until it is gone).
"""

import logging

from django.core.files.storage import Storage
from django.db import transaction

log = logging.getLogger(__name__)


class _DeleteUnlessCommitted:
    __slots__ = ("committed", "name", "storage")

    def __init__(self, storage: Storage, name: str) -> None:
        self.storage, self.name, self.committed = storage, name, False

    def __call__(self) -> None:  # run by Django when the transaction commits
        self.committed = True

    def __del__(self) -> None:
        if self.committed:
            return
        try:
            self.storage.delete(self.name)
        except Exception:  # a finalizer must not raise; the file stays, and we say so
            log.exception("could not remove %s after its transaction rolled back", self.name)


def delete_on_rollback(storage: Storage, name: str, *, using: str | None = None) -> None:
    """Remove `name` from `storage` if the current transaction (or savepoint) rolls back."""
    transaction.on_commit(_DeleteUnlessCommitted(storage, name), using=using)
