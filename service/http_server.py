"""Run the app under uvicorn, with worker processes, and with TCP_NODELAY on every connection.

uvicorn's multi-worker path binds the listening socket itself with `proto` 0; asyncio then
skips TCP_NODELAY on accepted connections, and on a keep-alive connection every answer after
the first waits ~40 ms for the client's delayed ACK (headers and body go out as two writes).
See Kludex/uvicorn#3149. Linux copies TCP_NODELAY from the listener to accepted sockets, so
setting it on the listener fixes every worker.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "service.app:create_app"


class NoDelayConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def serve(host: str, port: int, workers: int, access_log: bool, log_level: str = "info") -> None:
    config = NoDelayConfig(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level=log_level,
    )
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
