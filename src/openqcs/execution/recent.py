"""Jobs submitted in this process, so their submitter's results call needs no database read.

A parametric re-run asks for its results right after Execute returns, while the job runs: the
results call would read the job only to learn that it is the caller's and not finished. Here
the submission leaves the job's owner (and the auth generation it was authorized under) and the
worker that stores its result leaves the result, so the owner's call waits for the push, or
takes the result, from memory. A caller who is not the submitter, a job from another process or
evicted from here, or a changed auth generation (users changed, state reset) read the database
as before.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache

SIZE = 512
# A larger result (many shots or registers) is not kept: its waiting call gets it pushed anyway,
# and a later call reads it from the database. So at most SIZE x MAX_RESULT_BYTES (32 MB).
MAX_RESULT_BYTES = 64 * 1024


class RecentJobs:
    def __init__(self, size: int = SIZE) -> None:
        self._lock = threading.Lock()
        # job id -> [database, auth generation, user id, result or None while it runs]
        self._jobs: LRUCache[str, list[object]] = LRUCache(size)

    def submitted(self, database: object, generation: int | None, user_id: int, job_ids: list[str]) -> None:
        if generation is None:
            return
        with self._lock:
            for job_id in job_ids:
                self._jobs[job_id] = [database, generation, user_id, None]

    def finished(self, job_id: str, result: bytes | None) -> None:
        """Its stored result (None: it ended some other way; the database tells how)."""
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is None:
                return
            if result is None:
                if entry[3] is None:  # else: stored here, and this is the same end told again
                    del self._jobs[job_id]
            elif len(result) > MAX_RESULT_BYTES:
                del self._jobs[job_id]
            else:
                entry[3] = result

    def lookup(self, database: object, generation: int | None, user_id: int, job_id: str,
               ) -> tuple[bool, bytes | None]:
        """(False, None) unless the job is ``user_id``'s, submitted here under ``generation``; else
        (True, its result or None while it runs)."""
        with self._lock:
            entry = self._jobs.get(job_id)
        if entry is None or generation is None or entry[:3] != [database, generation, user_id]:
            return False, None
        result = entry[3]
        assert result is None or isinstance(result, bytes)
        return True, result


RECENT = RecentJobs()
