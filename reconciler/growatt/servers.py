"""Where the API lives (spec 1.1), and the rule that the token never travels unencrypted."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

REGIONS = {
    "eu": "https://openapi.growatt.com/v1/",
    "cn": "https://openapi-cn.growatt.com/v1/",
    "us": "https://openapi-us.growatt.com/v1/",
    "au": "https://openapi-au.growatt.com/v1/",
    "test": "https://test.growatt.com/v1/",  # the public test server (demo token)
    # ATESS: the official page writes http://; the token must not cross the network in
    # clear, so https (give a full URL if that host ever lacks it).
    "era": "https://ess-server.atesspower.com/v1/",
}
SIM = "sim"
API_SUFFIXES = ("/v1/", "/v4/")  # spec 1.1: some clients use /v4/ for the same paths


class BadServerError(ValueError):
    """A server name or URL that cannot be used (unknown, not the API base, plain http to
    another host)."""


ServerError = BadServerError  # the name config/compile.py and older code import


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(server: str) -> str:
    """The API base URL (ending in `/v1/`) for a region name or a URL; raises
    BadServerError for anything else, and for http:// to a host that is not loopback."""
    if server in REGIONS:
        return REGIONS[server]
    parts = urlsplit(server)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        names = ", ".join([*REGIONS, SIM])
        raise BadServerError(f"unknown server {server!r}: use one of {names}, or an https:// "
                             "URL of the API base ending in /v1/")
    if parts.username or parts.password:
        raise BadServerError("the server URL must not carry a user or password")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise BadServerError(f"refusing plain http:// to {parts.hostname}: the token would "
                             "cross the network unencrypted (use https://; http is only for "
                             "loopback)")
    if parts.query or parts.fragment:
        raise BadServerError(f"{server!r} is not an API base URL: no query or fragment")
    url = server if server.endswith("/") else server + "/"
    if not url.endswith(API_SUFFIXES):
        raise BadServerError(f"{server!r} is not an API base URL: it should end in /v1/ "
                             "(e.g. https://openapi.growatt.com/v1/)")
    return url


def host_url(api_url: str) -> str:
    """The part before `v1/` (what the community client calls `server_url`)."""
    for suffix in API_SUFFIXES:
        if api_url.endswith(suffix):
            return api_url[: -len(suffix) + 1]
    return api_url


def api_url_from_server_url(server_url: str) -> str:
    """`server_url` as users set it: a region name, a host URL ("https://host/") or the
    API base itself ("https://host/v1/"). Returns the checked API base."""
    if server_url in REGIONS:
        return REGIONS[server_url]
    url = server_url if server_url.endswith("/") else server_url + "/"
    return base_url(url if url.endswith(API_SUFFIXES) else url + "v1/")
