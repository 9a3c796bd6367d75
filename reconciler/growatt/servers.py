"""Where the API lives (spec 1.1), and the rule that the token never travels unencrypted."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

REGIONS = {
    "eu": "https://openapi.growatt.com/v1/",
    "cn": "https://openapi-cn.growatt.com/v1/",
    "us": "https://openapi-us.growatt.com/v1/",
    "au": "https://openapi-au.growatt.com/v1/",
    "test": "https://test.growatt.com/v1/",
    "era": "https://ess-server.atesspower.com/v1/",
}
SIM = "sim"


class ServerError(ValueError):
    """A server name or URL that cannot be used."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(server: str) -> str:
    """The API base URL (ending in `/v1/`) for a region name or a URL."""
    if server in REGIONS:
        return REGIONS[server]
    parts = urlsplit(server)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        names = ", ".join([*REGIONS, SIM])
        raise ServerError(f"unknown server {server!r}: use one of {names}, or an https:// URL "
                          "of the API base ending in /v1/")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ServerError(f"refusing plain http:// to {parts.hostname}: the token would cross "
                          "the network unencrypted (use https://; http is only for loopback)")
    url = server if server.endswith("/") else server + "/"
    if not (url.endswith("/v1/") or url.endswith("/v4/")):
        raise ServerError(f"{server!r} is not an API base URL: it should end in /v1/ "
                          "(e.g. https://openapi.growatt.com/v1/)")
    return url
