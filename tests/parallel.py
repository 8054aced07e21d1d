"""Real parallel database connections for the concurrency tests (row locks, SKIP LOCKED).

SQLite ignores row locks, so these tests run on PostgreSQL (`@pytest.mark.postgres`).
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def in_parallel(*work: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run each callable on its own thread and connection; return their results in order.

    Every thread connects before the barrier releases them together, so the race is on the
    statements, not on connecting. The first error raised in a thread is raised here; a thread
    still running after `timeout` fails the test (a deadlock or a lock nobody releases).
    """
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck: deadlock?"
    if errors:
        raise errors[0]
    return results
