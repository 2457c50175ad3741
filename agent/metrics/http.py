"""`/metrics` over HTTP (or HTTPS with the agent's TLS certificate), on its own thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from omnix.agent.config import split_host_port
from prometheus_client import CollectorRegistry, start_http_server


@dataclass
class MetricsServer:
    """A running `/metrics` endpoint; `close` stops it."""

    address: str
    server: WSGIServer
    thread: threading.Thread

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(
    registry: CollectorRegistry, address: str, *, certfile: str = "", keyfile: str = ""
) -> MetricsServer:
    """Serve `registry` on `address` (host:port; port 0 picks a free one). With a
    certificate and key it is HTTPS. Raises OSError when the address is taken."""
    host, port = split_host_port(address)
    server, thread = start_http_server(
        port, host, registry=registry, certfile=certfile or None, keyfile=keyfile or None
    )
    bound = server.server_address
    bound_host = bound[0].decode() if isinstance(bound[0], bytes) else str(bound[0])
    bound_port = int(bound[1])
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return MetricsServer(f"{shown}:{bound_port}", server, thread)
