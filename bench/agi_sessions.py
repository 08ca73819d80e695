"""FastAGI under load: many concurrent calls against ``hotline agi``, side by side with a
minimal raw asyncio AGI server that sends the same commands (the named baseline).

    .venv/bin/python bench/agi_sessions.py [--sessions 500] [--scenario burst|steady|all]

Each server runs in its own process (as ``hotline agi`` would); this process plays
Asterisk for every call: it sends the environment block, answers each command at once
(except ``EXEC Queue``, which it holds for ``--hold`` seconds, like a caller waiting and
talking, so that the calls overlap) and measures the **command round-trip**: from
writing a reply (or the environment) to receiving the server's next command. That is
the time the server needs to decide and send its next step; Asterisk's own time is not
in it. Peak concurrency is the most calls connected at once.

``hotline`` runs a real flow file through the engine, stores each journey in SQLite after
closing the call (as in production), and reads the emergency switch. ``raw`` parses
nothing but the lines it needs and follows a fixed list: the least any AGI server can do.
Both must send exactly the same commands; the benchmark checks every call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOW = """
hotline_flow: 1
language: zh
timezone: Asia/Shanghai
start: hello
prompts:
  welcome: {file: hotline/welcome, text: 您好，欢迎致电客户服务热线。}
  menu: {file: hotline/menu, text: 报修请按1，投诉请按2。}
  rate: {file: hotline/rate, text: 请评价本次服务，1到5分。}
  thanks: {file: hotline/thanks, text: 感谢您的评价，再见。}
nodes:
  hello: {type: play, prompt: welcome, next: main}
  main: {type: menu, prompt: menu, options: {"1": queue, "2": queue}, on_failure: bye}
  queue: {type: queue, queue: support, max_wait: 60, after: rate, on_timeout: bye}
  rate: {type: survey, prompt: rate, thanks_prompt: thanks, next: bye, on_failure: bye}
  bye: {type: hangup}
"""

# What the flow above makes the Hotline server send for the calls below; the raw server
# sends exactly this list.
SCRIPT = [
    "GET VARIABLE CHANNEL(linkedid)",
    'SET VARIABLE HOTLINE_IVR "bench"',
    "SET VARIABLE CHANNEL(language) zh",
    "ANSWER",
    'STREAM FILE hotline/welcome ""',
    "GET DATA hotline/menu 5000 1",
    'SET VARIABLE MEMBERINTERFACE ""',
    "EXEC Queue support,c,,,60",
    "GET VARIABLE QUEUESTATUS",
    "GET VARIABLE MEMBERINTERFACE",
    "GET VARIABLE MEMBERNAME",
    "GET DATA hotline/rate 5000 1",
    'STREAM FILE hotline/thanks ""',
    "HANGUP",
]

ENV = """agi_network: yes
agi_network_script: bench
agi_request: agi://127.0.0.1:4573/bench
agi_channel: PJSIP/trunk-{n:08x}
agi_language: en
agi_type: PJSIP
agi_uniqueid: 1795640351.{n}
agi_version: 22.10.1
agi_callerid: 1380013{n:04d}
agi_calleridname: Customer
agi_callingpres: 0
agi_callingani2: 0
agi_callington: 0
agi_callingtns: 0
agi_dnid: 800
agi_rdnis: unknown
agi_context: from-trunk
agi_extension: 800
agi_priority: 2
agi_enhanced: 0.0
agi_accountcode: 
agi_threadid: 139862635296448

"""


# --- the servers (run in a child process) ------------------------------------------

async def serve_raw(port_file: Path) -> None:
    """The baseline: read the environment, send SCRIPT, read each reply, close."""

    async def call(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (await reader.readline()) not in (b"\n", b""):
                pass
            for command in SCRIPT:
                writer.write(command.encode() + b"\n")
                await writer.drain()
                line = await reader.readline()
                while line == b"HANGUP\n":
                    line = await reader.readline()
                if not line:
                    break
        finally:
            writer.close()

    server = await asyncio.start_server(call, "127.0.0.1", 0, backlog=1024)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    await asyncio.Event().wait()


async def serve_hotline(port_file: Path, folder: Path) -> None:
    from zoneinfo import ZoneInfo

    from core.db import make_engine, make_sessionmaker
    from core.schema import upgrade
    from ivr.agi.server import EmergencyCache, FastAgiServer
    from ivr.agi.session import AgiConfig
    from ivr.emergency import current
    from ivr.journeys import JourneyStore
    from ivr.registry import FlowRegistry

    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    sessions = make_sessionmaker(make_engine(url))

    def override() -> str | None:
        with sessions() as session:
            row = current(session)
            return row.flow if row else None

    server = FastAgiServer(FlowRegistry(folder, ZoneInfo("Asia/Shanghai")), config=AgiConfig(), store=JourneyStore(sessions),
                           emergency=EmergencyCache(override))
    await server.start("127.0.0.1", 0)
    port_file.write_text(str(server.port))
    await asyncio.Event().wait()


# --- the load: Asterisk's side -----------------------------------------------------

@dataclass
class Load:
    rtts: list[float] = field(default_factory=list)
    open_now: int = 0
    peak: int = 0
    completed: int = 0
    wrong: int = 0
    failed: int = 0


def reply_to(command: str, n: int) -> str:
    if command == "GET VARIABLE CHANNEL(linkedid)":
        return f"200 result=1 (1795640351.{n})"
    if command.startswith("SET VARIABLE"):
        return "200 result=1"
    if command == "ANSWER":
        return "200 result=0"
    if command.startswith("STREAM FILE"):
        return "200 result=0 endpos=16000"
    if command.startswith("GET DATA hotline/menu"):
        return "200 result=1"
    if command.startswith("GET DATA"):
        return "200 result=5"
    if command.startswith("EXEC Queue"):
        return "200 result=0"
    if command == "GET VARIABLE QUEUESTATUS":
        return "200 result=0"
    if command == "GET VARIABLE MEMBERINTERFACE":
        return "200 result=1 (PJSIP/1001)"
    if command == "GET VARIABLE MEMBERNAME":
        return "200 result=1 (Agent Li)"
    if command == "HANGUP":
        return "200 result=1\nHANGUP"
    return "510 Invalid or unknown command"


async def one_call(n: int, port: int, hold: float, load: Load) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        load.failed += 1
        return
    load.open_now += 1
    load.peak = max(load.peak, load.open_now)
    sent: list[str] = []
    try:
        writer.write(ENV.format(n=n).encode())
        await writer.drain()
        mark = time.perf_counter()
        while True:
            async with asyncio.timeout(60):
                line = await reader.readline()
            if not line:
                break
            load.rtts.append(time.perf_counter() - mark)
            command = line.decode().rstrip("\n")
            sent.append(command)
            if command.startswith("EXEC Queue"):
                await asyncio.sleep(hold)
            writer.write((reply_to(command, n) + "\n").encode())
            await writer.drain()
            mark = time.perf_counter()
        load.completed += 1
        load.wrong += sent != SCRIPT
    except (OSError, asyncio.TimeoutError):
        load.failed += 1
    finally:
        load.open_now -= 1
        writer.close()


async def run_load(port: int, sessions: int, hold: float, ramp: float) -> Load:
    load = Load()

    async def start(n: int) -> None:
        await asyncio.sleep(ramp * n / sessions)
        await one_call(n, port, hold, load)

    await asyncio.gather(*(start(n) for n in range(sessions)))
    return load


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(kind: str, sessions: int, hold: float, ramp: float, folder: Path) -> dict[str, float]:
    port_file = folder / f"{kind}.port"
    port_file.unlink(missing_ok=True)
    child = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--folder", str(folder)], cwd=ROOT)
    try:
        for _ in range(300):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        port = int(port_file.read_text())
        asyncio.run(run_load(port, 5, 0.0, 0.0))  # warm up (imports, first flow load)
        cpu_before = cpu_seconds(child.pid)
        started = time.perf_counter()
        load = asyncio.run(run_load(port, sessions, hold, ramp))
        wall = time.perf_counter() - started
        cpu = cpu_seconds(child.pid) - cpu_before
    finally:
        child.terminate()
        child.wait(10)
    rtts = sorted(load.rtts)
    q = statistics.quantiles(rtts, n=100) if len(rtts) >= 2 else [0.0] * 99
    return {
        "calls": load.completed, "failed": load.failed, "wrong_script": load.wrong, "peak_concurrent": load.peak,
        "commands": len(rtts), "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": (rtts[-1] if rtts else 0) * 1000,
        "server_cpu_s": cpu, "wall_s": wall,
    }


SCENARIOS = {
    # 500 calls in half a second, all leaving the queue within the same half second: far
    # beyond the seeds' 90 simultaneous calls, to show what a burst costs.
    "burst": (0.5, 2.0),
    # 100 new calls a second for 5 s, each held 8 s in the queue: still 500 at once.
    "steady": (5.0, 8.0),
}


def table(results: dict[str, dict[str, float]]) -> list[str]:
    raw, hot = results["raw"], results["hotline"]
    lines = ["| | raw asyncio (baseline) | hotline agi | ratio |", "|---|---:|---:|---:|"]
    rows = [("calls completed", "calls", "{:.0f}"), ("failed / wrong script", None, ""), ("peak concurrent calls", "peak_concurrent", "{:.0f}"),
            ("commands", "commands", "{:.0f}"), ("round-trip p50 (ms)", "p50_ms", "{:.2f}"), ("round-trip p99 (ms)", "p99_ms", "{:.2f}"),
            ("round-trip max (ms)", "max_ms", "{:.2f}"), ("server CPU (s)", "server_cpu_s", "{:.2f}")]
    for label, key, fmt in rows:
        if key is None:
            lines.append(f"| {label} | {raw['failed']:.0f} / {raw['wrong_script']:.0f} | {hot['failed']:.0f} / {hot['wrong_script']:.0f} | |")
            continue
        ratio = f"{hot[key] / raw[key]:.2f}×" if raw[key] and key not in ("calls", "commands", "peak_concurrent") else ""
        lines.append(f"| {label} | {fmt.format(raw[key])} | {fmt.format(hot[key])} | {ratio} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--ramp", type=float, help="seconds over which the calls arrive (overrides the scenario)")
    parser.add_argument("--hold", type=float, help="seconds EXEC Queue blocks (overrides the scenario)")
    parser.add_argument("--serve", choices=["hotline", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        port_file = args.folder / f"{args.serve}.port"
        asyncio.run(serve_hotline(port_file, args.folder) if args.serve == "hotline" else serve_raw(port_file))
        return
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    print(f"{args.sessions} calls a run, {len(SCRIPT)} commands a call; {os.cpu_count()} CPUs; "
          f"1-min load average {os.getloadavg()[0]:.2f} at the start")
    for name in names:
        ramp, hold = SCENARIOS[name]
        ramp = args.ramp if args.ramp is not None else ramp
        hold = args.hold if args.hold is not None else hold
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "bench.yaml").write_text(FLOW, encoding="utf-8")
            results = {kind: measure(kind, args.sessions, hold, ramp, folder) for kind in ("raw", "hotline")}
        print()
        print(f"**{name}**: calls arriving over {ramp:g} s, EXEC Queue held {hold:g} s "
              f"(1-min load average {os.getloadavg()[0]:.2f} after)")
        print()
        print("\n".join(table(results)))


if __name__ == "__main__":
    main()
