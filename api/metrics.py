"""``/metrics`` for Prometheus (prometheus-client: the exposition format and histogram
buckets are its job, not ours).

Bridge and queue figures are read when Prometheus scrapes (a custom collector), so they
are never stale and cost nothing between scrapes. AMI messages per second is
``rate(hotline_ami_messages_total[1m])``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.live_view import aged, bridge_rows

if TYPE_CHECKING:
    from api.state import AppState

access_log = logging.getLogger("hotline.access")


class _LiveCollector(Collector):
    def __init__(self, state: AppState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state
        bridge = state.bridge
        connected = GaugeMetricFamily("hotline_ami_connected", "1 while the AMI bridge is logged in to its PBX.", labels=["server_id"])
        messages = CounterMetricFamily("hotline_ami_messages", "AMI messages received (rate() gives messages per second).", labels=["server_id"])
        reconnects = CounterMetricFamily("hotline_ami_reconnects", "Times the bridge reconnected to its PBX.", labels=["server_id"])
        lag = GaugeMetricFamily("hotline_ami_bridge_lag_seconds", "Receive → committed delay of the bridge's last batch.", labels=["server_id"])
        last = GaugeMetricFamily("hotline_ami_last_message_timestamp_seconds", "When the last AMI message arrived (epoch).", labels=["server_id"])
        if bridge is not None:
            sid = bridge.server_id
            connected.add_metric([sid], 1.0 if bridge.connected else 0.0)
            messages.add_metric([sid], float(bridge.stats.messages))
            reconnects.add_metric([sid], float(bridge.stats.reconnects))
            lag.add_metric([sid], float(bridge.stats.lag_s or 0.0))
            if bridge.stats.last_message_at:
                last.add_metric([sid], float(bridge.stats.last_message_at))
        yield from (connected, messages, reconnects, lag, last)

        waiting = GaugeMetricFamily("hotline_queue_callers_waiting", "Callers waiting in the queue now.", labels=["server_id", "queue"])
        longest = GaugeMetricFamily("hotline_queue_longest_wait_seconds", "The longest current wait in the queue.", labels=["server_id", "queue"])
        agents = GaugeMetricFamily("hotline_queue_agents", "Queue members by status.", labels=["server_id", "queue", "status"])
        for row in self._rows():
            labels = [row["server_id"], row["queue"]]
            waiting.add_metric(labels, row["callers_waiting"])
            longest.add_metric(labels, row["longest_wait_s"])
            for status in ("available", "on_call", "ringing", "paused", "unavailable"):
                agents.add_metric(labels + [status], row[f"agents_{status}"])
        yield from (waiting, longest, agents)

        clients = GaugeMetricFamily("hotline_live_clients", "WebSocket clients on the live feed of this process.")
        events = CounterMetricFamily("hotline_live_events", "Events this process's live feed passed on.")
        feed = state.feed
        clients.add_metric([], float(feed.clients.subscribers if feed else 0))
        events.add_metric([], float(feed.events if feed else 0))
        yield from (clients, events)

    def _rows(self) -> list[dict[str, Any]]:
        # Scrapes must not touch the database: only what this process holds in memory.
        feed = self.state.feed
        if feed is None:
            return []
        rows = []
        now = time.time()
        mono = time.monotonic()
        seen = set()
        bridge = self.state.bridge
        if bridge is not None:
            rows.extend(bridge_rows(bridge.live, bridge.server_id, bridge.connected, now, self.state.zone))  # type: ignore[arg-type]
            seen.add(bridge.server_id)
        for server_id, (latest, received) in feed.latest.items():
            if server_id not in seen:
                rows.extend(aged(latest, mono - received))
        return rows


class Metrics:
    def __init__(self, state: AppState) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_latency = Histogram(
            "hotline_http_request_duration_seconds",
            "HTTP request latency by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.registry.register(_LiveCollector(state))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HttpMetricsMiddleware:
    """Times every HTTP request and writes the access log.

    The access log names the route template, never the path or query string: those can
    hold callers' numbers, and Hotline's logs must not (uvicorn's own access log is off).
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.http_latency.labels(scope["method"], template, str(status)).observe(elapsed)
            client = scope.get("client")
            principal = getattr(scope.get("state", {}).get("principal"), "name", "-") if isinstance(scope.get("state"), dict) else "-"
            access_log.info("%s %s %s %s %d %.1fms", client[0] if client else "-", principal, scope["method"], template, status, elapsed * 1000)
