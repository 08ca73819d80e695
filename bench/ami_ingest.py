"""AMI ingest throughput: how fast the bridge turns AMI traffic into a persisted call log.

    .venv/bin/python bench/ami_ingest.py [--messages 1000000] [--postgres URL] [--skip-postgres]

Measures, on one stream of real ``busy_queue`` traffic with renumbered ids (see
``_stream.py``), sent over TCP loopback by a peer in another process:

(a) the baseline: the chosen package ``asterisk-ami`` (``AMIClient``) receiving and
    parsing every message, with an event listener that only counts;
(b) ``ami_bridge.framing.Framer`` alone, from memory (no socket);
(c) the whole live bridge (``AmiBridge``): frame + journal + track + persist, on SQLite
    and on PostgreSQL;
and then the time to rebuild the call log from the journal (c) wrote, and the bridge's
memory as completed calls accumulate. Prints a table with ratios against (a).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asterisk.ami import AMIClient  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from ami_bridge.bridge import AmiBridge  # noqa: E402
from ami_bridge.framing import Framer  # noqa: E402
from ami_bridge.models import Call, JournalEntry  # noqa: E402
from ami_bridge.replay import rebuild  # noqa: E402
from bench._stream import Peer, build_stream  # noqa: E402
from core.db import make_engine, make_sessionmaker  # noqa: E402
from core.schema import upgrade  # noqa: E402
from core.settings import Settings  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_asterisk_ami(peer: Peer, expected: int) -> float:
    done = threading.Event()
    count = 0

    def on_event(event, **_kwargs):
        nonlocal count
        count += 1
        if event.name == "BenchEnd":
            done.set()

    client = AMIClient(address="127.0.0.1", port=peer.port, timeout=30)
    client.add_event_listener(on_event)
    started = time.perf_counter()
    client.login(username="bench", secret="bench")
    if not done.wait(3600):
        raise RuntimeError("asterisk-ami never saw the end of the stream")
    elapsed = time.perf_counter() - started
    peer.stop()  # the peer hangs up first: AMIClient.disconnect would wait out its socket timeout
    client.disconnect()
    if count < expected:
        raise RuntimeError(f"asterisk-ami delivered {count} of {expected} events")
    return count / elapsed


def bench_framer(body: bytes) -> float:
    framer = Framer(expect_banner=False)
    started = time.perf_counter()
    n = 0
    for i in range(0, len(body), 1 << 16):
        n += len(framer.feed(body[i : i + (1 << 16)]))
    return n / (time.perf_counter() - started)


def bench_bridge(peer: Peer, url: str, expected: int) -> tuple[float, list[tuple[int, float, int]], dict[str, int]]:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = Settings(
        database_url=url, ami_host="127.0.0.1", ami_port=peer.port, ami_username="bench", ami_secret="bench",
        server_id="bench", ami_ping_interval_s=3600, timezone="UTC",
    )
    samples: list[tuple[int, float, int]] = []

    async def run() -> tuple[float, dict[str, int]]:
        bridge = AmiBridge(settings, sessions)
        task = asyncio.create_task(bridge.run())
        await bridge.connected_event.wait()
        started = time.perf_counter()
        next_sample = expected // 10
        while bridge.stats.messages < expected:
            await asyncio.sleep(0.05)
            if bridge.stats.messages >= next_sample:
                samples.append((bridge.stats.messages, rss_mb(), sum(bridge.tracker.sizes().values())))
                next_sample += expected // 10
        await bridge.drained(timeout=3600)
        elapsed = time.perf_counter() - started
        sizes = bridge.tracker.sizes()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return bridge.stats.messages / elapsed, sizes

    rate, sizes = asyncio.run(run())
    engine.dispose()
    return rate, samples, sizes


def bench_rebuild(url: str) -> tuple[float, int, int]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    report = rebuild(sessions, server_id="bench", ivr_endpoints=frozenset())
    elapsed = time.perf_counter() - started
    with sessions() as session:
        calls = session.scalar(select(func.count()).select_from(Call)) or 0
        journal = session.scalar(select(func.sum(JournalEntry.messages))) or 0
    engine.dispose()
    if report.messages != journal:
        raise RuntimeError(f"rebuild read {report.messages} of {journal} journaled messages")
    return elapsed, journal, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres", help="admin URL; a throw-away database is created")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    print(f"building a stream of at least {args.messages:,} messages from busy_queue ...", flush=True)
    banner, body, count = build_stream(args.messages)
    print(f"{count:,} messages, {len(body) / 2**20:.0f} MiB; machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="hotline-bench-"))

    rows: list[tuple[str, float]] = []
    peer = Peer(banner, body, stream_after="Login", workdir=workdir)
    a = bench_asterisk_ami(peer, count)
    rows.append(("(a) asterisk-ami AMIClient, TCP loopback (baseline)", a))
    print(f"(a) {a:,.0f} msg/s", flush=True)

    rows.append(("(b) Framer alone, from memory", bench_framer(body)))
    print(f"(b) {rows[-1][1]:,.0f} msg/s", flush=True)

    targets = [("SQLite (WAL)", f"sqlite:///{workdir / 'bench.db'}")]
    pg_name = None
    if not args.skip_postgres:
        pg_name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{pg_name}"'))
        targets.append(("PostgreSQL", args.postgres.rsplit("/", 1)[0] + f"/{pg_name}"))

    memory: dict[str, list[tuple[int, float, int]]] = {}
    rebuilds: list[tuple[str, float, int, int]] = []
    try:
        for label, url in targets:
            peer = Peer(banner, body, stream_after="QueueStatus", workdir=workdir)
            rate, samples, sizes = bench_bridge(peer, url, count)
            peer.stop()
            rows.append((f"(c) whole bridge, TCP loopback, {label}", rate))
            memory[label] = samples
            print(f"(c) {label}: {rate:,.0f} msg/s; tracker state at end: {sizes}", flush=True)
            seconds, journal, calls = bench_rebuild(url)
            rebuilds.append((label, seconds, journal, calls))
            print(f"rebuild {label}: {journal:,} journaled messages -> {calls:,} calls in {seconds:.1f} s", flush=True)
    finally:
        if pg_name is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))

    print()
    print(f"| measurement ({count:,} messages) | messages/s | ratio to (a) |")
    print("|---|---:|---:|")
    for label, rate in rows:
        print(f"| {label} | {rate:,.0f} | {rate / a:.2f} |")
    print()
    print("| rebuild from the journal | journaled messages | calls | seconds | messages/s |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, journal, calls in rebuilds:
        print(f"| {label} | {journal:,} | {calls:,} | {seconds:.1f} | {journal / seconds:,.0f} |")
    print()
    print("| store | messages committed | bridge RSS (MiB) | tracker objects held |")
    print("|---|---:|---:|---:|")
    for label, samples in memory.items():
        for messages, rss, held in samples:
            print(f"| {label} | {messages:,} | {rss:.0f} | {held} |")


if __name__ == "__main__":
    main()
