"""ROS domain ids leased for exclusive use on this host, so concurrent test runs (and several
test modules of one run) never share a DDS graph.

A lease holds an exclusive `flock` on `<lock_dir>/domain-<id>.lock` until `release()` or until
the process exits (the kernel drops the lock even after a crash, so no lock goes stale). Only
processes that lease through this module are kept apart: a manual run on a fixed domain is not.

How a test uses it: ask for the `ros_domain` fixture (test/conftest.py, module scope). It
leases a domain, sets ROS_DOMAIN_ID and ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST in os.environ
for the module, and returns the id, which child processes inherit through the environment::

    def test_something(ros_domain):
        with SpunNode("my_test_node") as spun:  # ROS_DOMAIN_ID is the leased domain
            ...

Outside pytest (launch tests, scripts): ``with lease_domain() as lease: ... lease.domain_id``.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

# 0 is everyone's default and 42 is `make demo`'s; Fast DDS's port formula allows 0-232.
FIRST_TEST_DOMAIN, LAST_TEST_DOMAIN = 110, 199
LOCK_DIR_ENV = "TEXTFUSION_DOMAIN_LOCK_DIR"


class DomainsExhaustedError(RuntimeError):
    """Every domain of the range is leased by another process."""


class DomainLease:
    """An exclusive claim on one ROS domain id; a context manager that releases it."""

    def __init__(self, domain_id: int, lock_file: int, lock_path: Path) -> None:
        self.domain_id = domain_id
        self.lock_path = lock_path
        self._lock_file: int | None = lock_file

    def release(self) -> None:
        """Give the domain back (idempotent)."""
        if self._lock_file is not None:
            os.close(self._lock_file)  # closing the descriptor drops the flock
            self._lock_file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()


def default_lock_dir() -> Path:
    """$TEXTFUSION_DOMAIN_LOCK_DIR, or one folder in the system temp dir shared by all users."""
    return Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "ros_domain_locks")


def lease_domain(first: int = FIRST_TEST_DOMAIN, last: int = LAST_TEST_DOMAIN,
                 lock_dir: Path | None = None) -> DomainLease:
    """Lease the first free domain id in [first, last] (the scan starts at a per-process
    offset so that concurrent runs rarely contend for the same lock)."""
    if not 0 <= first <= last <= 232:
        raise ValueError(f"domain range [{first}, {last}] is outside 0-232")
    lock_dir = lock_dir or default_lock_dir()
    lock_dir.mkdir(mode=0o1777, parents=True, exist_ok=True)
    count = last - first + 1
    start = os.getpid() % count
    for step in range(count):
        domain_id = first + (start + step) % count
        path = lock_dir / f"domain-{domain_id}.lock"
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return DomainLease(domain_id, descriptor, path)
    raise DomainsExhaustedError(f"all ROS domains {first}-{last} are leased (locks in {lock_dir})")
