from ami_bridge.queries.wrapup import GRACE_S, WrapUps


def test_a_wrapup_pause_right_after_the_call_is_measured_first():
    wrapups = WrapUps({"SIP/1001": [(100.0, 30.0), (500.0, 12.0)]}, {"SIP/1001": [140.0, 505.0]}, {"support": 5.0})
    assert wrapups.after("SIP/1001", "support", 95.0) == 30.0  # pause 5 s after the call
    assert wrapups.after("SIP/1001", "support", 500.0 - GRACE_S - 1) == 5.0  # pause too late; the next call proves 5 s
    assert wrapups.after("SIP/1001", "support", 503.0) == 0.0  # the next call came 2 s later: no 5 s wrap-up
    assert wrapups.after("SIP/1001", "support", 130.0) == 5.0  # no pause; the next call 10 s later proves 5 s
    assert wrapups.after("SIP/1001", "billing", 130.0) == 0.0  # no wrapuptime known for billing
    assert wrapups.after("SIP/1002", "support", 130.0) == 0.0  # nothing known about this agent
