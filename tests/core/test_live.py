"""core/live.py outside the ASGI process: a worker's sends reach the Redis layer from one
long-lived loop of its own (a new loop per send would open a Redis connection per send)."""

import asyncio
import threading
from contextlib import contextmanager

import pytest
from channels.layers import get_channel_layer

from core import live


async def receive(layer, channel: str, count: int) -> list[dict]:
    return [await layer.receive(channel) for _ in range(count)]


@contextmanager
def loop_thread():
    """A listener's own event loop, running throughout (as a server's): a pub/sub layer reads
    its subscriptions on the loop that made them, and only while that loop runs."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield lambda coroutine: asyncio.run_coroutine_threadsafe(coroutine, loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@pytest.mark.redis
def test_a_send_from_a_plain_thread_reaches_a_listener_of_the_group():
    layer = get_channel_layer()
    with loop_thread() as on_loop:
        channel = on_loop(layer.new_channel())
        on_loop(layer.group_add("live-test", channel))
        try:
            assert not live.in_asgi_process()
            for n in range(3):
                live.send("live-test", [{"type": "ticket", "n": n}], wait=True)
            received = on_loop(receive(layer, channel, 3))
        finally:
            on_loop(layer.group_discard("live-test", channel))
    assert received == [
        {"type": live.MESSAGE_TYPE, "events": [{"type": "ticket", "n": n}]} for n in range(3)
    ]
    first_loop, first_layer = live._background_loop()
    live.send("live-test", [{"type": "ticket"}], wait=True)
    loop, own_layer = live._background_loop()
    assert loop is first_loop and own_layer is first_layer  # one loop serves every send
    assert own_layer is not layer  # never the layer another loop of the process uses


def test_waiting_on_the_loop_that_would_send_is_refused():
    async def inside_the_loop() -> None:
        live.attach(asyncio.get_running_loop())
        with pytest.raises(RuntimeError, match="would block"):
            live.send("live-test", [{"type": "ticket"}], wait=True)

    asyncio.run(inside_the_loop())
