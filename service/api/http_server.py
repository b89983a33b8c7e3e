"""Run the app under uvicorn, with worker processes, with TCP_NODELAY on every connection, and
with bounded connections (service/api/bounded_http.py, settings.resources).

uvicorn's multi-worker path binds the listening socket itself with `proto` 0; asyncio then
skips TCP_NODELAY on accepted connections, and on a keep-alive connection every answer after
the first waits ~40 ms for the client's delayed ACK (headers and body go out as two writes).
See Kludex/uvicorn#3149. Linux copies TCP_NODELAY from the listener to accepted sockets, so
setting it on the listener fixes every worker.

Each worker also freezes the objects of its start-up (see `served_app`).
"""

from __future__ import annotations

import copy
import gc
import socket
from typing import Any

import uvicorn
from litestar import Litestar
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from indexing.contract.settings import ResourceSettings
from service.api.app import create_app
from service.api.bounded_http import BoundedHttpToolsProtocol, HttpLimits

APP = "service.api.http_server:served_app"


def served_app() -> Litestar:
    """The app as a server worker runs it. The imports (numpy, pandas, redisvl, Litestar) leave
    ~100K long-lived objects that every full garbage collection walks again: 30-70 ms, a
    stall for every request in flight, and the p99 of the heaviest endpoints (measured with
    `shoprec bench`). Frozen, they are left out of collections."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


class ServerConfig(uvicorn.Config):
    """uvicorn's config, plus the header limits the bounded protocol reads from it."""

    def __init__(self, app: Any, http_limits: HttpLimits, **kwargs: Any):
        super().__init__(app, **kwargs)
        self.http_limits = http_limits

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def logging_config(log_json: bool) -> dict[str, Any]:
    """uvicorn's logging, plus the `shoprec.access` JSON lines when asked for. uvicorn applies
    it in every worker process, where the CLI's own logging set-up does not reach."""
    config = copy.deepcopy(LOGGING_CONFIG)
    if log_json:
        config["formatters"]["json_line"] = {"format": "%(message)s"}
        config["handlers"]["json_line"] = {
            "class": "logging.StreamHandler",
            "formatter": "json_line",
            "stream": "ext://sys.stdout",
        }
        config["loggers"]["shoprec.access"] = {
            "handlers": ["json_line"],
            "level": "INFO",
            "propagate": False,
        }
    return config


def server_config(
    app: str | Litestar,
    host: str,
    port: int,
    resources: ResourceSettings,
    workers: int = 1,
    access_log: bool = False,
    log_level: str = "info",
    log_json: bool = False,
) -> ServerConfig:
    """How `shoprec serve` configures uvicorn (the tests serve through the same function)."""
    return ServerConfig(
        app,
        HttpLimits(
            resources.http_max_header_bytes,
            resources.http_max_headers,
            resources.http_header_timeout_s,
        ),
        factory=isinstance(app, str),
        host=host,
        port=port,
        workers=workers,
        # In JSON mode our line replaces uvicorn's access line (one line per request).
        access_log=access_log and not log_json,
        log_config=logging_config(log_json),
        log_level=log_level,
        http=BoundedHttpToolsProtocol,
        timeout_keep_alive=resources.http_keep_alive_s,
        timeout_worker_healthcheck=resources.worker_start_timeout_s,
        # No `server: uvicorn` banner: nothing tells a scanner which server to try.
        server_header=False,
    )


def serve(
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    resources: ResourceSettings,
    log_json: bool = False,
    log_level: str = "info",
) -> None:
    config = server_config(APP, host, port, resources, workers, access_log, log_level, log_json)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
