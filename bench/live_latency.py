"""Live feed latency: AMI message received by the bridge → WebSocket frame delivered.

    .venv/bin/python bench/live_latency.py [--clients 200] [--speed 4] [--trace busy_queue]

A PBX in this process (``api.demo_pbx.TracePlayer``) plays a real trace over TCP at
``--speed`` × its recorded pace to ``hotline serve`` processes running the real AMI
bridge; WebSocket clients in this process, logged in with a bearer token, receive the
live feed. Every ``queues`` and ``call`` frame carries ``received_at``, the moment the
bridge read the AMI message from its socket; latency = the moment the client had the
whole frame − ``received_at`` (one machine, one clock). Configurations:

(a) baseline: one client, one process, in-process fan-out (``core.bus``);
(b) ``--clients`` clients, one process, in-process fan-out (the embedded default);
(c) ``--clients`` clients split over two processes, fan-out through Redis pub/sub
    (the bridge runs in the first; each process serves half the clients).

Prints a table (p50, p99, max, frames) with each p99's ratio to (a). Target: p99 < 1 s
with 200 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from api.demo_pbx import TracePlayer  # noqa: E402
from core import credentials  # noqa: E402
from core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from core.schema import upgrade  # noqa: E402
from core.users import Role, add_user  # noqa: E402

TRACES = ROOT / "tests" / "data" / "ami"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(folder: Path) -> tuple[str, str]:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        now = datetime.now(timezone.utc)
        user = add_user(session, "bench", Role.SUPERVISOR, "bench password", now=now)
        token = credentials.issue(session, user, "token", ttl=timedelta(hours=1), now=now, name="bench").secret
    engine.dispose()
    return url, token


class Serve:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "HOTLINE_HTTP_HOST": "127.0.0.1", "HOTLINE_HTTP_PORT": str(self.port), "HOTLINE_TIMEZONE": "UTC"}
        self.log = log

    async def __aenter__(self) -> Serve:
        self.process = subprocess.Popen([sys.executable, "-c", "from api.cli import main; main()", "serve"], env=self.env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1)).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"hotline serve did not start: {self.log.read_text()}")

    async def __aexit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(15)


async def client(url: str, token: str, ready: asyncio.Event, done: asyncio.Event, samples: list[float], connected: list[int]) -> None:
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
        await ws.recv()  # the snapshot
        connected.append(1)
        ready.set()
        while not done.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 0.5)
            except asyncio.TimeoutError:
                continue
            arrived = time.time()
            frame = json.loads(text)
            if frame.get("type") in ("queues", "call") and "received_at" in frame:
                samples.append(arrived - frame["received_at"])


async def run(label: str, clients: int, processes: int, redis: bool, args: argparse.Namespace, work: Path) -> dict[str, object]:
    folder = work / uuid.uuid4().hex[:8]
    folder.mkdir()
    url, token = prepare_database(folder)
    player = TracePlayer([TRACES / f"{args.trace}.jsonl"], username="bench", secret="bench-secret", speed=args.speed, max_gap_s=2.0)
    player.go = asyncio.Event()
    ami_port = await player.start()
    common = {"HOTLINE_DATABASE_URL": url}
    if redis:
        common |= {"HOTLINE_REDIS_URL": REDIS_URL, "HOTLINE_REDIS_CHANNEL": f"bench-{uuid.uuid4().hex[:8]}"}
    bridge_env = {**common, "HOTLINE_AMI_HOST": "127.0.0.1", "HOTLINE_AMI_PORT": str(ami_port), "HOTLINE_AMI_USERNAME": "bench",
                  "HOTLINE_AMI_SECRET": "bench-secret", "HOTLINE_SERVER_ID": "bench"}
    servers = [Serve(bridge_env, folder / "serve-0.log")] + [Serve(common, folder / f"serve-{i}.log") for i in range(1, processes)]
    for server in servers:
        await server.__aenter__()
    samples: list[float] = []
    connected: list[int] = []
    done = asyncio.Event()
    tasks = []
    try:
        for i in range(clients):
            server = servers[i % len(servers)]
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(client(f"ws://127.0.0.1:{server.port}/api/live", token, ready, done, samples, connected)))
            await asyncio.wait_for(ready.wait(), 30)
        load_before = os.getloadavg()[0]
        player.go.set()
        await asyncio.wait_for(player.finished.wait(), 600)
        await asyncio.sleep(2.0)  # the last frames
        done.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for server in servers:
            await server.__aexit__()
        await player.stop()
    samples.sort()
    q = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else samples * 99
    return {
        "label": label, "clients": len(connected), "frames": len(samples), "messages": player.played,
        "p50": q[49], "p99": q[98], "max": samples[-1], "load": load_before,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--speed", type=float, default=4.0, help="times the recorded pace")
    parser.add_argument("--trace", default="busy_queue")
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()
    configs = [("(a) 1 client, in-process fan-out (baseline)", 1, 1, False), (f"(b) {args.clients} clients, in-process fan-out", args.clients, 1, False)]
    if not args.skip_redis:
        configs.append((f"(c) {args.clients} clients on 2 processes, Redis pub/sub", args.clients, 2, True))
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        results = [await run(label, n, processes, redis, args, Path(tmp)) for label, n, processes, redis in configs]
    base = results[0]["p99"]
    print(f"trace {args.trace} at {args.speed:g}× recorded pace; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    print()
    print("| configuration | clients | frames measured | p50 (ms) | p99 (ms) | max (ms) | p99 ratio to (a) | load avg (1 min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['label']} | {r['clients']} | {r['frames']:,} | {r['p50'] * 1000:.1f} | {r['p99'] * 1000:.1f} | {r['max'] * 1000:.1f} | {r['p99'] / base:.2f} | {r['load']:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
