"""A spawned helper process and our end of a pipe to it: the quilc compile workers and the job
simulation processes each keep one per driving thread, started again after it died."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import Any


class PipedProcess:
    def __init__(self, target: Callable[..., None], *args: Any, name: str) -> None:
        """``target(pipe end, *args)`` runs in the process."""
        self.target, self.args, self.name = target, args, name
        self.process: SpawnProcess | None = None
        self.conn: Connection | None = None

    def ensure(self) -> None:
        """Start the process unless it is running."""
        if self.process is not None and self.process.is_alive():
            return
        if self.conn is not None:  # of a process that died between uses
            self.conn.close()
        spawn = multiprocessing.get_context("spawn")
        ours, theirs = spawn.Pipe()
        process = spawn.Process(target=self.target, args=(theirs, *self.args), name=self.name, daemon=True)
        process.start()
        theirs.close()
        self.process, self.conn = process, ours

    def kill(self) -> None:
        """Stop the process and close the pipe (from the thread that uses it)."""
        if self.process is not None:
            self.process.kill()
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process = self.conn = None
