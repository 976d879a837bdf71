"""Exclusive ownership of an embedded (chdb) database directory.

chdb runs ClickHouse inside one process; two processes writing one directory corrupt it or
fail obscurely. The owner holds an ``flock`` for its lifetime (released by the kernel even on
SIGKILL), and a second opener gets a message that says who holds it and what to do.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class DatabaseLocked(RuntimeError):
    def __init__(self, message: str, holder: str = "") -> None:
        super().__init__(message)
        self.holder = holder
        """What the owning process wrote in the lock file, e.g. ``pid 7: aiops worker (sql
        http://127.0.0.1:6066/)``: `aiops query` finds the worker's SQL endpoint in it."""


class DirectoryLock:
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / ".aiops-owner.lock"
        self._fd: int | None = None

    def acquire(self, owner: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace").strip() or "unknown process"
            os.close(fd)
            raise DatabaseLocked(
                f"the embedded ClickHouse database at {self.path.parent} is already open in "
                f"another process ({holder}). Only one process may own it: stop that process "
                "(e.g. the running `aiops worker`), or set AIOPS_CLICKHOUSE_CHDB_PATH to another "
                "directory, or use a ClickHouse server with AIOPS_CLICKHOUSE_URL.", holder
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {owner}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
