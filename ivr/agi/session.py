"""Runs one call: the engine's actions become AGI commands, the replies become results.

Mapping (checked against real Asterisk 20/22 replies, ../shared/agi-traces):

=====================  ==========================================================
action                 AGI
=====================  ==========================================================
(first media action)   ``ANSWER`` — only then, so a caller hung up unplayed (a
                       blocked number) is declined, never answered and billed
Play                   ``STREAM FILE f ""`` / ``SAY DIGITS n ""``
Collect                one prompt ending input with '#': ``GET DATA f ms n``;
                       else ``STREAM FILE f <all keys>`` (a key interrupts) and
                       ``WAIT FOR DIGIT ms`` per further key
Record                 ``RECORD FILE path fmt "#" ms 0 [beep] [s=N]``
SetVariable            ``SET VARIABLE name "value"``
SetLanguage            ``SET VARIABLE CHANNEL(language) xx``
JoinQueue              ``SET VARIABLE QUEUE_PRIO n``, ``EXEC Queue name,c,,,wait``
                       then ``GET VARIABLE`` QUEUESTATUS / MEMBERINTERFACE /
                       MEMBERNAME (queues.conf ``setinterfacevar = yes``)
Transfer               ``SET CONTEXT`` / ``SET EXTENSION`` / ``SET PRIORITY 1``, then
                       the socket is closed and the dialplan goes on there
Hangup                 ``HANGUP``, then the socket is closed
stores                 the database, never the channel: a callback request before
                       the caller hears it is booked; survey scores and voicemails
                       through the server's background writer
=====================  ==========================================================

``result=-1`` is ambiguous (a missing prompt file also gives ``200 result=-1
endpos=0``), so after one a ``NOOP`` is sent: if the caller is gone, Asterisk's
``HANGUP`` notice comes before its reply. Once the notice has come, every action that
needs the channel is answered ``CallerHangup`` without asking Asterisk.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.clock import Clock
from ivr import actions as a
from ivr.agi.connection import AgiConnection
from ivr.agi.protocol import Environment, Reply, quote, word
from ivr.engine import CallInfo, FlowRun
from ivr.flow import Flow
from ivr.journeys import CallIds, JourneyRecord, JourneyStore, Record, SurveyRecord, VoicemailRecord

log = logging.getLogger(__name__)
ALL_KEYS = "0123456789*#"
QUEUE_UNAVAILABLE = {"FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "WITHDRAW"}
SAMPLES_PER_SECOND = 8000  # endpos counts 8 kHz samples for telephone-band formats
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")


@dataclass
class AgiConfig:
    server_id: str = "pbx1"
    record_dir: str = "/var/spool/asterisk/hotline"
    record_format: str = "wav"
    error_prompt: str = "an-error-has-occured"
    transfer_context: str = "hotline-transfer"


class CallSession:
    def __init__(self, conn: AgiConnection, env: Environment, flow: Flow, *, config: AgiConfig, clock: Clock,
                 store: JourneyStore | None, requested_flow: str = "", defer: Callable[[Record], None] | None = None) -> None:
        self.conn = conn
        self.env = env
        self.flow = flow
        self.config = config
        self.clock = clock
        self.store = store
        # Hands survey scores and voicemails to the server's background writer: the
        # caller need not wait for the database to hear "thank you".
        self.defer = defer
        self.answered = False
        self.ids = CallIds(
            server_id=config.server_id, uniqueid=env.get("uniqueid"), linkedid=env.get("uniqueid"), flow=flow.name,
            requested_flow=requested_flow if requested_flow != flow.name else "", channel=env.get("channel"),
            caller=env.caller, called=env.get("dnid"),
        )
        variables = {f"arg{i}": value for i, value in enumerate(env.args, 1)}
        self.run = FlowRun(flow, CallInfo(caller=env.caller, called=env.get("dnid"), language=env.get("language"), variables=variables), clock)

    async def execute(self) -> None:
        """Run the flow to its end and close the connection."""
        self.started_at = self.clock.now()
        try:
            reply = await self.conn.send("GET", "VARIABLE", "CHANNEL(linkedid)")
            if reply.ok and reply.data:
                self.ids.linkedid = reply.data
            # Tells the dialplan this server took the call (its fallback checks it).
            await self.conn.send("SET", "VARIABLE", "HOTLINE_IVR", quote(self.flow.name))
            action = self.run.start()
            while not isinstance(action, a.TERMINAL):
                if self.conn.hung_up and action.needs_channel:
                    result: a.Result = a.CallerHangup()
                else:
                    result = await self.perform(action)
                action = self.run.send(result)
            await self.finish(action)
        finally:
            self.ended_at = self.clock.now()
            await self.conn.close()

    def record(self) -> JourneyRecord:
        """The journey, for the server's writer (stored after the connection is closed,
        so that Asterisk is never kept waiting for the database)."""
        return JourneyRecord(self.ids, self.run.steps, self.started_at, self.ended_at, self.run.outcome or "error")

    # --- actions ---
    async def perform(self, action: a.Action) -> a.Result:
        handler: Callable[[a.Action], Awaitable[a.Result]] = getattr(self, f"_do_{type(action).__name__}")
        return await handler(action)

    async def finish(self, action: a.Action) -> None:
        if self.conn.hung_up:
            return
        if isinstance(action, a.Transfer):
            for command in (("SET", "CONTEXT", word(action.context or self.config.transfer_context)),
                            ("SET", "EXTENSION", word(action.extension)), ("SET", "PRIORITY", "1")):
                await self.conn.send(*command)
                if self.conn.hung_up:
                    return
        elif isinstance(action, a.Hangup):
            await self.conn.send("HANGUP")

    async def _answer(self) -> bool:
        if not self.answered and not self.conn.hung_up:
            reply = await self.conn.send("ANSWER")
            self.answered = reply.ok and reply.number == 0
        return self.answered and not self.conn.hung_up

    async def _gone_after(self, reply: Reply) -> bool:
        """After a failure reply: is it because the caller hung up?"""
        if reply.code == 511 or self.conn.hung_up:
            return True
        await self.conn.send("NOOP")
        return self.conn.hung_up

    async def _play_item(self, item: a.Item, escape: str) -> Reply:
        if isinstance(item, a.DigitsItem):
            return await self.conn.send("SAY", "DIGITS", word(item.digits), quote(escape))
        return await self.conn.send("STREAM", "FILE", word(item.file), quote(escape))

    async def _play(self, items: tuple[a.Item, ...]) -> a.Result:
        missing = []
        for item in items:
            reply = await self._play_item(item, "")
            if reply.ok and reply.number is not None and reply.number >= 0:
                continue
            if await self._gone_after(reply):
                return a.CallerHangup()
            if reply.ok:
                missing.append(item.id if isinstance(item, a.PromptItem) else item.digits)
                log.warning("%s: prompt %s could not be played (%s)", self.ids.uniqueid, item, reply.text)
            else:
                return a.Failed(reply.text)
        return a.Done(missing=tuple(missing))

    async def _do_Play(self, action: a.Play) -> a.Result:
        if not await self._answer():
            return a.CallerHangup()
        return await self._play(action.items)

    async def _do_Collect(self, action: a.Collect) -> a.Result:
        if not await self._answer():
            return a.CallerHangup()
        timeout_ms = str(int(action.timeout_s * 1000))
        items = action.items
        if len(items) == 1 and isinstance(items[0], a.PromptItem) and action.terminator == "#":
            reply = await self.conn.send("GET", "DATA", word(items[0].file), timeout_ms, str(action.max_digits))
            if reply.ok and reply.result != "-1":
                return a.Digits(reply.result, timed_out=reply.data == "timeout")
            if await self._gone_after(reply):
                return a.CallerHangup()
            return a.Failed(reply.text)
        keys = ""
        for item in items:
            reply = await self._play_item(item, ALL_KEYS)
            if reply.ok and reply.number is not None and reply.number > 0:
                keys = chr(reply.number)
                break
            if reply.ok and reply.number == 0:
                continue
            if await self._gone_after(reply):
                return a.CallerHangup()
            if not reply.ok:
                return a.Failed(reply.text)
        while True:
            if action.terminator and keys.endswith(action.terminator):
                return a.Digits(keys[: -len(action.terminator)])
            if len(keys) >= action.max_digits:
                return a.Digits(keys)
            reply = await self.conn.send("WAIT", "FOR", "DIGIT", timeout_ms)
            if reply.ok and reply.number == 0:
                return a.Digits(keys, timed_out=True)
            if reply.ok and reply.number is not None and reply.number > 0:
                keys += chr(reply.number)
                continue
            if await self._gone_after(reply):
                return a.CallerHangup()
            return a.Failed(reply.text)

    async def _do_Record(self, action: a.Record) -> a.Result:
        if not await self._answer():
            return a.CallerHangup()
        if action.items:
            played = await self._play(action.items)
            if not isinstance(played, a.Done):
                return played
        name = _FILE_SAFE.sub("_", f"{self.flow.name}-{self.ids.linkedid}-{action.tag}")
        path = f"{self.config.record_dir.rstrip('/')}/{name}"
        args = ["RECORD", "FILE", word(path), word(self.config.record_format), quote("#"), str(int(action.max_s * 1000)), "0"]
        if action.beep:
            args.append("beep")
        if action.silence_s:
            args.append(f"s={int(action.silence_s)}")
        reply = await self.conn.send(*args)
        if reply.code == 511:
            return a.CallerHangup()
        if not reply.ok or reply.data not in ("dtmf", "timeout", "hangup"):
            return a.Failed(reply.text)
        seconds = max(0, reply.endpos or 0) / SAMPLES_PER_SECOND
        if reply.data == "hangup":
            self.conn.hung_up = True
        return a.Recorded(f"{path}.{self.config.record_format}", seconds, reply.data)  # type: ignore[arg-type]

    async def _do_SetVariable(self, action: a.SetVariable) -> a.Result:
        reply = await self.conn.send("SET", "VARIABLE", word(action.name), quote(action.value))
        return a.Done() if reply.ok else a.Failed(reply.text)

    async def _do_SetLanguage(self, action: a.SetLanguage) -> a.Result:
        reply = await self.conn.send("SET", "VARIABLE", "CHANNEL(language)", word(action.language))
        return a.Done() if reply.ok else a.Failed(reply.text)

    async def _variable(self, name: str) -> str:
        reply = await self.conn.send("GET", "VARIABLE", name)
        return reply.data or "" if reply.ok else ""

    async def _do_JoinQueue(self, action: a.JoinQueue) -> a.Result:
        if not await self._answer():
            return a.CallerHangup()
        if action.items:
            played = await self._play(action.items)
            if not isinstance(played, a.Done):
                return played
        if action.priority:
            await self.conn.send("SET", "VARIABLE", "QUEUE_PRIO", str(action.priority))
        # Queue sets MEMBERINTERFACE only when it connects: clear what an earlier visit left.
        await self.conn.send("SET", "VARIABLE", "MEMBERINTERFACE", quote(""))
        wait = str(int(action.max_wait_s)) if action.max_wait_s else ""
        # 'c': when the agent hangs up the caller stays, and the flow goes on (the survey).
        reply = await self.conn.send("EXEC", "Queue", word(f"{action.queue},c,,,{wait}".rstrip(",")))
        if not reply.ok:
            return a.CallerHangup() if reply.code == 511 else a.Failed(reply.text)
        if reply.number == -2:
            return a.Failed("Asterisk has no Queue application (app_queue not loaded)")
        status = await self._variable("QUEUESTATUS")
        member = await self._variable("MEMBERINTERFACE")
        gone = self.conn.hung_up
        if member or status == "CONTINUE":
            name = await self._variable("MEMBERNAME")
            return a.QueueResult("answered", agent_interface=member, agent_name=name, caller_gone=gone)
        if gone:
            return a.CallerHangup()
        if status == "TIMEOUT":
            return a.QueueResult("timeout", status)
        return a.QueueResult("unavailable", status if status in QUEUE_UNAVAILABLE else status or "NOQUEUE")

    async def _store(self, write: Callable[[], object]) -> a.Result:
        if self.store is None:
            return a.Done(detail="not stored: no database")
        try:
            await asyncio.to_thread(write)
        except Exception as exc:  # noqa: BLE001 - the caller stays on the line whatever the database does
            log.exception("%s: could not store", self.ids.uniqueid)
            return a.Failed(f"not stored: {type(exc).__name__}")
        return a.Done()

    async def _do_RequestCallback(self, action: a.RequestCallback) -> a.Result:
        now = self.clock.now()
        return await self._store(lambda: self.store.request_callback(self.ids, action, now))  # type: ignore[union-attr]

    async def _do_SaveSurvey(self, action: a.SaveSurvey) -> a.Result:
        record = SurveyRecord(self.ids, action, self.clock.now())
        if self.defer is not None:
            self.defer(record)
            return a.Done()
        return await self._store(lambda: self.store.save_batch([record]))  # type: ignore[union-attr]

    async def _do_SaveVoicemail(self, action: a.SaveVoicemail) -> a.Result:
        record = VoicemailRecord(self.ids, action, self.clock.now())
        if self.defer is not None:
            self.defer(record)
            return a.Done()
        return await self._store(lambda: self.store.save_batch([record]))  # type: ignore[union-attr]
