"""Writes the synthetic AMI fixtures (events no recording has), from Asterisk's AMI event docs."""
import json
T0 = 1795700000.0

def chan(prefix, channel, uniqueid, linkedid, num, name, context="from-trunk", exten="800", state="6", desc="Up"):
    return [(f"{prefix}Channel", channel), (f"{prefix}ChannelState", state), (f"{prefix}ChannelStateDesc", desc),
            (f"{prefix}CallerIDNum", num), (f"{prefix}CallerIDName", name), (f"{prefix}ConnectedLineNum", "<unknown>"),
            (f"{prefix}ConnectedLineName", "<unknown>"), (f"{prefix}Language", "zh"), (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", context), (f"{prefix}Exten", exten), (f"{prefix}Priority", "1"),
            (f"{prefix}Uniqueid", uniqueid), (f"{prefix}Linkedid", linkedid)]

def ev(name, privilege, *parts):
    h = [("Event", name), ("Privilege", privilege)]
    for p in parts: h += p
    return h

def write(path, rows):
    with open(path, "w") as f:
        f.write(json.dumps({"ts": rows[0][0] - 1, "banner": "Asterisk Call Manager/11.0.0", "synthetic": True}) + "\n")
        for ts, headers in rows:
            f.write(json.dumps({"ts": ts, "headers": [list(h) for h in headers]}, ensure_ascii=False) + "\n")

# --- attended transfer: caller -> queue -> agent 1001, who consults 1003 and transfers.
C = ("PJSIP/trunk-00000001", "1795700000.1", "1795700000.1", "13800138000", "张先生")
A1 = ("PJSIP/1001-00000002", "1795700004.2", "1795700000.1", "1001", "Agent Li")
A2 = ("PJSIP/1001-00000003", "1795700020.3", "1795700020.3", "1001", "Agent Li")
S1 = ("PJSIP/1003-00000004", "1795700020.4", "1795700020.3", "1003", "Agent Zhao")
B1, B2 = "b1-0000-0000-0000-000000000001", "b2-0000-0000-0000-000000000002"
c = lambda x, p="", **k: chan(p, *x, **k)
rows = [
    (T0 + 0, ev("Newchannel", "call,all", c(C, state="0", desc="Down"))),
    (T0 + 2, ev("DTMFEnd", "dtmf,all", c(C), [("Digit", "1"), ("DurationMs", "120"), ("Direction", "Received")])),
    (T0 + 2, ev("QueueCallerJoin", "agent,all", c(C), [("Queue", "support"), ("Position", "1"), ("Count", "1")])),
    (T0 + 2, ev("Newchannel", "call,all", c(A1, context="agents", exten="s", state="0", desc="Down"))),
    (T0 + 2, ev("AgentCalled", "agent,all", c(C), c(A1, "Dest", context="agents"), [("Queue", "support"), ("Interface", "PJSIP/1001"), ("MemberName", "Agent Li")])),
    (T0 + 4, ev("QueueCallerLeave", "agent,all", c(C), [("Queue", "support"), ("Position", "1"), ("Count", "0")])),
    (T0 + 4, ev("AgentConnect", "agent,all", c(C), c(A1, "Dest", context="agents"), [("Queue", "support"), ("Interface", "PJSIP/1001"), ("MemberName", "Agent Li"), ("HoldTime", "2"), ("RingTime", "2")])),
    (T0 + 4, ev("BridgeEnter", "call,all", [("BridgeUniqueid", B1), ("BridgeType", "basic"), ("BridgeNumChannels", "1")], c(A1, context="agents"))),
    (T0 + 4, ev("BridgeEnter", "call,all", [("BridgeUniqueid", B1), ("BridgeType", "basic"), ("BridgeNumChannels", "2")], c(C))),
    # the agent puts the caller on hold (music on hold plays to the caller) and calls 1003
    (T0 + 18, ev("Hold", "call,all", c(A1, context="agents"), [("MusicClass", "default")])),
    (T0 + 18, ev("MusicOnHoldStart", "call,all", c(C), [("Class", "default")])),
    (T0 + 20, ev("Newchannel", "call,all", c(A2, context="agents", exten="1003", state="0", desc="Down"))),
    (T0 + 20, ev("Newchannel", "call,all", c(S1, context="agents", exten="s", state="0", desc="Down"))),
    (T0 + 20, ev("DialBegin", "call,all", c(A2, context="agents", exten="1003"), c(S1, "Dest", context="agents"), [("DialString", "1003")])),
    (T0 + 23, ev("DialEnd", "call,all", c(A2, context="agents", exten="1003"), c(S1, "Dest", context="agents"), [("DialStatus", "ANSWER")])),
    (T0 + 23, ev("BridgeEnter", "call,all", [("BridgeUniqueid", B2), ("BridgeType", "basic"), ("BridgeNumChannels", "1")], c(S1, context="agents"))),
    (T0 + 23, ev("BridgeEnter", "call,all", [("BridgeUniqueid", B2), ("BridgeType", "basic"), ("BridgeNumChannels", "2")], c(A2, context="agents"))),
    # the transfer completes: the caller joins the supervisor's bridge, the agent's two channels leave
    (T0 + 30, ev("AttendedTransfer", "call,all", [("Result", "Success")], c(A1, "OrigTransferer", context="agents"),
        [("OrigBridgeUniqueid", B1), ("OrigBridgeType", "basic"), ("OrigBridgeNumChannels", "2")], c(A2, "SecondTransferer", context="agents"),
        [("SecondBridgeUniqueid", B2), ("SecondBridgeType", "basic"), ("SecondBridgeNumChannels", "2"), ("DestType", "Bridge"), ("DestBridgeUniqueid", B2)],
        c(C, "Transferee"), c(S1, "TransferTarget", context="agents"), [("IsExternal", "No")])),
    (T0 + 30, ev("AgentComplete", "agent,all", c(C), c(A1, "Dest", context="agents"), [("Queue", "support"), ("Interface", "PJSIP/1001"), ("MemberName", "Agent Li"), ("HoldTime", "2"), ("TalkTime", "26"), ("Reason", "transfer")])),
    (T0 + 30, ev("MusicOnHoldStop", "call,all", c(C))),
    (T0 + 30, ev("BridgeLeave", "call,all", [("BridgeUniqueid", B1), ("BridgeType", "basic"), ("BridgeNumChannels", "1")], c(C))),
    (T0 + 30, ev("BridgeLeave", "call,all", [("BridgeUniqueid", B2), ("BridgeType", "basic"), ("BridgeNumChannels", "1")], c(A2, context="agents"))),
    (T0 + 30, ev("BridgeEnter", "call,all", [("BridgeUniqueid", B2), ("BridgeType", "basic"), ("BridgeNumChannels", "2")], c(C))),
    (T0 + 30, ev("BridgeLeave", "call,all", [("BridgeUniqueid", B1), ("BridgeType", "basic"), ("BridgeNumChannels", "0")], c(A1, context="agents"))),
    (T0 + 30, ev("Hangup", "call,all", c(A1, context="agents"), [("Cause", "16"), ("Cause-txt", "Normal Clearing")])),
    (T0 + 30, ev("Hangup", "call,all", c(A2, context="agents", exten="1003"), [("Cause", "16"), ("Cause-txt", "Normal Clearing")])),
    (T0 + 50, ev("HangupRequest", "call,all", c(C))),
    (T0 + 50, ev("BridgeLeave", "call,all", [("BridgeUniqueid", B2), ("BridgeType", "basic"), ("BridgeNumChannels", "1")], c(C))),
    (T0 + 50, ev("Hangup", "call,all", c(C), [("Cause", "16"), ("Cause-txt", "Normal Clearing")])),
    (T0 + 50, ev("BridgeLeave", "call,all", [("BridgeUniqueid", B2), ("BridgeType", "basic"), ("BridgeNumChannels", "0")], c(S1, context="agents"))),
    (T0 + 50, ev("Hangup", "call,all", c(S1, context="agents"), [("Cause", "16"), ("Cause-txt", "Normal Clearing")])),
]
write("synthetic_attended_transfer.jsonl", rows)

# --- JOINEMPTY: the caller picks a queue nobody is logged in to (joinempty = no): no queue event at all.
J = ("PJSIP/trunk-00000005", "1795700100.5", "1795700100.5", "13900139000", "Customer")
rows = [
    (T0 + 100, ev("Newchannel", "call,all", chan("", *J, state="0", desc="Down"))),
    (T0 + 102, ev("DTMFEnd", "dtmf,all", chan("", *J), [("Digit", "3"), ("DurationMs", "100"), ("Direction", "Received")])),
    (T0 + 102, ev("Newexten", "dialplan,all", chan("", *J, exten="3"), [("Extension", "3"), ("Application", "Queue"), ("AppData", "vip,,,,30")])),
    (T0 + 102, ev("VarSet", "dialplan,all", chan("", *J, exten="3"), [("Variable", "QUEUESTATUS"), ("Value", "JOINEMPTY")])),
    (T0 + 102, ev("Newexten", "dialplan,all", chan("", *J, exten="3"), [("Extension", "3"), ("Application", "Playback"), ("AppData", "vm-goodbye")])),
    (T0 + 105, ev("Hangup", "call,all", chan("", *J, exten="3"), [("Cause", "16"), ("Cause-txt", "Normal Clearing")])),
]
write("synthetic_joinempty.jsonl", rows)
