"""Real processes for the multi-replica tests: gunicorn replicas, a small reverse proxy, Celery
beat and workers, all on 127.0.0.1 against this run's PostgreSQL test database and Redis.

Each helper starts exactly one process (or thread) and stops exactly that one.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "multi-process-test-key-0123456789-abcdefghijklmnopqrstuvwxyz"
CHECKPOINT_KEY = "multi-process-checkpoint-key-0123456789-abcdefghij"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def production_env(redis_url: str, **extra: str) -> dict[str, str]:
    """Production settings, as the Kubernetes ConfigMap gives them, for this run's services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.pop("TEST_DATABASE_NAME", None)
    env.update(
        DEBUG="0", SECRET_KEY=SECRET_KEY, YISHI_CHECKPOINT_KEY=CHECKPOINT_KEY, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url(), REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url,
        YISHI_TRUSTED_PROXY_COUNT="1", FORWARDED_ALLOW_IPS="127.0.0.1", LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="yishi.settings", PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


_collected = False


def collect_static(env: dict[str, str]) -> None:
    """DEBUG=0 serves hashed static names from the manifest; build it once per run."""
    global _collected
    if _collected:
        return
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    _collected = True


class Process:
    """One child process with its log in a file; ``stop()`` ends exactly this PID."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name, self.args, self.env = name, args, env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Process":
        self._log = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(self.args, cwd=BASE_DIR, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        self.proc = None


class Replica(Process):
    """gunicorn with the project's gunicorn.conf.py, as the web Deployment runs it."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, workers: int = 2):
        self.port = free_port()
        super().__init__(
            name,
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers)],
            {**env, "WEB_CONCURRENCY": str(workers)}, log_dir,
        )

    def wait_ready(self, timeout: float = 90) -> "Replica":
        deadline = time.monotonic() + timeout
        refused = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.log[-3000:]}")
            try:
                status, _headers, _body = request("127.0.0.1", self.port, "GET", "/healthz/ready")
                if status == 200:
                    return self
            except OSError as exc:  # not listening yet
                refused = exc
            time.sleep(0.3)
        pytest.fail(f"{self.name} not ready after {timeout}s (last: {refused!r}):\n{self.log[-3000:]}")


def request(host: str, port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, timeout: float = 30):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


class Proxy:
    """A few lines of reverse proxy: round robin over the replicas, X-Forwarded-For appended as
    ingress-nginx does, X-Forwarded-Proto https; a replica that refuses the connection is skipped
    (as nginx's upstream retry does), so a stopped replica costs no request."""

    def __init__(self, backends: list[Replica]):
        self.backends = backends
        self.counter = 0
        self.lock = threading.Lock()
        proxy = self

        self.log: list[str] = []  # one line per forwarded request, kept instead of printed

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                proxy.log.append(format % args)

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"connection", "keep-alive"}}
                forwarded = self.headers.get("X-Forwarded-For")
                client = self.client_address[0]
                headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
                headers["X-Forwarded-Proto"] = "https"
                for backend in proxy.order():
                    try:
                        status, response_headers, data = request("127.0.0.1", backend.port, self.command,
                                                                 self.path, body, headers)
                    except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
                        continue
                    self.send_response(status)
                    for key, value in response_headers:
                        if key.lower() not in {"connection", "transfer-encoding", "keep-alive"}:
                            self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(502)
                self.end_headers()

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def order(self) -> list[Replica]:
        with self.lock:
            self.counter += 1
            start = self.counter
        return [self.backends[(start + i) % len(self.backends)] for i in range(len(self.backends))]

    def __enter__(self) -> "Proxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Client:
    """A browser's cookies and CSRF handling, over plain http to a site that believes it is https
    (the proxy's X-Forwarded-Proto), so secure cookies are kept by hand."""

    def __init__(self, port: int, forwarded_for: str | None = None):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.forwarded_for = forwarded_for

    def at(self, port: int) -> "Client":
        """The same browser (cookies) talking to another address."""
        other = Client(port, self.forwarded_for)
        other.cookies = self.cookies
        return other

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _keep(self, response_headers) -> None:
        for key, value in response_headers:
            if key.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value

    def get(self, path: str):
        status, headers, body = request("127.0.0.1", self.port, "GET", path, headers=self._headers())
        self._keep(headers)
        return status, dict(headers), body.decode("utf-8", "replace")

    def post(self, path: str, data: dict, *, form_path: str | None = None):
        token = self.csrf_token(form_path or path)
        origin = f"https://127.0.0.1:{self.port}"
        body = urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        headers = self._headers({"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
                                 "Referer": origin + (form_path or path)})
        status, response_headers, response = request("127.0.0.1", self.port, "POST", path, body, headers)
        self._keep(response_headers)
        return status, dict(response_headers), response.decode("utf-8", "replace")

    def csrf_token(self, path: str) -> str:
        _status, _headers, body = self.get(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        return match.group(1) if match else self.cookies.get("csrftoken", "")

    def login(self, username: str, password: str):
        return self.post("/accounts/login/", {"username": username, "password": password})
