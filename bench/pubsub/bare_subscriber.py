"""The floor: a bare `redis.asyncio` subscriber (hiredis parser, `PubSub.listen()`), in its
own process, counting messages. Each line on stdin gets one JSON line back: the count so far
and the wall time of the last message.

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
    state = {"count": 0, "last_at": 0.0, "reconnects": 0}
    subscribed = asyncio.Event()

    async def listen() -> None:
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

    listening = asyncio.create_task(listen())
    await subscribed.wait()
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    print(json.dumps(state), flush=True)  # subscribed
    while await stdin.readline():
        print(json.dumps(state), flush=True)
    listening.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.channel))
