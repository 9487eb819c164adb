"""The `fusion_node` console script run as a child process, its output kept in a log file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

STOP_TIMEOUT_S = 30.0


def fusion_node_executable() -> Path:
    """The `fusion_node` console script installed next to this Python interpreter."""
    path = Path(sys.executable).with_name("fusion_node")
    if not path.exists():
        raise RuntimeError(f"{path} not found: install the package (pip install -e .)")
    return path


class FusionNodeProcess:
    """Runs `fusion_node --ros-args --params-file FILE -p NAME:=VALUE ...` (a context manager).

    `env` is added to this process's environment (never replacing it, so LD_LIBRARY_PATH and
    the like survive); a None value removes that variable. Stopping sends SIGINT, which the
    node answers by shutting down cleanly; it is killed only when it does not exit within the
    timeout.
    """

    def __init__(self, params_file: str | Path, overrides: Mapping[str, object],
                 log_path: str | Path, env: Mapping[str, str | None]) -> None:
        self.log_path = Path(log_path)
        self._command = [str(fusion_node_executable()), "--ros-args",
                         "--params-file", str(params_file)]
        for name, value in overrides.items():
            self._command += ["-p", f"{name}:={value}"]
        merged = {**os.environ, **env}
        self._env = {name: value for name, value in merged.items() if value is not None}
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> FusionNodeProcess:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self._process = subprocess.Popen(self._command, env=self._env, stdout=log,
                                             stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the node process has not been started")
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended, else None."""
        return None if self._process is None else self._process.poll()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGINT, then wait (kill after `timeout` s); the exit status (None if never started)."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode
