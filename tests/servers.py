"""Start and stop OpenAI-compatible servers on loopback for tests and benchmarks.

``LlamaServer`` runs ``python -m llama_cpp.server`` (llama-cpp-python's server) on 127.0.0.1 and a
free port, waits (bounded) until ``/v1/models`` answers, and stops the process it started (by its
id, SIGTERM then SIGKILL). Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT = 120.0  # seconds a server may take to load the model and answer


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_available() -> str | None:
    """None when ``llama_cpp.server`` can be imported, else why not."""
    try:
        import llama_cpp.server.app  # noqa: F401
        import uvicorn  # noqa: F401
    except Exception as exc:  # ImportError, or a missing extra
        return f"llama-cpp-python's server is not installed (pip install 'llama-cpp-python[server]'): {exc}"
    return None


class LlamaServer:
    """``python -m llama_cpp.server --model MODEL --host 127.0.0.1 --port P --n_ctx 2048``.

    ``start()`` waits at most ``START_TIMEOUT`` seconds; ``stop()`` terminates the process and
    waits at most 10 s before killing it; ``kill()`` kills it at once (SIGKILL, a crash).
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        port: int | None = None,
        n_ctx: int = 2048,
        n_threads: int = 1,
        extra: list[str] | None = None,
        log: str | Path | None = None,
        api_key: str | None = None,
    ) -> None:
        if model is None:
            from psychometry.backends.default_model import default_model_path

            model = default_model_path()
        self.model = str(model)
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.extra = list(extra or [])
        self.log_path = Path(log) if log else None
        self.api_key = api_key
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--n_threads_batch",
            str(self.n_threads),
            *self.extra,
        ]
        if self.api_key:
            cmd += ["--api_key", self.api_key]
        return cmd

    def start(self, timeout: float = START_TIMEOUT) -> LlamaServer:
        import httpx

        if self.log_path is not None:
            self._log = open(self.log_path, "ab")
            out = self._log
        else:
            out = subprocess.DEVNULL
        env = dict(os.environ)
        env.pop("OPENAI_API_KEY", None)
        self.proc = subprocess.Popen(
            self.command(), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"llama_cpp.server exited with code {self.proc.returncode} "
                    f"(command: {' '.join(self.command())}; log: {self.log_path})"
                )
            try:
                r = httpx.get(self.base_url + "/models", timeout=2.0, headers=headers)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout:.0f} s")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the server (a crash: no clean shutdown)."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
