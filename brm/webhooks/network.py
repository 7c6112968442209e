"""Where a webhook may be sent, and the one HTTP POST that sends it.

Server-side request forgery is the risk: an administrator's URL (or a DNS name that later
points elsewhere) must not make the server call its own loopback, the private network, a
link-local address or a cloud metadata service. So, at send time:

1. only ``http``/``https`` URLs with a host and no user-info are accepted;
2. the host is resolved, and EVERY address it resolves to must be public
   (`ipaddress` ``is_global``, not multicast, not a known metadata address), unless the host is
   named in ``settings.WEBHOOK_ALLOWED_HOSTS`` (on-premises receivers);
3. the connection goes to an address that was checked (the URL's host is replaced by the IP;
   the ``Host`` header and, for https, the TLS server name and certificate check keep the
   name), so a DNS answer that changes between the check and the connection (DNS rebinding)
   cannot redirect it;
4. redirects are never followed, and every phase has a timeout (``WEBHOOK_TIMEOUT`` seconds).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.utils import timezone

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
# Cloud metadata services that are reachable at addresses `is_global` does not catch (the
# link-local and unique-local ones are refused anyway): Alibaba, Azure's wire server.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
EXCERPT_CHARS = 1000
READ_LIMIT = 8192  # bytes of an answer read at most


class RefusedTarget(Exception):
    """The URL, or an address its host resolves to, may not be called (never retried)."""


class ResolutionFailed(Exception):
    """The host did not resolve (retried: DNS may be down for a while)."""


def allowed_hosts() -> set[str]:
    """Host names (lower case) exempt from the address check, ``WEBHOOK_ALLOWED_HOSTS``."""
    return {h.strip().lower() for h in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []) if h}


def check_url(url: str) -> SplitResult:
    """The URL split, if its form is acceptable: http(s), a host, no user-info, a valid port.

    Raises `RefusedTarget` with the reason otherwise. Used when a subscription is saved and
    again at every send.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise RefusedTarget("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise RefusedTarget("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("Put no user name or password in the URL; the signature authenticates.")
    if port == 0:
        raise RefusedTarget("Port 0 is not a valid port.")
    return parts


def refusal(address: IPAddress) -> str:
    """Why `address` may not receive webhooks ("" when it may): loopback, private, link-local,
    reserved, multicast or a metadata service. IPv4 mapped into IPv6 is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_private or not address.is_global:
        return f"{address} is a private or reserved address"
    return ""


@dataclass(frozen=True)
class Target:
    """A checked URL: its parts and the addresses it may be connected to, in order."""

    parts: SplitResult
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def resolve(url: str) -> Target:
    """Check `url` and resolve its host now; raise `RefusedTarget` if the form or ANY address
    is refused (unless the host is in ``WEBHOOK_ALLOWED_HOSTS``), `ResolutionFailed` if the
    name does not resolve."""
    parts = check_url(url)
    host = (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    try:
        addresses: tuple[IPAddress, ...] = (ipaddress.ip_address(host),)
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ResolutionFailed(f"{host} did not resolve: {exc}") from None
        found: dict[IPAddress, None] = {}
        for info in infos:
            # An IPv6 scope ("fe80::1%eth0") is dropped; such addresses are refused anyway.
            found[ipaddress.ip_address(str(info[4][0]).split("%")[0])] = None
        addresses = tuple(found)
    if not addresses:
        raise ResolutionFailed(f"{host} resolved to no address.")
    if host not in allowed_hosts():
        reasons = [r for r in map(refusal, addresses) if r]
        if reasons:
            raise RefusedTarget(
                f"{host} may not receive webhooks: {'; '.join(reasons)} "
                "(allow named on-premises hosts with WEBHOOK_ALLOWED_HOSTS)."
            )
    return Target(parts, host, port, addresses)


@dataclass(frozen=True)
class Answer:
    """What one POST gave: the status (None when no answer came), an excerpt of the body, the
    error for a failure without an answer, `Retry-After` in seconds if sent, and the time."""

    status: int | None
    excerpt: str
    error: str
    retry_after: float | None
    duration_ms: int
    refused: bool = False  # the target was refused before any connection: never retried


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` (RFC 9110: seconds, or an HTTP date) as seconds from now; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _timeout() -> httpx.Timeout:
    seconds = float(getattr(settings, "WEBHOOK_TIMEOUT", 5))
    return httpx.Timeout(seconds, connect=min(seconds, 3.0))


def _pinned(target: Target, address: IPAddress) -> tuple[str, dict[str, str]]:
    """The URL with the checked address in place of the host, and the Host header."""
    ip = f"[{address}]" if address.version == 6 else str(address)
    default = DEFAULT_PORTS[target.parts.scheme]
    netloc = ip if target.port == default else f"{ip}:{target.port}"
    name = f"[{target.host}]" if ":" in target.host else target.host
    host = name if target.port == default else f"{name}:{target.port}"
    path = target.parts.path or "/"
    return urlunsplit((target.parts.scheme, netloc, path, target.parts.query, "")), {"host": host}


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` once, safely (module docstring); never raises for network faults.

    Tries the checked addresses in order until one accepts the connection. Redirects are not
    followed (a 3xx is returned as it is).
    """
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = resolve(url)
    except RefusedTarget as exc:
        return Answer(None, "", str(exc), None, took(), refused=True)
    except ResolutionFailed as exc:
        return Answer(None, "", str(exc), None, took())
    error = ""
    with httpx.Client(timeout=_timeout(), follow_redirects=False, trust_env=False) as client:
        for address in target.addresses:
            pinned, host = _pinned(target, address)
            extensions = {"sni_hostname": target.host} if target.parts.scheme == "https" else {}
            try:
                with client.stream(
                    "POST",
                    pinned,
                    content=body,
                    headers={**headers, **host},
                    extensions=extensions,
                ) as response:
                    # Only the start of the answer is read: a receiver cannot make the worker
                    # hold a large body in memory.
                    start = b""
                    for chunk in response.iter_bytes():
                        start += chunk
                        if len(start) >= READ_LIMIT:
                            break
            except httpx.ConnectError as exc:
                error = f"Could not connect to {address}: {exc}"
                continue  # another address of the same name may answer
            except httpx.TimeoutException as exc:
                return Answer(None, "", f"Timed out: {type(exc).__name__}", None, took())
            except httpx.HTTPError as exc:
                return Answer(None, "", f"{type(exc).__name__}: {exc}", None, took())
            return Answer(
                response.status_code,
                start.decode("utf-8", "replace")[:EXCERPT_CHARS],
                "",
                retry_after_seconds(response.headers.get("retry-after")),
                took(),
            )
    return Answer(None, "", error or "No address to connect to.", None, took())
