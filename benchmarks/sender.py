"""The sender's throughput against the local stand-in of Twilio's Messages endpoint.

Run: .venv/bin/python benchmarks/sender.py [--messages 500] [--senders 1 2] [--database-url URL]
Queues the messages, then times senders (each with its own Store and twilio.rest.Client, as
separate worker processes would have) until the outbox is empty, and checks none was sent twice.
The stand-in answers at once, so this measures the line's side: claims, HTTP and bookkeeping.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from twilio_api import ACCOUNT_SID, AUTH_TOKEN, running  # noqa: E402

from app.sender import Sender, make_client  # noqa: E402
from app.store import Store, upgrade  # noqa: E402
from app.store.outbox import Message, Outbox  # noqa: E402

SECRET = "bench-secret"


def measure(url: str, messages: int, senders: int, twilio_url: str) -> tuple[float, int]:
    """Seconds to send `messages` with `senders` senders, and how many the stand-in accepted."""
    upgrade(url)
    folder = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    queue = Outbox(Store(url, SECRET, journal=folder / "queue.txt"))
    for index in range(messages):
        queue.enqueue(f"+1555{index:07d}", [Message("topic:risks:1", f"Side effects, part 1 ({index}).")],
                      "+15550001111")
    workers = [Sender(Outbox(Store(url, SECRET, journal=folder / f"sender-{i}.txt")),
                      make_client(ACCOUNT_SID, AUTH_TOKEN, twilio_url)) for i in range(senders)]
    start = threading.Barrier(senders + 1)
    threads = [threading.Thread(target=lambda w=w: (start.wait(), w.send_due())) for w in workers]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file for each run")
    args = parser.parse_args()
    with running() as twilio, tempfile.TemporaryDirectory() as folder:
        for run, senders in enumerate(args.senders):
            url = args.database_url or f"sqlite:///{Path(folder) / f'bench-{run}.db'}"
            before = len(twilio.accepted)
            seconds, queued = measure(url, args.messages, senders, twilio.url)
            accepted = twilio.accepted[before:]
            duplicates = len(accepted) - len({m["To"] for m in accepted})
            print(f"{senders} sender(s): {queued} messages in {seconds:.2f} s = {queued / seconds:.0f} messages/s; "
                  f"accepted {len(accepted)}, sent twice {duplicates}")


if __name__ == "__main__":
    main()
