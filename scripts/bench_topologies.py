"""`shoprec bench` over three Redis layouts, for docs/scaling.md (issue 20):

1. primary: one Redis (REDIS_URL) holds everything;
2. replica: the same, plus a replica of it (REDIS_READ_URL) for the vector searches;
3. cluster: the catalog on the primary, the user state on a 3-node Redis Cluster
   (REDIS_STATE_URL).

Every server is started here from the embedded wheels on free ports (the cluster with
indexing/connection/embedded_cluster.py) and stopped at the end; each layout runs the same
`shoprec bench` (same size, seed, duration, concurrency) in a subprocess with its environment,
and its results land in OUT/<layout>/bench.json; a comparison table is printed and written to
OUT/topologies.md.

    PYTHONPATH=. .venv/bin/python scripts/bench_topologies.py --size 5000 --duration 8
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from indexing.connection.embedded_cluster import EmbeddedCluster
from indexing.connection.embedded_redis import EmbeddedRedis, free_port

LAYOUTS = ("primary", "replica", "cluster")


def _replica_of(primary: EmbeddedRedis, folder: Path) -> EmbeddedRedis:
    server = EmbeddedRedis(port=free_port(), data_dir=folder, maxmemory="0")
    server.start(extra_args=("--appendonly", "no", "--replicaof", primary.host, str(primary.port)))
    client = redis.Redis.from_url(server.url)
    deadline = time.monotonic() + 60
    while client.info("replication").get("master_link_status") != "up":
        if time.monotonic() > deadline:
            raise SystemExit("the replica did not link to the primary")
        time.sleep(0.1)
    client.close()
    return server


def _bench(env: dict[str, str], args: argparse.Namespace, out: Path) -> dict:
    command = [
        sys.executable, "-m", "service.cli.main", "bench",
        "--sizes", str(args.size), "--duration", str(args.duration),
        "--concurrency", args.concurrency, "--endpoints", args.endpoints,
        "--out", str(out), "--seed", "7", "-q",
    ]  # fmt: skip
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "bench.json").read_text())


def _rows(layout: str, results: dict) -> list[str]:
    size = results["sizes"][0]
    rows = []
    for mode in ("uncached", "cached"):
        for endpoint, cells in size["http"].get(mode, {}).items():
            for cell in cells:
                rows.append(
                    f"| {layout} | {mode} | {endpoint} | {cell['concurrency']} | "
                    f"{cell['rps']:,.0f} | {cell['p50_ms']:.1f} | {cell['p99_ms']:.1f} |"
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--concurrency", default="16")
    parser.add_argument("--endpoints", default="content,user,hybrid,ab")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--out", type=Path, default=Path("bench-topologies"))
    args = parser.parse_args()
    layouts = [name for name in args.layouts.split(",") if name]
    folder = Path(tempfile.mkdtemp(prefix="shoprec-topologies-"))
    primary = EmbeddedRedis(port=free_port(), data_dir=folder / "primary", maxmemory="0")
    primary.start()
    replica = _replica_of(primary, folder / "replica") if "replica" in layouts else None
    cluster = None
    if "cluster" in layouts:
        cluster = EmbeddedCluster.on_free_ports(folder / "cluster")
        cluster.start()
    base = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
    base["REDIS_URL"] = primary.url
    base.setdefault("SHOPREC_TUNE", "0")  # the layouts are compared, not the build's tuning
    extra = {
        "primary": {},
        "replica": {"REDIS_READ_URL": replica.url} if replica else {},
        "cluster": {"REDIS_STATE_URL": cluster.url} if cluster else {},
    }
    lines = [
        "| layout | mode | endpoint | concurrency | req/s | p50 ms | p99 ms |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    try:
        for layout in layouts:
            started = time.perf_counter()
            results = _bench({**base, **extra[layout]}, args, args.out / layout)
            print(f"{layout}: {time.perf_counter() - started:.0f} s", flush=True)
            lines += _rows(layout, results)
    finally:
        for server in (replica, primary):
            if server is not None:
                server.stop()
        if cluster is not None:
            cluster.stop()
    load = os.getloadavg()
    table = "\n".join(lines) + f"\n\nload average at the end: {load[0]:.1f} {load[1]:.1f}\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "topologies.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
