"""Which agents are available for chat: heartbeats that expire (issue 11 item 4).

The console posts `{"available": true}` every HEARTBEAT seconds; an agent is available until
EXPIRES seconds after their last heartbeat, or until they post `false`. With REDIS_URL set the
marks are Redis keys with a TTL (on the cache's database), shared by every process; without
it, the process's cache (the embedded default runs one web process).

Per tenant: a set of the user ids that have sent a heartbeat (the roster), and one key per
agent with the TTL. Counting reads the roster and which of its keys still live; ids whose key
expired are dropped from the roster as they are met.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

HEARTBEAT = 30
EXPIRES = 90


def _agent_key(tenant_id: int, user_id: int) -> str:
    return f"chat:presence:{tenant_id}:{user_id}"


def _roster_key(tenant_id: int) -> str:
    return f"chat:presence:{tenant_id}"


@lru_cache(maxsize=1)
def _redis():
    import redis

    location = settings.CACHES["default"]["LOCATION"]
    return redis.Redis.from_url(location, socket_connect_timeout=1, socket_timeout=1)


def _uses_redis() -> bool:
    return bool(settings.REDIS_URL)


_lock = threading.Lock()  # the embedded cache's roster is read-modify-write


def set_available(*, tenant_id: int, user_id: int, available: bool) -> None:
    try:
        _set(tenant_id, user_id, available)
    except Exception:  # Redis down: the agent shows as away until it is back
        log.warning("Could not record chat presence of %s in tenant %s", user_id, tenant_id)


def _set(tenant_id: int, user_id: int, available: bool) -> None:
    if _uses_redis():
        client = _redis()
        pipe = client.pipeline()
        if available:
            pipe.set(_agent_key(tenant_id, user_id), 1, ex=EXPIRES)
            pipe.sadd(_roster_key(tenant_id), user_id)
            pipe.expire(_roster_key(tenant_id), EXPIRES * 10)
        else:
            pipe.delete(_agent_key(tenant_id, user_id))
            pipe.srem(_roster_key(tenant_id), user_id)
        pipe.execute()
        return
    with _lock:
        roster = dict(cache.get(_roster_key(tenant_id)) or {})
        if available:
            roster[user_id] = time.time() + EXPIRES
        else:
            roster.pop(user_id, None)
        cache.set(_roster_key(tenant_id), roster, timeout=EXPIRES * 10)


def available_agents(tenant_id: int) -> list[int]:
    """The user ids of the tenant's agents available for chat now (unordered)."""
    try:
        if _uses_redis():
            client = _redis()
            ids = sorted(int(raw) for raw in client.smembers(_roster_key(tenant_id)))
            if not ids:
                return []
            alive = client.mget([_agent_key(tenant_id, user_id) for user_id in ids])
            gone = [user_id for user_id, mark in zip(ids, alive, strict=True) if mark is None]
            if gone:
                client.srem(_roster_key(tenant_id), *gone)
            return [user_id for user_id, mark in zip(ids, alive, strict=True) if mark is not None]
        now = time.time()
        roster = cache.get(_roster_key(tenant_id)) or {}
        return [user_id for user_id, until in roster.items() if until > now]
    except Exception:  # noqa: BLE001 - Redis down: nobody is known to be available
        return []


def is_available(tenant_id: int, user_id: int) -> bool:
    return user_id in available_agents(tenant_id)
