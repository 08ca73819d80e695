"""`hotline replay` + `hotline queues stats` agree with Asterisk's own numbers."""

from __future__ import annotations

import json

from click.testing import CliRunner

from api.cli import main
from tests.conftest import DATA

AMI = DATA / "ami"


def run(db, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"HOTLINE_DATABASE_URL": db.url, "HOTLINE_TIMEZONE": "UTC"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def asterisk_summary(name: str) -> dict[str, dict[str, str]]:
    """Asterisk's QueueParams per queue from a QueueStatus capture."""
    params = {}
    for line in (AMI / f"{name}.jsonl").read_text().splitlines():
        record = json.loads(line)
        headers = dict(record.get("headers", []))
        if headers.get("Event") == "QueueParams":
            params[headers["Queue"]] = headers
    return params


def test_busy_queue_statistics_match_asterisk_and_queue_log(db):
    run(db, "replay", str(AMI / "busy_queue.jsonl"))
    stats = {row["queue"]: row for row in json.loads(run(db, "queues", "stats", "--json"))}
    asterisk = asterisk_summary("busy_queue.asterisk_stats")["support"]
    assert stats["support"]["answered"] == int(asterisk["Completed"]) == 24
    assert stats["support"]["abandoned"] == int(asterisk["Abandoned"]) == 0
    assert stats["support"]["offered"] == 24
    # Asterisk's Holdtime/TalkTime are moving averages: compare means with queue_log's per-call values.
    log = [line.split("|") for line in (AMI / "asterisk20.queue_log").read_text().splitlines()]
    run_ids = {row[1] for row in log if row[4] == "ENTERQUEUE" and float(row[0]) >= 1795494983}
    waits = [int(row[5]) for row in log if row[4] == "CONNECT" and row[1] in run_ids]
    talks = [int(row[6]) for row in log if row[4] == "COMPLETECALLER" and row[1] in run_ids]
    assert abs(stats["support"]["asa_s"] - sum(waits) / len(waits)) < 1
    assert abs(stats["support"]["talk_s"] - sum(talks) / len(talks)) < 1


def test_replaying_twice_changes_nothing(db):
    run(db, "replay", str(AMI / "busy_queue.jsonl"), str(AMI / "pjsip22_exits.jsonl"))
    first = run(db, "calls", "list", "--json"), run(db, "queues", "stats", "--json")
    run(db, "replay", str(AMI / "busy_queue.jsonl"), str(AMI / "pjsip22_exits.jsonl"))
    assert (run(db, "calls", "list", "--json"), run(db, "queues", "stats", "--json")) == first
    assert len(json.loads(first[0])) == 28
