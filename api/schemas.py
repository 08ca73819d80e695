"""Response and request bodies of the API, with the examples the OpenAPI document shows.

The field sets are the command line's JSON (DESIGN.md "Command-line and API shapes"):
a call is what ``hotline calls list --json`` prints, a statistics row what
``hotline queues stats --json`` prints, a live queue what ``hotline queues live --json``
prints. Times are ISO-8601 strings with the center's offset.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.users import INTERFACE_PATTERN

ISO = "ISO-8601 time with offset, in the center's zone (HOTLINE_TIMEZONE)."


def _examples(*items: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(items)})


CALL_EXAMPLE = {
    "linkedid": "1795495540.130", "server_id": "pbx1", "direction": "inbound",
    "started_at": "2026-11-24T12:45:40.634251+08:00", "answered_at": "2026-11-24T12:45:43.291208+08:00",
    "ended_at": "2026-11-24T12:46:24.430207+08:00", "caller": "138****8000", "caller_name": "Customer", "dnis": "800",
    "queue": "support", "agent": "Agent Li", "agent_interface": "SIP/1001", "disposition": "answered", "wait_s": 1.0,
    "talk_s": 41.0, "hold_s": 0.0, "ivr_digits": "1", "transfers": 0, "hangup_cause": 16, "task": None,
}


class Call(BaseModel):
    model_config = _examples(CALL_EXAMPLE)
    linkedid: str = Field(description="Asterisk's Linkedid: one call.")
    server_id: str = Field(description="The PBX the call went through.")
    direction: str
    started_at: str = Field(description=ISO)
    answered_at: str | None = Field(description=ISO)
    ended_at: str | None = Field(description=ISO + " Null while the call is up.")
    caller: str = Field(description="The caller's number (outbound: the number called); masked for roles that may not see it.")
    caller_name: str
    dnis: str
    queue: str | None
    agent: str | None
    agent_interface: str | None
    disposition: str | None = Field(description="answered, abandoned, exited, ivr_only, outbound, failed; null while the call is up.")
    wait_s: float | None
    talk_s: float | None
    hold_s: float
    ivr_digits: str
    transfers: int
    hangup_cause: int | None
    task: str | None


class CallPage(BaseModel):
    model_config = _examples({"items": [CALL_EXAMPLE], "next_cursor": "MjAyNi0xMS0yNFQwNDo0NTo0MC42MzQyNTErMDA6MDB8MzI"})
    items: list[Call]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class CallLeg(BaseModel):
    uniqueid: str
    channel: str
    role: str
    created_at: str = Field(description=ISO)
    ended_at: str | None
    cause: int | None
    cause_txt: str


class TimelineEntry(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"at": "2026-11-24T12:45:42.284286+08:00", "event": "queue_joined", "uniqueid": "1795495540.130", "queue": "support", "position": 1}]})
    at: str = Field(description=ISO)
    event: str
    uniqueid: str


class IvrStep(BaseModel):
    """One node of the IVR path the caller took (from the IVR's journeys)."""

    at: str = Field(description=ISO)
    node: str
    type: str
    digits: str = Field(description="Keys pressed, one entry per attempt; typed numbers masked.")
    outcome: str
    timeouts: int
    invalid: int


class CallDetail(Call):
    model_config = _examples({**CALL_EXAMPLE, "legs": [{"uniqueid": "1795495540.130", "channel": "SIP/trunk-00000082", "role": "caller", "created_at": "2026-11-24T12:45:40.634251+08:00", "ended_at": "2026-11-24T12:46:24.430097+08:00", "cause": 16, "cause_txt": "Normal Clearing"}], "timeline": [{"at": "2026-11-24T12:45:42.284286+08:00", "event": "queue_joined", "uniqueid": "1795495540.130", "queue": "support", "position": 1}]})
    legs: list[CallLeg]
    timeline: list[TimelineEntry]
    ivr_path: list[IvrStep] = Field(description="The IVR nodes the caller went through, in order (empty when no Hotline flow ran).")


STATS_EXAMPLE = {
    "queue": "support", "interval_start": "2026-11-24T00:00:00+08:00", "interval_end": "2026-11-25T00:00:00+08:00",
    "offered": 36, "answered": 32, "abandoned": 2, "short_abandoned": 1, "exited": 2, "exited_timeout": 1,
    "exited_exit_key": 1, "exited_empty": 0, "exited_other": 0, "join_failed": 0, "answer_rate": 88.89,
    "abandon_rate": 5.56, "service_level": 91.43, "service_level_answered": 100.0, "service_level_s": 20,
    "answered_within_sl": 32, "asa_s": 11.94, "mean_wait_s": 11.5, "max_wait_s": 25.0, "talk_s": 6.81, "hold_s": 0.0, "aht_s": 6.81,
}


class QueueStats(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [STATS_EXAMPLE]})
    queue: str
    interval_start: str | None = Field(description=ISO + " Null: from the first call stored.")
    interval_end: str | None = Field(description=ISO + " Null: to the last call stored.")
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    exited: int
    exited_timeout: int
    exited_exit_key: int
    exited_empty: int
    exited_other: int
    join_failed: int
    answer_rate: float | None = Field(description="answered ÷ offered × 100; null when nothing was offered.")
    abandon_rate: float | None
    service_level: float | None = Field(description="answered within service_level_s ÷ (offered − short abandons) × 100.")
    service_level_answered: float | None = Field(description="answered within service_level_s ÷ answered × 100 (Asterisk's ServicelevelPerf).")
    service_level_s: int
    answered_within_sl: int
    asa_s: float | None
    mean_wait_s: float | None
    max_wait_s: float | None
    talk_s: float | None
    hold_s: float | None
    aht_s: float | None


class WaitingCaller(BaseModel):
    position: int
    caller: str
    uniqueid: str
    wait_s: float


class QueueAgent(BaseModel):
    interface: str
    name: str
    status: str = Field(description="available, on_call, ringing, paused, busy or unavailable.")
    paused_reason: str


LIVE_EXAMPLE = {
    "queue": "support", "server_id": "pbx1", "callers_waiting": 1, "longest_wait_s": 12.4,
    "callers": [{"position": 1, "caller": "138****8000", "uniqueid": "1795495540.130", "wait_s": 12.4}],
    "agents_logged_in": 3, "agents_available": 1, "agents_on_call": 1, "agents_ringing": 0, "agents_paused": 1, "agents_unavailable": 0,
    "agents": [{"interface": "PJSIP/1001", "name": "Agent Li", "status": "paused", "paused_reason": "lunch"}],
    "as_of": "2026-11-25T10:00:00+08:00", "live": True,
}


class LiveQueue(BaseModel):
    model_config = _examples(LIVE_EXAMPLE)
    queue: str
    server_id: str
    callers_waiting: int
    longest_wait_s: float
    callers: list[WaitingCaller]
    agents_logged_in: int
    agents_available: int
    agents_on_call: int
    agents_ringing: int
    agents_paused: int
    agents_unavailable: int
    agents: list[QueueAgent]
    as_of: str = Field(description=ISO + " When this state was true.")
    live: bool = Field(description="True when a connected bridge keeps this state current; false for a stale snapshot.")


class AgentMembership(BaseModel):
    server_id: str
    queue: str
    status: str
    paused_reason: str


class Agent(BaseModel):
    model_config = _examples({"interface": "PJSIP/1001", "name": "Agent Li", "user": "li", "status": "paused", "paused_reason": "lunch", "queues": [{"server_id": "pbx1", "queue": "support", "status": "paused", "paused_reason": "lunch"}]})
    interface: str
    name: str
    user: str | None = Field(description="The Hotline agent user linked to this interface, if any.")
    status: str = Field(description="The most telling status over the agent's queues (on_call > ringing > available > paused > busy > unavailable), or logged_out.")
    paused_reason: str
    queues: list[AgentMembership]


class AgentStats(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"interface": "SIP/1001", "name": "Agent Li", "calls_handled": 12, "ring_no_answer": 1, "talk_s": 310.0, "aht_s": 25.8, "logged_in_s": 3600.0, "paused_s": 300.0, "paused_by_reason": {"lunch": 300.0}, "occupancy": 9.39}]})
    interface: str
    name: str
    calls_handled: int
    ring_no_answer: int
    talk_s: float
    aht_s: float | None
    logged_in_s: float
    paused_s: float
    paused_by_reason: dict[str, float]
    occupancy: float | None


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"interface": "PJSIP/1001", "paused": True, "reason": "coaching"}]})
    interface: str = Field(pattern=INTERFACE_PATTERN.pattern, max_length=128, description="The member's interface, e.g. PJSIP/1001.")
    paused: bool = Field(description="True to pause, false to unpause.")
    reason: str = Field("", max_length=128, pattern=r"^[^\r\n]*$", description="Why (Asterisk's PausedReason); shown on the wallboard.")
    queue: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[^\r\n]*$", description="Only this queue (default: every queue the agent is in).")
    server_id: str | None = Field(None, min_length=1, max_length=64, description="The PBX (default: the bridge this process runs).")


class PauseResult(BaseModel):
    model_config = _examples({"interface": "PJSIP/1001", "paused": True, "reason": "coaching", "queue": None, "server_id": "pbx1", "message": "Interface paused successfully"})
    interface: str
    paused: bool
    reason: str
    queue: str | None
    server_id: str
    message: str = Field(description="Asterisk's answer.")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"username": "li", "password": "correct horse battery", "label": "wallboard script", "expires_in_days": 30}]})
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    label: str = Field("", max_length=100, description="What the token is for, to recognise it when revoking.")
    expires_in_days: int | None = Field(None, ge=1, le=365, description="Default: HOTLINE_TOKEN_TTL_DAYS.")


class TokenInfo(BaseModel):
    model_config = _examples({"id": 7, "label": "wallboard script", "user": "li", "created_at": "2026-11-25T10:00:00+08:00", "expires_at": "2027-02-23T10:00:00+08:00", "last_used_at": None, "revoked_at": None})
    id: int
    label: str
    user: str
    created_at: str
    expires_at: str
    last_used_at: str | None
    revoked_at: str | None


class TokenCreated(TokenInfo):
    model_config = _examples({"id": 7, "label": "wallboard script", "user": "li", "role": "supervisor", "token": "hl_t_3q2-7bKx…", "created_at": "2026-11-25T10:00:00+08:00", "expires_at": "2027-02-23T10:00:00+08:00", "last_used_at": None, "revoked_at": None})
    role: str
    token: str = Field(description="The bearer token. Shown once: Hotline keeps only a hash of it.")


class Me(BaseModel):
    model_config = _examples({"name": "li", "role": "supervisor", "interfaces": [], "full_numbers": True})
    name: str
    role: Literal["admin", "supervisor", "qa", "agent"]
    interfaces: list[str]
    full_numbers: bool = Field(description="Whether this user sees callers' full numbers.")


class AuditItem(BaseModel):
    model_config = _examples({"id": 42, "at": "2026-11-25T10:02:11+08:00", "actor": "li", "role": "supervisor", "address": "10.1.2.3", "action": "agent.pause", "target": "PJSIP/1001", "detail": {"reason": "coaching", "server_id": "pbx1"}})
    id: int
    at: str
    actor: str
    role: str
    address: str
    action: str
    target: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditItem]
    next_cursor: str | None


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    model_config = _examples({"ready": True, "database": True, "bridge": {"configured": True, "connected": True, "server_id": "pbx1"}})
    ready: bool
    database: bool
    bridge: dict[str, Any]
