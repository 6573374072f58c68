"""The floor: a bare `redis.asyncio` subscriber (hiredis parser, `PubSub.listen()`), in its
own process, counting messages. Each line on stdin gets one JSON line back: the count so far
and the wall time of the last message. `stop` unsubscribes it (its connection closed),
`start` subscribes it again (the answer comes once it is subscribed).

    .venv/bin/python bench/pubsub/bare_subscriber.py --url redis://127.0.0.1:6379/0 --channel c
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import redis
import redis.asyncio


async def main(url: str, channel: str) -> None:
    state = {"count": 0, "last_at": 0.0, "reconnects": 0, "listening": False}
    listening: asyncio.Task | None = None

    async def listen(subscribed: asyncio.Event) -> None:
        # Cut off by Redis (it fell behind too), it subscribes again and keeps counting.
        while True:
            client = redis.asyncio.Redis.from_url(url, client_name="bench-bare-subscriber")
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                subscribed.set()
                async for _message in pubsub.listen():
                    state["count"] += 1
                    state["last_at"] = time.time()
            except redis.ConnectionError:
                state["reconnects"] += 1
            finally:
                await pubsub.aclose()
                await client.aclose()

    async def start() -> None:
        nonlocal listening
        if listening is None:
            subscribed = asyncio.Event()
            listening = asyncio.create_task(listen(subscribed))
            await subscribed.wait()
        state["listening"] = True

    async def stop() -> None:
        """Unsubscribed (its connection closed): it costs the machine nothing meanwhile."""
        nonlocal listening
        if listening is not None:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
            listening = None
        state["listening"] = False

    await start()
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    print(json.dumps(state), flush=True)  # subscribed
    while line := await stdin.readline():
        if line.strip() == b"stop":
            await stop()
        elif line.strip() == b"start":
            await start()
        print(json.dumps(state), flush=True)
    await stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.channel))
