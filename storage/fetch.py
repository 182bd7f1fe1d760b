"""Fetch a page that a moderator asked to add as a source, without letting the URL reach inside.

A URL typed into Discord is untrusted: it may point at the bot's own host, the LAN, or a cloud
metadata service (server-side request forgery). So every address is checked before a socket is
opened to it, on every redirect hop:

* IP-literal hosts are checked here (aiohttp never sends them through a resolver);
* host names go through `GuardedResolver`, which checks *every* address DNS returned and refuses the
  host if any is off-limits; aiohttp then connects only to those checked addresses, so a second,
  different DNS answer (rebinding) can never be used;
* a socket factory checks the final socket address once more, as a last line of defence.

Everything that goes wrong ends as a `FetchError` with a short message fit to show the moderator.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from storage.errors import FetchError
from storage.limits import MAX_DOCUMENT_BYTES, size_text

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024

# Cloud metadata endpoints (AWS/GCP/Azure/OpenStack IPv4, AWS IPv6). Named separately so the message
# says what was being reached for; both are also caught by the link-local/private checks.
_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
# Carrier-grade NAT space (RFC 6598): not "private" to Python, but not the public internet either.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# NAT64 well-known prefix (RFC 6052): the last 32 bits are the IPv4 address actually reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What a DNS name may look like once IDNA-encoded (underscores occur in the wild). Anything else is
# refused before a lookup is even attempted.
_HOSTNAME = re.compile(
    r"(?=.{1,253}\.?\Z)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
    r"(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?",
    re.IGNORECASE,
)
# A last label that is all digits or hex means the host is meant as a (possibly legacy) IPv4 number.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. `allowed_networks` lets an operator open specific ranges (tests, an
    intranet wiki); everything else non-public stays refused."""

    max_bytes: int = MAX_DOCUMENT_BYTES
    timeout: float = 15.0  # total seconds, all redirects included
    max_redirects: int = 5
    allowed_networks: tuple[IPNetwork, ...] = ()
    content_types: frozenset[str] = frozenset(
        {"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "application/pdf"}
    )
    user_agent: str = "factbot/0.1 (+https://github.com/factbot)"


@dataclass(frozen=True)
class Fetched:
    """A successfully fetched document, raw: decoding and extraction happen in ingestion."""

    url: str  # final URL after redirects
    content_type: str  # media type, lowercased, no parameters
    charset: str | None
    body: bytes


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Parse an operator setting such as "127.0.0.0/8, ::1/128" (commas and/or spaces).

    Strict on purpose: "10.0.0.1/8" (host bits set) is rejected rather than silently widened, since
    this setting punches holes in the SSRF protection. Raises ValueError with a clear message.
    """
    networks: list[IPNetwork] = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part))
        except ValueError as exc:
            raise ValueError(f"Not a valid network: {part!r} ({exc}). Expected e.g. 127.0.0.0/8 or ::1/128.") from None
    return tuple(networks)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address really reaches (mapped, NAT64, 6to4), if any."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def check_address(ip: IPAddress, policy: FetchPolicy) -> str | None:
    """Say why `ip` must not be contacted ("a private address", ...), or None if it may be.

    Pure, so the whole address policy can be tested in a table. IPv6 forms that carry an IPv4
    address (::ffff:10.0.0.1, NAT64, 6to4) are judged by that IPv4 address, since that is what
    the connection would reach.
    """
    inner = _embedded_ipv4(ip)
    candidates = (ip,) if inner is None else (ip, inner)
    if any(addr in net for addr in candidates for net in policy.allowed_networks):
        return None
    addr = ip if inner is None else inner
    if addr in _METADATA or ip in _METADATA:
        return "a cloud metadata address"
    if addr.is_unspecified:
        return "an unspecified address"
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_multicast:
        return "a multicast address"
    if addr in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local:
        return "a site-local address"
    if addr.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        return "a reserved address"
    if addr.is_private:
        return "a private address"
    if not addr.is_global:
        return "a non-public address"
    return None


def _parse_ip(text: str) -> IPAddress | None:
    """An IP address from a host or socket address string (IPv6 zone allowed), else None."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolve with the default resolver, then refuse the host if ANY answer is off-limits.

    aiohttp connects only to the addresses this returns, so what was checked is what is used.
    Refusing the whole host (rather than dropping bad answers) keeps a name that mixes public and
    internal addresses from being used as a probe.
    """

    def __init__(self, policy: FetchPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results:
            raise FetchError(f"Could not find the host {host}.")
        for result in results:
            ip = _parse_ip(result["host"])
            if ip is None:
                raise FetchError(f"Refused: {host} resolved to something that is not an address.")
            reason = check_address(ip, self._policy)
            if reason is not None:
                raise FetchError(f"Refused: {host} resolves to {reason} ({ip}).")
        return results

    async def close(self) -> None:
        await self._inner.close()


class _RefusedSocket(OSError):
    """Raised by the socket factory; an OSError so aiohttp treats it as a failed connect."""


class _SocketGuard:
    """Socket factory that re-checks the exact address about to be connected to.

    Belt and braces behind the URL and resolver checks: if either were ever bypassed, no socket to
    an unchecked address is opened. The refusal is remembered because aiohttp wraps the error.
    """

    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy
        self.refusal: str | None = None

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        family, type_, proto, _canonname, sockaddr = addr_info
        ip = _parse_ip(str(sockaddr[0]))
        reason = "not an IP address" if ip is None else check_address(ip, self._policy)
        if reason is not None:
            self.refusal = f"Refused: {sockaddr[0]} is {reason}."
            raise _RefusedSocket(self.refusal)
        return socket.socket(family=family, type=type_, proto=proto)


def check_url(url: str | URL, policy: FetchPolicy) -> URL:
    """Parse and vet a URL before any network use; return the yarl URL to request.

    The returned object is the one handed to aiohttp, so the host checked here is exactly the host
    connected to (no second parser with a different opinion).
    """
    try:
        parsed = url if isinstance(url, URL) else URL(url.strip())
        # The standard library's parser (used below) is stricter about hosts than yarl's: `[1:2:3]`.
        netloc = urlsplit(url.strip()).netloc if isinstance(url, str) else ""
    except (ValueError, TypeError) as exc:
        raise FetchError(f"{str(url).strip()!r} is not a valid URL ({exc}).") from None
    if not parsed.scheme:
        raise FetchError("Refused: the URL must start with http:// or https://.")
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"Refused: only http:// and https:// URLs can be fetched, not {parsed.scheme}:.")
    if parsed.raw_user is not None or parsed.raw_password is not None or "@" in netloc:
        raise FetchError("Refused: URLs with a user name or password are not fetched.")
    host = parsed.host
    if not host:
        raise FetchError("Refused: the URL has no host.")

    ip = _parse_ip(host)
    if ip is None and ":" in host:
        raise FetchError(f"Refused: {host} is not a valid address.")
    if ip is None and _NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
        # 127.1, 2130706433, 0x7f000001, 0177.0.0.1: legacy spellings that resolvers turn into
        # addresses. Only the canonical dotted quad is accepted, so what is checked is unambiguous.
        ip = _parse_ip(host.rstrip("."))
        if not isinstance(ip, ipaddress.IPv4Address):
            raise FetchError(f"Refused: {host} is not a valid address.")
    if ip is not None:
        reason = check_address(ip, policy)
        if reason is not None:
            raise FetchError(f"Refused: {host} is {reason}.")
    elif not _HOSTNAME.fullmatch(parsed.raw_host or ""):
        raise FetchError(f"Refused: {host!r} is not a valid host name.")
    return parsed


async def _read_limited(response: aiohttp.ClientResponse, policy: FetchPolicy) -> bytes:
    """Read the body in chunks, stopping as soon as it passes max_bytes (never buffer a huge body)."""
    too_large = FetchError(f"Refused: the page is larger than {size_text(policy.max_bytes)}.")
    declared = response.headers.get(aiohttp.hdrs.CONTENT_LENGTH)
    if declared is not None and declared.strip().isdigit() and int(declared) > policy.max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > policy.max_bytes:
            raise too_large
    return bytes(body)


class _Trip:
    """One fetch: the session, and the URL currently being fetched (so errors name the right host)."""

    def __init__(self, session: aiohttp.ClientSession, start: URL, policy: FetchPolicy) -> None:
        self.session = session
        self.url = start
        self.policy = policy

    async def follow(self) -> Fetched:
        """GET the URL, following redirects by hand so that every hop is vetted like the first."""
        policy = self.policy
        accept = ", ".join(sorted(policy.content_types)) + ", */*;q=0.1"
        for hop in range(policy.max_redirects + 1):
            url = self.url
            async with self.session.get(url, allow_redirects=False, headers={"Accept": accept}) as response:
                status = response.status
                if status in _REDIRECT_STATUSES:
                    location = response.headers.get(aiohttp.hdrs.LOCATION)
                    if not location:
                        raise FetchError(f"{url.host} sent a redirect without saying where to.")
                    if hop == policy.max_redirects:
                        raise FetchError(f"Too many redirects (more than {policy.max_redirects}).")
                    try:
                        target = url.join(URL(location))
                    except ValueError:
                        raise FetchError(f"{url.host} redirected to an invalid URL.") from None
                    self.url = check_url(target.with_fragment(None), policy)
                    continue
                if not 200 <= status < 300:
                    reason = f" {response.reason}" if response.reason else ""
                    raise FetchError(f"{url.host} answered {status}{reason}.")
                if aiohttp.hdrs.CONTENT_TYPE not in response.headers:
                    raise FetchError("Refused: the server did not say what type of content it sent.")
                content_type = response.content_type.lower()
                if content_type not in policy.content_types:
                    raise FetchError(
                        f"Refused: {content_type} is not a supported content type (web pages, text and PDFs only)."
                    )
                body = await _read_limited(response, policy)
                charset = response.charset.lower() if response.charset else None
                return Fetched(url=str(url), content_type=content_type, charset=charset, body=body)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _connection_message(exc: aiohttp.ClientError | OSError, host: str | None) -> str:
    """Turn a transport error into one short sentence (no traceback, no internals)."""
    where = host or "the server"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"Could not find the host {where}."
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return f"Could not make a secure connection to {where} (TLS certificate problem)."
    if isinstance(exc, aiohttp.ClientConnectorError):
        errno = exc.os_error.errno
        reason = os.strerror(errno) if errno else "the connection failed"
        return f"Could not connect to {where}: {reason.rstrip('.').lower()}."
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{where} closed the connection without answering."
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"The page from {where} arrived broken or cut off."
    if isinstance(exc, aiohttp.InvalidURL):
        return "That is not a valid URL."
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{where} sent a malformed response."
    return f"Could not fetch from {where} ({type(exc).__name__})."


async def fetch_url(url: str, policy: FetchPolicy = FetchPolicy()) -> Fetched:
    """Fetch `url` under `policy`; raise FetchError with a short, user-facing message on any problem.

    No proxies from the environment (trust_env=False: a proxy would do its own, unchecked DNS), no
    cookies kept between hops, and one overall deadline covering DNS, redirects and body.
    """
    start = check_url(url, policy)
    guard = _SocketGuard(policy)
    resolver = GuardedResolver(policy)
    connector = aiohttp.TCPConnector(resolver=resolver, socket_factory=guard, use_dns_cache=False)
    session = aiohttp.ClientSession(
        connector=connector,
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=policy.timeout),
        headers={"User-Agent": policy.user_agent},
    )
    trip = _Trip(session, start, policy)
    try:
        async with asyncio.timeout(policy.timeout):
            return await trip.follow()
    except TimeoutError:
        raise FetchError(f"Fetching {trip.url.host} took too long (over {policy.timeout:g} s).") from None
    except (aiohttp.ClientError, OSError) as exc:
        if guard.refusal is not None:
            raise FetchError(guard.refusal) from None
        raise FetchError(_connection_message(exc, trip.url.host)) from None
    finally:
        await session.close()
        await resolver.close()
