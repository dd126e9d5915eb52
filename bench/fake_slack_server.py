"""The test suite's fake Slack as a separate process, for the digest benchmark.

Prints ``PORT <n>`` when listening; on SIGTERM prints one JSON line of what it received
(messages, distinct delivery keys, channels, 429s it answered) and exits.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.slack import FakeSlack


def stats(fake: FakeSlack) -> dict:
    keys = Counter(m["metadata"]["event_payload"]["key"] for msgs in fake.messages.values() for m in msgs
                   if m.get("metadata"))
    return {"messages": sum(len(m) for m in fake.messages.values()), "distinct_keys": len(keys),
            "duplicated_keys": sum(1 for n in keys.values() if n > 1), "channels": len(fake.messages),
            "rate_limited": fake.rate_limited}


async def main() -> None:
    fake = await FakeSlack().start()
    fake.calls = _Discard()  # keep memory flat: the benchmark reads messages, not calls
    fake.channel_interval = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    print(f"PORT {fake.port}", flush=True)
    await done.wait()
    print(json.dumps(stats(fake)), flush=True)
    await fake.stop()


class _Discard(list):
    def append(self, _item) -> None:
        pass


if __name__ == "__main__":
    asyncio.run(main())
