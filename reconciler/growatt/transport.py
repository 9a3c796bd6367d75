"""One API request: rate-limit wait, timeout, retries with backoff, envelope, typed errors.

Every write in this API sets absolute values (a slot, a schedule, a percentage), so
repeating a write whose answer was lost is safe; that is why writes are retried like reads.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from reconciler.growatt import errors
from reconciler.growatt.limiter import Limiter, request_key

WaitHook = Callable[[float, str], None]


class Stats:
    """API calls made, per endpoint, reads and writes apart; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reads = 0
        self.writes = 0
        self.retries = 0
        self.waited_seconds = 0.0
        self.by_endpoint: dict[str, int] = {}

    def count(self, endpoint: str, is_write: bool) -> None:
        with self._lock:
            self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1
            if is_write:
                self.writes += 1
            else:
                self.reads += 1

    def add(self, retries: int = 0, waited: float = 0.0) -> None:
        with self._lock:
            self.retries += retries
            self.waited_seconds += waited

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"reads": self.reads, "writes": self.writes, "retries": self.retries,
                    "waited_seconds": round(self.waited_seconds, 3),
                    "by_endpoint": dict(self.by_endpoint)}


class Transport:
    def __init__(self, base_url: str, token: str, *, timeout: tuple[float, float],
                 max_retries: int, backoff_base: float, backoff_cap: float,
                 retry_deadline: float, limiter: Limiter, wait_on_rate_limit: bool,
                 show_countdown: bool, on_wait: WaitHook | None,
                 sleep: Callable[[float], None] | None, user_agent: str) -> None:
        self.base_url = base_url
        self._token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_deadline = retry_deadline
        self.limiter = limiter
        self.wait_on_rate_limit = wait_on_rate_limit
        self.show_countdown = show_countdown
        self.on_wait = on_wait
        self.cancelled = threading.Event()
        self._sleep = sleep
        self.stats = Stats()
        self.session = requests.Session()
        self.session.headers.update({"token": token, "User-Agent": user_agent})
        # requests would look through the environment for proxies and CA bundles on every
        # request; the host is fixed, so look once.
        self.session.proxies.update(requests.utils.get_environ_proxies(base_url))
        self.session.verify = (os.environ.get("REQUESTS_CA_BUNDLE")
                               or os.environ.get("CURL_CA_BUNDLE") or True)
        self.session.trust_env = False
        self._random = random.Random()  # noqa: S311 - jitter, not cryptography

    def redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    # ---- waiting --------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._sleep is not None:
            self._sleep(seconds)
        elif self.cancelled.wait(seconds):
            raise errors.WaitCancelledError("cancelled while waiting")

    def wait(self, seconds: float, description: str) -> None:
        """Wait out a rate-limit window, with a countdown on a terminal when it is long."""
        if self.on_wait is not None:
            self.on_wait(seconds, description)
        self.stats.add(waited=seconds)
        if not (self.show_countdown and seconds > 2) or self._sleep is not None:
            self.sleep(seconds)
            return
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            minutes, secs = divmod(int(left + 0.999), 60)
            sys.stderr.write(f"\r  waiting {minutes}:{secs:02d} for the rate-limit window "
                             f"({description}) ")
            sys.stderr.flush()
            self.sleep(min(1.0, left))
        sys.stderr.write("\r" + " " * 78 + "\r")

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^attempt)]."""
        return self._random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt))

    # ---- one request ----------------------------------------------------------------
    def call(self, method: str, endpoint: str, *, params: Mapping[str, Any] | None = None,
             data: Mapping[str, Any] | None = None, kind: errors.Kind, operation: str,
             serial: str | None = None) -> dict[str, Any]:
        """The envelope of a successful answer; a typed error otherwise."""
        is_write = kind == "write"
        fields = {**(params or {}), **(data or {})}
        key = request_key(method, endpoint, fields)
        started = time.monotonic()
        attempt = 0
        skip_limiter = False
        while True:
            if not is_write and not skip_limiter:
                self.respect_limit(key, f"{method} {endpoint}", operation, serial)
            if not is_write:
                self.limiter.record(key)
            try:
                return self.send(method, endpoint, params, data, kind, operation, serial)
            except (errors.TransportError, errors.RateLimitedError) as exc:
                retryable = not isinstance(exc, errors.HttpStatusError) or exc.status >= 500 \
                    or exc.status == 429
                delay = self.backoff(attempt)
                if isinstance(exc, errors.RateLimitedError):
                    # The cloud's window is per request: the same request needs the whole
                    # window, not a short backoff. Wait for it only when allowed to wait.
                    delay = max(delay, self.limiter.interval)
                    exc.retry_after = delay
                    retryable = retryable and self.wait_on_rate_limit
                spent = time.monotonic() - started
                if (not retryable or attempt >= self.max_retries
                        or spent + delay > self.retry_deadline):
                    raise
                attempt += 1
                self.stats.add(retries=1)
                if isinstance(exc, errors.RateLimitedError) and delay > 0:
                    self.wait(delay, f"{method} {endpoint}, refused by the cloud")
                else:
                    self.sleep(delay)
                skip_limiter = True  # the wait above already covers this request

    def respect_limit(self, key: str, description: str, operation: str,
                      serial: str | None) -> None:
        wait = self.limiter.wait_time(key)
        if wait <= 0:
            return
        if not self.wait_on_rate_limit:
            raise errors.RateLimitedError(
                f"this read was made {self.limiter.interval - wait:.0f} s ago; the cloud "
                f"refuses it again for {wait:.0f} s", retry_after=wait, operation=operation,
                serial=serial, error_code=None, error_msg="")
        self.wait(wait, description)

    def send(self, method: str, endpoint: str, params: Mapping[str, Any] | None,
             data: Mapping[str, Any] | None, kind: errors.Kind, operation: str,
             serial: str | None) -> dict[str, Any]:
        context: dict[str, Any] = {"operation": operation, "serial": serial}
        self.stats.count(endpoint, kind == "write")
        try:
            response = self.session.request(method, self.base_url + endpoint, params=params,
                                            data=data, timeout=self.timeout)
            if kind != "write":
                # The cloud's window starts when it received the request, which is no later
                # than now: counting from the answer keeps the next identical read outside it.
                self.limiter.record(request_key(method, endpoint, {**(params or {}),
                                                                   **(data or {})}))
        except requests.Timeout:
            raise errors.RequestTimeoutError(
                f"no answer within {self.timeout[1]:g} s", **context) from None
        except requests.RequestException as exc:
            reason = self.redact(type(exc).__name__)
            raise errors.ConnectionFailedError(f"cannot reach {self.base_url} ({reason})",
                                               **context) from None
        if response.status_code >= 400:
            raise errors.HttpStatusError(f"HTTP {response.status_code} from the server",
                                         status=response.status_code, **context)
        try:
            body = response.json()
        except ValueError:
            kind_of = "an HTML page" if "html" in response.headers.get(
                "Content-Type", "").lower() else "a body that is not JSON"
            raise errors.BadResponseError(f"the server answered with {kind_of}",
                                          **context) from None
        if not isinstance(body, dict) or "error_code" not in body:
            raise errors.BadResponseError("the answer has no API envelope", **context)
        try:
            code = int(body["error_code"])
        except (TypeError, ValueError):
            raise errors.BadResponseError("the answer's error_code is not a number",
                                          **context) from None
        if code != 0:
            message = str(body.get("error_msg") or "")[:200]
            raise errors.error_for(code, self.redact(message), kind=kind, operation=operation,
                                   serial=serial)
        return body

    def close(self) -> None:
        self.limiter.flush()
        self.session.close()
