"""Reading recorded AMI traffic: raw wire captures (``.txt``) and ``.jsonl`` traces.

``.jsonl`` is one JSON object a line: ``{"ts": unix seconds, "headers": [[key, value], …]}``,
the first line ``{"ts": …, "banner": "Asterisk Call Manager/…"}`` (the format of
``shared/ami-traces``). Bad lines are reported with ``file:line`` and skipped; they
never stop a replay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ami_bridge.framing import Banner, Framer, Problem
from ami_bridge.message import Message

READ_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class TraceProblem:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


TraceItem = tuple[Message, float | None] | Banner | TraceProblem


def read_trace(path: Path) -> Iterator[TraceItem]:
    """Messages with their receive time (``None`` for raw captures), banners and problems."""
    if path.suffix == ".jsonl":
        yield from _read_jsonl(path)
    else:
        yield from _read_raw(path)


def _read_raw(path: Path) -> Iterator[TraceItem]:
    framer = Framer()
    with path.open("rb") as stream:
        while chunk := stream.read(READ_CHUNK):
            yield from _framed(path, framer.feed(chunk))
    yield from _framed(path, framer.close())


def _framed(path: Path, items: list[Banner | Message | Problem]) -> Iterator[TraceItem]:
    for item in items:
        if isinstance(item, Message):
            yield item, None
        elif isinstance(item, Problem):
            yield TraceProblem(f"{path}:byte {item.offset}", item.reason)
        else:
            yield item


def _read_jsonl(path: Path) -> Iterator[TraceItem]:
    with path.open("rb") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except ValueError as exc:
                yield TraceProblem(where, f"not JSON ({exc.msg})")
                continue
            if not isinstance(record, dict):
                yield TraceProblem(where, "expected a JSON object")
                continue
            ts = record.get("ts")
            if ts is not None and not isinstance(ts, (int, float)):
                yield TraceProblem(where, f"'ts' must be a number, not {ts!r}")
                continue
            if "banner" in record:
                yield Banner(str(record["banner"]))
                continue
            headers = record.get("headers")
            if (
                not isinstance(headers, list)
                or not headers
                or not all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers)
            ):
                yield TraceProblem(where, "'headers' must be a non-empty list of [key, value] string pairs")
                continue
            yield Message.from_headers(headers), None if ts is None else float(ts)
