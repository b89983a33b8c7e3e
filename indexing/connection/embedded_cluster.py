"""A local Redis Cluster for the user state (REDIS_STATE_URL), for the tests and `shoprec bench`.

Its nodes are the embedded Redis (the same redis-server binary, `embedded_redis`), started with
`--cluster-enabled yes` and without the query engine: user state needs none (and RediSearch
2.10 here cannot shard an index across a cluster anyway; docs/scaling.md). Every node is a
primary; the 16384 slots are split evenly with CLUSTER ADDSLOTSRANGE, the nodes are joined with
CLUSTER MEET, and `start` returns once every node says `cluster_state:ok` and knows them all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import redis

from indexing.connection.embedded_redis import EmbeddedRedis, EmbeddedRedisError, free_port

SLOTS = 16384


@dataclass(frozen=True)
class EmbeddedCluster:
    ports: tuple[int, ...]
    # Each node's cluster bus port (by default port + 10000, which a free port above 55535
    # cannot have): given explicitly, from free ports too.
    bus_ports: tuple[int, ...]
    data_dir: Path
    host: str = "127.0.0.1"

    @classmethod
    def on_free_ports(cls, data_dir: Path, nodes: int = 3) -> EmbeddedCluster:
        ports = [free_port() for _ in range(2 * nodes)]
        return cls(tuple(ports[:nodes]), tuple(ports[nodes:]), data_dir)

    @property
    def nodes(self) -> list[EmbeddedRedis]:
        return [
            EmbeddedRedis(port=port, data_dir=self.data_dir / str(port), modules=False)
            for port in self.ports
        ]

    @property
    def url(self) -> str:
        """Any node's URL names the cluster; the cluster client finds the others."""
        return self.nodes[0].url

    def start(self, wait_s: float = 30.0) -> None:
        for node, bus in zip(self.nodes, self.bus_ports, strict=True):
            config = str(node.data_dir / "nodes.conf")
            cluster_args = ("--cluster-enabled", "yes", "--cluster-config-file", config)
            node.start(extra_args=(*cluster_args, "--cluster-port", str(bus)))
        clients = [redis.Redis(host=self.host, port=port) for port in self.ports]
        try:
            if not _ready(clients):
                for (first, last), client in zip(_slot_ranges(len(clients)), clients, strict=True):
                    if not _owned(client):
                        client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
                for port, bus in zip(self.ports[1:], self.bus_ports[1:], strict=True):
                    clients[0].execute_command("CLUSTER", "MEET", self.host, port, bus)
            deadline = time.monotonic() + wait_s
            while not _ready(clients):
                if time.monotonic() > deadline:
                    raise EmbeddedRedisError(
                        f"the cluster on ports {self.ports} did not reach cluster_state:ok"
                    )
                time.sleep(0.1)
        finally:
            for client in clients:
                client.close()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def _slot_ranges(nodes: int) -> list[tuple[int, int]]:
    """Contiguous, even slot ranges, one per node."""
    bounds = [round(i * SLOTS / nodes) for i in range(nodes + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(nodes)]


def _owned(client: redis.Redis) -> bool:
    """Whether the node already serves slots (a restarted cluster keeps its nodes.conf)."""
    return int(_info(client).get("cluster_slots_assigned", 0)) > 0


def _ready(clients: list[redis.Redis]) -> bool:
    for client in clients:
        info = _info(client)
        if info.get("cluster_state") != "ok" or int(info.get("cluster_known_nodes", 0)) < len(
            clients
        ):
            return False
    return True


def _info(client: redis.Redis) -> dict[str, str]:
    raw = client.execute_command("CLUSTER", "INFO")
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return dict(line.split(":", 1) for line in text.strip().splitlines() if ":" in line)
