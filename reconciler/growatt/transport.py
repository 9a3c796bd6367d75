"""One API request: rate-limit wait, timeout, retries with backoff, envelope, typed errors.

Every write in this API sets absolute values (a slot, a whole schedule, a percentage), so
repeating a write whose answer was lost is safe; that is why writes are retried like reads.
"""

from __future__ import annotations

import logging
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
log = logging.getLogger("reconciler.growatt")


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
        """A copy: changing it changes nothing here."""
        with self._lock:
            return {"reads": self.reads, "writes": self.writes, "retries": self.retries,
                    "waited_seconds": round(self.waited_seconds, 3),
                    "by_endpoint": dict(self.by_endpoint)}


def _retryable(error: errors.GrowattError) -> bool:
    """Transport failures, HTTP 5xx/429 and rate limiting may pass; nothing else will."""
    if isinstance(error, errors.HttpStatusError):
        return error.status >= 500 or error.status == 429
    return isinstance(error, errors.TransportError | errors.RateLimitedError)


class Transport:
    """Sends requests for `OpenApiV1`. The token lives only in the session's headers."""

    def __init__(self, base_url: str, token: str, *, timeout: tuple[float, float],
                 max_retries: int, backoff_base: float, backoff_cap: float,
                 retry_deadline: float, limiter: Limiter, wait_on_rate_limit: bool,
                 show_countdown: bool | None, on_wait: WaitHook | None,
                 sleep: Callable[[float], None] | None,
                 limit_writes: bool = False,
                 clock: Callable[[], float] | None, user_agent: str) -> None:
        self._token = token
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.retry_deadline = retry_deadline
        self.limiter = limiter
        self.wait_on_rate_limit = wait_on_rate_limit
        self.show_countdown = show_countdown
        self.on_wait = on_wait
        self.limit_writes = limit_writes
        self.cancelled = threading.Event()
        self._sleep = sleep
        self._clock = clock or time.monotonic
        self._known_serials: set[str] = set()
        self.stats = Stats()
        self.session = requests.Session()
        self.session.headers.update({"token": token, "User-Agent": user_agent})
        # Not from the environment: .netrc could add an Authorization header, and requests
        # would look for proxies and CA bundles on every request. Look once, here.
        self.session.trust_env = False
        self.session.verify = (os.environ.get("REQUESTS_CA_BUNDLE")
                               or os.environ.get("CURL_CA_BUNDLE") or True)
        self._random = random.Random()  # noqa: S311 - jitter, not cryptography
        self.base_url = base_url

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, url: str) -> None:
        self._base_url = url
        self.session.proxies.clear()
        self.session.proxies.update(requests.utils.get_environ_proxies(url))

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

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

    def countdown_wanted(self, seconds: float) -> bool:
        if seconds <= 2:
            return False
        if self.show_countdown is None:  # automatic: only where a person watches
            return bool(getattr(sys.stderr, "isatty", lambda: False)())
        return self.show_countdown

    def wait(self, seconds: float, description: str) -> None:
        """Wait out a rate-limit window; a countdown on stderr when it is long."""
        if self.on_wait is not None:
            self.on_wait(seconds, description)
        self.stats.add(waited=seconds)
        log.info("waiting %.1f s for the rate-limit window (%s)", seconds, description)
        if not self.countdown_wanted(seconds):
            self.sleep(seconds)
            return
        left = seconds
        while left > 0:
            minutes, secs = divmod(int(left + 0.999), 60)
            sys.stderr.write(f"\r  waiting {minutes}:{secs:02d} for the rate-limit window "
                             f"({description}) ")
            sys.stderr.flush()
            step = min(1.0, left)
            self.sleep(step)
            left -= step
        sys.stderr.write("\r" + " " * 78 + "\r")
        sys.stderr.flush()

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^attempt)]."""
        return self._random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt))

    def respect_limit(self, key: str, description: str, operation: str,
                      serial: str | None, endpoint: str) -> None:
        """Return once the request may go (and is recorded as going), or raise
        RateLimitedError when the caller asked not to wait."""
        wait = self.limiter.reserve(key)
        if wait <= 0:
            return
        if not self.wait_on_rate_limit:
            raise errors.RateLimitedError(
                f"this request was made {self.limiter.interval - wait:.0f} s ago; the "
                f"cloud refuses it again for {wait:.0f} s", retry_after=wait,
                operation=operation, serial=serial, endpoint=endpoint)
        self.wait(wait, description)
        # Once, not in a loop: an injected sleep does not move the clock.
        self.limiter.record(key)

    # ---- one request ----------------------------------------------------------------
    def call(self, method: str, endpoint: str, *, params: Mapping[str, Any] | None = None,
             data: Mapping[str, Any] | None = None, kind: errors.Kind, operation: str,
             serial: str | None = None) -> dict[str, Any]:
        """The envelope of a successful answer; a typed error otherwise."""
        # Writes are not held back by the read window unless asked (the cloud does not
        # limit them, as far as anyone knows: spec 4.4); reads are.
        limited = kind != "write" or self.limit_writes
        fields = {**(params or {}), **(data or {})}
        key = request_key(method, endpoint, fields)
        description = f"{method} {endpoint}" + (f" {serial}" if serial else "")
        started: float | None = None
        attempt = 0
        cleared = False  # the limiter already let this request through
        while True:
            if limited and not cleared:
                self.respect_limit(key, description, operation, serial, endpoint)
            if started is None:
                started = self._clock()  # retries are bounded from the first send on
            try:
                return self.send(method, endpoint, params, data, kind, operation, serial,
                                 key if limited else None)
            except (errors.TransportError, errors.RateLimitedError) as exc:
                failure: errors.GrowattError = exc
            retryable = _retryable(failure)
            delay = self.backoff(attempt)
            if isinstance(failure, errors.RateLimitedError):
                # The cloud's window is per request: the same request needs the whole
                # window, not a short backoff. Wait for it only when allowed to wait.
                delay = max(delay, self.limiter.interval)
                failure.retry_after = delay
                retryable = retryable and self.wait_on_rate_limit
            spent = self._clock() - started
            if (not retryable or attempt >= self.max_retries
                    or spent + delay > self.retry_deadline):
                raise failure
            # Retrying a write is safe: every write sets absolute values (module docstring).
            attempt += 1
            self.stats.add(retries=1)
            log.info("%s failed (%s); retry %d of %d in %.2f s", description,
                     type(failure).__name__, attempt, self.max_retries, delay)
            if isinstance(failure, errors.RateLimitedError):
                self.wait(delay, f"{description}, refused by the cloud")
            else:
                self.sleep(delay)
            cleared = True  # the wait above already covers this request

    def send(self, method: str, endpoint: str, params: Mapping[str, Any] | None,
             data: Mapping[str, Any] | None, kind: errors.Kind, operation: str,
             serial: str | None, limiter_key: str | None = None) -> dict[str, Any]:
        """One HTTP exchange. Errors are raised outside `except` blocks on purpose: an
        exception from requests holds the request with its headers (the token), and a
        raise inside the handler would keep it reachable as `__context__`."""
        context: dict[str, Any] = {"operation": operation, "serial": serial,
                                   "endpoint": endpoint}
        self.stats.count(endpoint, kind == "write")
        log.debug("%s %s (%s%s)", method, endpoint, operation, f" {serial}" if serial else "")
        response: requests.Response | None = None
        failure: errors.GrowattError | None = None
        try:
            # No redirects: requests would carry the custom `token` header to wherever a
            # redirect points, http:// included.
            response = self.session.request(method, self.base_url + endpoint, params=params,
                                            data=data, timeout=self.timeout,
                                            allow_redirects=False)
        except requests.ConnectTimeout:
            failure = errors.RequestTimeoutError(
                f"no connection within {self.timeout[0]:g} s", **context)
        except requests.Timeout:
            failure = errors.RequestTimeoutError(
                f"no answer within {self.timeout[1]:g} s", **context)
        except requests.RequestException as exc:
            failure = errors.ConnectionFailedError(
                f"cannot reach {self.base_url} ({self.redact(type(exc).__name__)})", **context)
        if limiter_key is not None:
            # The cloud's window starts when it received the request, which is no later
            # than now: counting from the answer keeps the next identical read outside it.
            self.limiter.record(limiter_key)
        if failure is not None:
            raise failure
        assert response is not None  # noqa: S101 - for the type checker
        return self.envelope(response, kind, context)

    def envelope(self, response: requests.Response, kind: errors.Kind,
                 context: dict[str, Any]) -> dict[str, Any]:
        """The parsed envelope of a 2xx answer with error_code 0; typed errors otherwise."""
        status = response.status_code
        if status >= 300:
            what = "a redirect" if status < 400 else "an error status"
            raise errors.HttpStatusError(f"HTTP {status} from the server ({what})",
                                         status=status, **context)
        body: Any = None
        parsed = True
        try:
            body = response.json()
        except ValueError:
            parsed = False
        if not parsed:
            kind_of = ("an HTML page" if "html" in response.headers.get("Content-Type", "")
                       .lower() else "a body that is not JSON")
            raise errors.BadResponseError(f"the server answered with {kind_of}", **context)
        if not isinstance(body, dict) or "error_code" not in body:
            raise errors.BadResponseError("the answer has no API envelope", **context)
        code_value = body["error_code"]
        code = None
        if isinstance(code_value, int | str) and not isinstance(code_value, bool):
            try:
                code = int(code_value)  # an integer on the wire; "0" is tolerated
            except ValueError:
                code = None
        if code is None:
            raise errors.BadResponseError("the answer's error_code is not a number", **context)
        serial = context.get("serial")
        if code == 0:
            if serial:
                self._known_serials.add(serial)
            return body
        message = self.redact(str(body.get("error_msg") or ""))[:200]
        log.debug("%s answered error_code %d (%s)", context["endpoint"], code, message)
        raise errors.error_for(code, message, kind=kind, operation=context["operation"],
                               serial=serial, endpoint=context["endpoint"],
                               serial_known=bool(serial) and serial in self._known_serials)

    def close(self) -> None:
        self.limiter.flush()
        self.session.close()
