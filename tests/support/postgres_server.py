"""A throw-away PostgreSQL cluster for the tests: initdb in a temporary folder, started on a
free port, stopped and removed at the end.

The server binaries are Debian's `postgresql` package (`.ci/run` installs it); Debian keeps
them in /usr/lib/postgresql/<major>/bin, off PATH. initdb and postgres refuse to run as root,
so as root the cluster is made and run by the `postgres` system user the package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from indexing.connection.embedded_redis import free_port

USER = "shoprec"  # the cluster's superuser; trust authentication on 127.0.0.1 only


class PostgresUnavailable(RuntimeError):
    """Why no server can be started here (the reason a test skips with)."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not installed:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found (apt-get install postgresql; .ci/run does)"
        )
    return installed[-1].parent


def _run_as() -> list[str]:
    """The command prefix that runs a server binary as a non-root user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root and there is no `postgres` user") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root and `runuser` is missing")
    return [runuser, "-u", "postgres", "--"]


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin_dir: Path
    prefix: list[str]

    @classmethod
    def create(cls) -> PostgresServer:
        bin_dir, prefix = _bin_dir(), _run_as()
        # Not under pytest's tmp folders: those are private to root, the server runs as postgres.
        root = Path(tempfile.mkdtemp(prefix="shoprec-pg-"))
        if prefix:
            entry = pwd.getpwnam("postgres")
            os.chown(root, entry.pw_uid, entry.pw_gid)
        return cls(root, free_port(), bin_dir, prefix)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.prefix, str(self.bin_dir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{tool} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
            )

    def start(self) -> None:
        try:
            self._init_and_start()
        except PostgresUnavailable:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _init_and_start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c max_connections=50"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
