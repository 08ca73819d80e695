"""``hotline serve``: the API, the pages and (when ``HOTLINE_AMI_HOST`` is set) the AMI
bridge in one process and one event loop, under uvicorn."""

from __future__ import annotations

import logging

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.state import BridgeLike
from core.bus import EventBus
from core.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def make_bridge(settings: Settings, sessions: sessionmaker[Session], bus: EventBus) -> BridgeLike | None:
    if not settings.ami_host:
        return None
    from ami_bridge.bridge import AmiBridge

    return AmiBridge(settings, sessions, bus=bus)


def build_server(settings: Settings, sessions: sessionmaker[Session], host: str, port: int) -> uvicorn.Server:
    bus = EventBus()
    app = create_app(settings, sessions=sessions, bridge=make_bridge(settings, sessions, bus), bus=bus)
    # uvicorn's access log prints paths with their query strings, which can hold callers'
    # numbers: it is off, and api.metrics writes one that names route templates only.
    config = uvicorn.Config(app, host=host, port=port, access_log=False, proxy_headers=True, server_header=False, lifespan="on")
    return uvicorn.Server(config)


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
