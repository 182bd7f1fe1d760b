"""Tests for storage/fetch.py against a loopback aiohttp server started here.

Nothing may leave 127.0.0.0/8: the `no_outside_traffic` guard (autouse) fails a test that tries to
resolve a name other than localhost or to connect anywhere but loopback, and blocks the attempt
before the system call, so a bug in the fetcher shows up as a failure, not as traffic.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from storage import fetch as fetch_module
from storage.errors import FetchError
from storage.fetch import (
    FetchPolicy,
    GuardedResolver,
    check_address,
    check_url,
    fetch_url,
    parse_networks,
)

LOOPBACK = parse_networks("127.0.0.0/8")
ARTICLE = "<html><head><title>Otters</title></head><body><p>Otters hold hands.</p></body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _is_loopback(host: Any) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_outside_traffic(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse (and record) any DNS lookup or connect that is not purely local."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is None or host in ("localhost", b"localhost") or _is_loopback(host):
            return real_getaddrinfo(host, *args, **kwargs)
        attempts.append(f"resolve {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, "blocked by test guard")

    def connect(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and _is_loopback(address[0]):
            return real_connect(sock, address)
        attempts.append(f"connect {address!r}")
        raise ConnectionRefusedError("blocked by test guard")

    def connect_ex(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and _is_loopback(address[0]):
            return real_connect_ex(sock, address)
        attempts.append(f"connect_ex {address!r}")
        raise ConnectionRefusedError("blocked by test guard")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts
    assert attempts == [], f"non-local network use was attempted: {attempts}"


# --- the loopback server -------------------------------------------------------------------------


def _make_app(release: asyncio.Event) -> web.Application:
    async def article(request: web.Request) -> web.Response:
        return web.Response(text=ARTICLE, content_type="text/html", charset="utf-8")

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="plain facts\n", content_type="text/plain")

    async def markdown(request: web.Request) -> web.Response:
        return web.Response(body=b"# Title\n", headers={"Content-Type": "Text/Markdown; Charset=UTF-8"})

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def binary(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x01\x02", content_type="application/octet-stream")

    async def huge_chunked(request: web.Request) -> web.StreamResponse:
        # No Content-Length: only counting while reading can stop this one.
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(256):
                await response.write(b"x" * 1024)
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    async def huge_declared(request: web.Request) -> web.StreamResponse:
        # Declares 1 GB, sends a little, then stalls: a fetcher that ignored Content-Length would
        # sit here until its timeout instead of refusing at once.
        response = web.StreamResponse(headers={"Content-Type": "text/plain", "Content-Length": str(10**9)})
        await response.prepare(request)
        await response.write(b"x" * 100)
        await release.wait()
        return response

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late", content_type="text/plain")

    async def slow_body(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"a beginning...")
        await release.wait()
        return response

    def redirect_to(location: str, status: int = 302) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": location.format(port=request.url.port)})

        return handler

    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        location = "/article" if n == 0 else f"/chain/{n - 1}"
        return web.Response(status=301, headers={"Location": location})

    async def no_location(request: web.Request) -> web.Response:
        return web.Response(status=302)

    async def server_error(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_get("/article", article)
    app.router.add_get("/notes.txt", text)
    app.router.add_get("/readme.md", markdown)
    app.router.add_get("/image.png", image)
    app.router.add_get("/binary", binary)
    app.router.add_get("/huge-chunked", huge_chunked)
    app.router.add_get("/huge-declared", huge_declared)
    app.router.add_get("/slow", slow)
    app.router.add_get("/slow-body", slow_body)
    app.router.add_get("/redirect", redirect_to("/article"))
    app.router.add_get("/redirect-absolute", redirect_to("http://127.0.0.1:{port}/notes.txt#frag", 307))
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/loop", redirect_to("/loop"))
    app.router.add_get("/to-metadata", redirect_to("http://169.254.169.254/latest/meta-data/"))
    app.router.add_get("/to-private", redirect_to("http://10.0.0.1/"))
    app.router.add_get("/to-mapped", redirect_to("http://[::ffff:10.0.0.1]/"))
    app.router.add_get("/to-ipv6-loopback", redirect_to("http://[::1]:{port}/article"))
    app.router.add_get("/to-name", redirect_to("http://evil.test:{port}/article"))
    app.router.add_get("/to-file", redirect_to("file:///etc/passwd"))
    app.router.add_get("/to-userinfo", redirect_to("http://user:pw@127.0.0.1:{port}/article"))
    app.router.add_get("/no-location", no_location)
    app.router.add_get("/error", server_error)
    return app


@pytest.fixture
async def base() -> AsyncIterator[str]:
    """Base URL of a fresh loopback server on a random port."""
    release = asyncio.Event()
    server = TestServer(_make_app(release), host="127.0.0.1", port=0, handler_cancellation=True)
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        release.set()
        await server.close()


def local(**kwargs: Any) -> FetchPolicy:
    """A policy that may reach the loopback test server, with small limits so tests stay fast."""
    kwargs.setdefault("timeout", 2.0)
    return FetchPolicy(allowed_networks=LOOPBACK, **kwargs)


# --- fetching -------------------------------------------------------------------------------------


async def test_fetches_html_article(base: str) -> None:
    got = await fetch_url(f"{base}/article", local())
    assert got.url == f"{base}/article"
    assert got.content_type == "text/html"
    assert got.charset == "utf-8"
    assert got.body == ARTICLE.encode()


@pytest.mark.parametrize(
    ("path", "content_type", "charset", "body"),
    [
        ("/notes.txt", "text/plain", "utf-8", b"plain facts\n"),
        ("/readme.md", "text/markdown", "utf-8", b"# Title\n"),  # served as "Text/Markdown; Charset=UTF-8"
    ],
)
async def test_fetches_text(base: str, path: str, content_type: str, charset: str, body: bytes) -> None:
    got = await fetch_url(base + path, local())
    assert (got.content_type, got.charset, got.body) == (content_type, charset, body)


@pytest.mark.parametrize(("path", "named_type"), [("/image.png", "image/png"), ("/binary", "application/octet-stream")])
async def test_refuses_other_content_types(base: str, path: str, named_type: str) -> None:
    with pytest.raises(FetchError, match=f"Refused: {named_type} is not a supported content type"):
        await fetch_url(base + path, local())


async def test_content_types_come_from_the_policy(base: str) -> None:
    got = await fetch_url(f"{base}/image.png", local(content_types=frozenset({"image/png"})))
    assert got.body == PNG
    with pytest.raises(FetchError, match="text/html"):
        await fetch_url(f"{base}/article", local(content_types=frozenset({"text/plain"})))


async def test_refuses_body_over_limit_while_reading(base: str) -> None:
    with pytest.raises(FetchError, match=r"larger than 10 kB"):
        await fetch_url(f"{base}/huge-chunked", local(max_bytes=10_000))


async def test_body_exactly_at_limit_is_accepted(base: str) -> None:
    got = await fetch_url(f"{base}/article", local(max_bytes=len(ARTICLE)))
    assert len(got.body) == len(ARTICLE)
    with pytest.raises(FetchError, match="larger than"):
        await fetch_url(f"{base}/article", local(max_bytes=len(ARTICLE) - 1))


async def test_refuses_declared_content_length_without_reading(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than 10 kB"):
        await fetch_url(f"{base}/huge-declared", local(max_bytes=10_000, timeout=3.0))
    assert time.monotonic() - started < 1.5  # refused on the header, not after waiting for the body


@pytest.mark.parametrize("path", ["/slow", "/slow-body"])
async def test_total_timeout(base: str, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^Fetching 127\.0\.0\.1 took too long \(over 0\.3 s\)\.$"):
        await fetch_url(base + path, local(timeout=0.3))
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(("path", "status"), [("/missing", "404 Not Found"), ("/error", "500")])
async def test_http_errors_name_the_status(base: str, path: str, status: str) -> None:
    with pytest.raises(FetchError, match=f"127.0.0.1 answered {status}"):
        await fetch_url(base + path, local())


async def test_follows_relative_redirect(base: str) -> None:
    got = await fetch_url(f"{base}/redirect", local())
    assert got.url == f"{base}/article"
    assert got.body == ARTICLE.encode()


async def test_follows_absolute_redirect_and_drops_fragment(base: str) -> None:
    got = await fetch_url(f"{base}/redirect-absolute", local())
    assert got.url == f"{base}/notes.txt"


async def test_max_redirects(base: str) -> None:
    # /chain/n answers with n + 1 redirects before reaching /article.
    got = await fetch_url(f"{base}/chain/2", local(max_redirects=3))
    assert got.url == f"{base}/article"
    with pytest.raises(FetchError, match=r"^Too many redirects \(more than 3\)\.$"):
        await fetch_url(f"{base}/chain/3", local(max_redirects=3))
    with pytest.raises(FetchError, match="Too many redirects"):
        await fetch_url(f"{base}/loop", local())
    with pytest.raises(FetchError, match=r"more than 0"):
        await fetch_url(f"{base}/redirect", local(max_redirects=0))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/to-metadata", r"^Refused: 169\.254\.169\.254 is a cloud metadata address\.$"),
        ("/to-private", r"^Refused: 10\.0\.0\.1 is a private address\.$"),
        ("/to-mapped", r"^Refused: ::ffff:a00:1 is a private address\.$"),
        ("/to-ipv6-loopback", r"^Refused: ::1 is a loopback address\.$"),  # 127/8 allowed, not ::1
        ("/to-file", r"^Refused: only http:// and https:// URLs can be fetched, not file:\.$"),
        ("/to-userinfo", "user name or password"),
        ("/no-location", "redirect without saying where"),
    ],
)
async def test_redirect_targets_are_checked_before_connecting(
    base: str, path: str, message: str, no_outside_traffic: list[str]
) -> None:
    with pytest.raises(FetchError, match=message):
        await fetch_url(base + path, local())
    assert no_outside_traffic == []


async def test_default_policy_refuses_loopback(base: str) -> None:
    with pytest.raises(FetchError, match=r"^Refused: 127\.0\.0\.1 is a loopback address\.$"):
        await fetch_url(f"{base}/article")


async def test_localhost_name_is_resolved_and_refused_by_default(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match=r"^Refused: localhost resolves to a loopback address \(.+\)\.$"):
        await fetch_url(f"http://localhost:{port}/article", FetchPolicy(timeout=2.0))


async def test_localhost_name_allowed_by_policy(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    policy = FetchPolicy(allowed_networks=parse_networks("127.0.0.0/8, ::1/128"), timeout=2.0)
    got = await fetch_url(f"http://localhost:{port}/article", policy)
    assert got.body == ARTICLE.encode()


async def test_connection_refused_is_a_short_message(no_outside_traffic: list[str]) -> None:
    with socket.socket() as probe:  # find a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match=r"^Could not connect to 127\.0\.0\.1: connection refused\.$"):
        await fetch_url(f"http://127.0.0.1:{port}/", local())


# --- host names, with a stand-in DNS so no real lookup happens -------------------------------------


class FakeResolver(AbstractResolver):
    """Answers from a table, in order per call, like a DNS server that can change its mind."""

    answers: ClassVar[dict[str, list[list[str]]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        queue = self.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for a in addresses
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    answers: dict[str, list[list[str]]] = {}
    monkeypatch.setattr(FakeResolver, "answers", answers)
    monkeypatch.setattr(fetch_module, "DefaultResolver", FakeResolver)
    return answers


async def test_resolved_name_connects_to_the_checked_address(base: str, fake_dns: dict[str, list[list[str]]]) -> None:
    port = base.rsplit(":", 1)[1]
    fake_dns["articles.test"] = [["127.0.0.1"]]
    got = await fetch_url(f"http://articles.test:{port}/article", local())
    assert got.url == f"http://articles.test:{port}/article"
    assert got.body == ARTICLE.encode()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (["10.0.0.5"], r"^Refused: example\.internal resolves to a private address \(10\.0\.0\.5\)\.$"),
        (["127.0.0.1", "10.0.0.5"], r"private address \(10\.0\.0\.5\)"),  # every answer is checked
        (["fd00:ec2::254"], r"cloud metadata address \(fd00:ec2::254\)"),
        (["::ffff:169.254.169.254"], r"cloud metadata address"),
        (["100.64.1.2"], r"shared \(carrier-grade NAT\) address"),
    ],
)
async def test_resolved_name_refused_before_connecting(
    base: str,
    fake_dns: dict[str, list[list[str]]],
    no_outside_traffic: list[str],
    answer: list[str],
    message: str,
) -> None:
    fake_dns["example.internal"] = [answer]
    with pytest.raises(FetchError, match=message):
        await fetch_url("http://example.internal/", local())
    assert no_outside_traffic == []


async def test_each_fetch_resolves_and_checks_again(base: str, fake_dns: dict[str, list[list[str]]]) -> None:
    """DNS rebinding: the name is harmless on the first lookup and internal on the next."""
    port = base.rsplit(":", 1)[1]
    fake_dns["rebind.test"] = [["127.0.0.1"], ["10.0.0.5"]]
    assert (await fetch_url(f"http://rebind.test:{port}/article", local())).body == ARTICLE.encode()
    with pytest.raises(FetchError, match=r"rebind\.test resolves to a private address \(10\.0\.0\.5\)"):
        await fetch_url(f"http://rebind.test:{port}/article", local())


async def test_redirect_to_a_name_is_resolved_and_checked(
    base: str, fake_dns: dict[str, list[list[str]]], no_outside_traffic: list[str]
) -> None:
    fake_dns["evil.test"] = [["10.0.0.5"]]
    message = r"^Refused: evil\.test resolves to a private address \(10\.0\.0\.5\)\.$"
    with pytest.raises(FetchError, match=message):
        await fetch_url(f"{base}/to-name", local())
    assert no_outside_traffic == []


async def test_guarded_resolver_directly(fake_dns: dict[str, list[list[str]]]) -> None:
    fake_dns["ok.test"] = [["93.184.216.34", "2606:2800:220:1::1"]]
    fake_dns["bad.test"] = [["::1"]]
    resolver = GuardedResolver(FetchPolicy(), inner=FakeResolver())
    answers = await resolver.resolve("ok.test", 80)
    assert [r["host"] for r in answers] == ["93.184.216.34", "2606:2800:220:1::1"]
    with pytest.raises(FetchError, match=r"^Refused: bad\.test resolves to a loopback address \(::1\)\.$"):
        await resolver.resolve("bad.test", 80)


def test_socket_factory_refuses_unchecked_address() -> None:
    """Last line of defence: no socket is created for a refused address, whatever got it there."""
    guard = fetch_module._SocketGuard(FetchPolicy())
    with pytest.raises(OSError, match="private address"):
        guard((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 80)))
    assert guard.refusal == "Refused: 10.0.0.1 is a private address."
    sock = fetch_module._SocketGuard(local())((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80)))
    sock.close()  # created, never connected


# --- URL checks (pure: no DNS, no sockets) --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://files.invalid/x", "not ftp:"),
        ("data:text/plain,hello", "not data:"),
        ("javascript:alert(1)", "not javascript:"),
        ("gopher://x.invalid/", "not gopher:"),
        ("files.invalid/page", "must start with http:// or https://"),
        ("//files.invalid/page", "must start with http:// or https://"),
        ("", "must start with"),
        ("http:///path", "has no host"),
        ("https://user:pass@files.invalid/", "user name or password"),
        ("https://user@files.invalid/", "user name or password"),
        ("https://@files.invalid/", "user name or password"),
        ("http://[::1", "not a valid URL"),
        ("http://files.invalid:99999/", "not a valid URL"),
        ("http://[1:2:3]/", "'http://\\[1:2:3\\]/' is not a valid URL"),  # issue 22: was a ValueError
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://127.0.0.1:8080/x", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://10.1.2.3/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:a9fe:a9fe]/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://[fe80::1%25eth0]/", "link-local"),
        # Legacy numeric spellings that resolvers would quietly turn into 127.0.0.1.
        ("http://2130706433/", "not a valid address"),
        ("http://127.1/", "not a valid address"),
        ("http://0x7f000001/", "not a valid address"),
        ("http://0x7f.0.0.1/", "not a valid address"),
        ("http://0177.0.0.1/", "not a valid address"),
        ("http://127.0.0.1./", "loopback"),
        ("http://ex ample.invalid/", "not a valid host name"),
        ("http://a..b.invalid/", "not a valid host name"),
        ("http://-bad.invalid/", "not a valid host name"),
        ("http://" + "a" * 64 + ".invalid/", "not a valid host name"),
    ],
)
def test_check_url_refuses(url: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        check_url(url, FetchPolicy())


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://example.com/a?b=c#d", "example.com"),
        ("HTTP://Example.COM:8080/", "example.com"),
        ("  https://example.com/  ", "example.com"),
        ("http://93.184.216.34/", "93.184.216.34"),
        ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
        ("https://bücher.example/", "xn--bcher-kva.example"),
        ("https://my_host.example./", "my_host.example."),
    ],
)
def test_check_url_accepts(url: str, host: str) -> None:
    assert check_url(url, FetchPolicy()).raw_host == host


def test_numeric_spellings_refused_even_when_loopback_allowed() -> None:
    with pytest.raises(FetchError, match="not a valid address"):
        check_url("http://127.1/", local())
    assert check_url("http://127.0.0.1/", local()).host == "127.0.0.1"


async def test_fetch_url_refuses_bad_urls_without_network(no_outside_traffic: list[str]) -> None:
    for url in ("file:///etc/passwd", "http://10.0.0.1/", "http://[::1]/", "https://u:p@127.0.0.1/"):
        with pytest.raises(FetchError, match="Refused"):
            await fetch_url(url)
    assert no_outside_traffic == []


# --- the address policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        # IPv4
        ("10.0.0.5", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("127.255.255.254", "a loopback address"),
        ("0.0.0.0", "an unspecified address"),
        ("169.254.1.1", "a link-local address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("100.127.255.255", "a shared (carrier-grade NAT) address"),
        ("100.100.100.200", "a shared (carrier-grade NAT) address"),  # Alibaba metadata lives here
        ("192.0.2.1", "a private address"),  # documentation range
        ("198.18.0.1", "a private address"),  # benchmarking range
        ("240.0.0.1", "a reserved address"),
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("100.63.255.255", None),  # just below 100.64/10
        ("100.128.0.0", None),  # just above it
        ("172.32.0.1", None),
        # IPv6
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("ff02::1", "a multicast address"),
        ("fec0::1", "a site-local address"),
        ("2001:db8::1", "a private address"),  # documentation range
        ("2606:4700:4700::1111", None),
        ("2001:4860:4860::8888", None),
        # IPv4 inside IPv6: judged by the IPv4 address actually reached
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("::ffff:100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("::ffff:0.0.0.0", "an unspecified address"),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8
        ("2002:a00:1::", "a private address"),  # 6to4 of 10.0.0.1
        ("2002:7f00:1::1", "a loopback address"),  # 6to4 of 127.0.0.1
        ("::127.0.0.1", "a reserved address"),  # deprecated IPv4-compatible form
    ],
)
def test_check_address_default_policy(address: str, reason: str | None) -> None:
    assert check_address(ipaddress.ip_address(address), FetchPolicy()) == reason


@pytest.mark.parametrize(
    ("address", "allowed", "reason"),
    [
        ("127.0.0.1", "127.0.0.0/8", None),
        ("127.9.9.9", "127.0.0.0/8", None),
        ("::ffff:127.0.0.1", "127.0.0.0/8", None),  # same host, IPv6 spelling
        ("::1", "127.0.0.0/8", "a loopback address"),  # a different loopback, not allowed
        ("::1", "::1/128", None),
        ("10.1.2.3", "10.0.0.0/8", None),
        ("10.1.2.3", "127.0.0.0/8", "a private address"),
        ("169.254.169.254", "127.0.0.0/8, 10.0.0.0/8", "a cloud metadata address"),
        ("fd00:ec2::254", "fd00::/8", None),  # the operator asked for it explicitly
    ],
)
def test_check_address_allowed_networks(address: str, allowed: str, reason: str | None) -> None:
    policy = FetchPolicy(allowed_networks=parse_networks(allowed))
    assert check_address(ipaddress.ip_address(address), policy) == reason


# --- the setting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.0/8, ::1/128", ("127.0.0.0/8", "::1/128")),
        ("127.0.0.0/8,::1/128", ("127.0.0.0/8", "::1/128")),
        (" 10.0.0.0/8  192.168.0.0/16 ", ("10.0.0.0/8", "192.168.0.0/16")),
        ("127.0.0.1", ("127.0.0.1/32",)),
        ("", ()),
        ("  ,  ", ()),
    ],
)
def test_parse_networks(text: str, expected: tuple[str, ...]) -> None:
    assert parse_networks(text) == tuple(ipaddress.ip_network(n) for n in expected)


@pytest.mark.parametrize("text", ["localhost", "127.0.0.0/33", "10.0.0.1/8", "127.0.0.0/8, nope", "::1/129"])
def test_parse_networks_rejects_bad_input(text: str) -> None:
    bad = next(part for part in text.replace(",", " ").split() if part != "127.0.0.0/8")
    with pytest.raises(ValueError, match=rf"Not a valid network: '{bad}'"):
        parse_networks(text)
