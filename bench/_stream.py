"""A long AMI stream made from the real ``busy_queue`` capture, and a peer that sends it.

Each repetition of the capture gets new ids (the epoch part of every ``Uniqueid`` and
``Linkedid`` moves on by 100 s per repetition, the counter by 100000), so the bridge sees
N distinct sets of 24 overlapping calls, not one set N times.
"""

from __future__ import annotations

import re
import socket
import threading
from multiprocessing import Process
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "tests" / "data" / "ami" / "busy_queue.txt"
_ID = re.compile(rb"\b(17\d{8})\.(\d+)\b")


def build_stream(min_messages: int) -> tuple[bytes, bytes, int]:
    """(banner line, body, message count): the capture repeated with renumbered ids."""
    data = CAPTURE.read_bytes()
    banner, _, body = data.partition(b"\r\n")
    # Drop the capture's own login response: the peer answers our login itself.
    first_end = body.index(b"\r\n\r\n") + 4
    body = body[first_end:]
    per = body.count(b"\r\n\r\n")
    parts = _ID.split(body)  # text, epoch, counter, text, epoch, counter, ...
    reps = -(-min_messages // per)
    chunks = []
    for k in range(reps):
        out = []
        for i in range(0, len(parts) - 1, 3):
            out.append(parts[i])
            out.append(b"%d.%d" % (int(parts[i + 1]) + 100 * k, int(parts[i + 2]) + 100000 * k))
        out.append(parts[-1])
        chunks.append(b"".join(out))
    return banner + b"\r\n", b"".join(chunks), per * reps


def _serve(port_file: str, banner: bytes, body: bytes, stream_after: str) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    Path(port_file).write_text(str(listener.getsockname()[1]))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_session, args=(conn, banner, body, stream_after), daemon=True).start()


def _session(conn: socket.socket, banner: bytes, body: bytes, stream_after: str) -> None:
    conn.sendall(banner)
    pending = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        pending += data
        while b"\r\n\r\n" in pending:
            block, pending = pending.split(b"\r\n\r\n", 1)
            headers = dict(line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line)
            action, aid = headers.get("Action", ""), headers.get("ActionID", "")
            reply = b"Response: Success\r\nActionID: %s\r\n" % aid.encode()
            if action == "CoreShowChannels":
                reply += b"EventList: start\r\n\r\nEvent: CoreShowChannelsComplete\r\nActionID: %s\r\nEventList: Complete\r\nListItems: 0\r\n" % aid.encode()
            elif action == "QueueStatus":
                reply += b"EventList: start\r\n\r\nEvent: QueueStatusComplete\r\nActionID: %s\r\nEventList: Complete\r\nListItems: 0\r\n" % aid.encode()
            conn.sendall(reply + b"\r\n")
            if action == stream_after:
                conn.sendall(body + b"Event: BenchEnd\r\n\r\n")


class Peer:
    """The stream's sender, in its own process so it does not share our GIL."""

    def __init__(self, banner: bytes, body: bytes, *, stream_after: str, workdir: Path) -> None:
        port_file = workdir / f"port-{stream_after}"
        port_file.unlink(missing_ok=True)
        self.process = Process(target=_serve, args=(str(port_file), banner, body, stream_after), daemon=True)
        self.process.start()
        while not port_file.exists() or not port_file.read_text():
            pass
        self.port = int(port_file.read_text())

    def stop(self) -> None:
        self.process.terminate()
        self.process.join()
