"""The private-address policy as a table (issue #20 item 15): every form of an address
inside the machine or its network is refused, including the deprecated site-local
``fec0::/10`` that Python's ``is_private`` does not cover, and public addresses pass.
The end-to-end check (no request ever reaches a loopback server) is
``test_hostile_input.test_private_urls_are_never_fetched``."""

from __future__ import annotations

import ipaddress

import pytest
from yarl import URL

from twelvelabs_embed.local.url_fetch import FetchFailed, UrlFetcher, address_problem

REFUSED = [
    "fec0::1", "fed0::1", "feff:ffff::1", "fec0::ffff:7f00:1",  # site-local, the case found
    "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::", "::ffff:127.0.0.1",
    "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "2002:a00:1::", "::7f00:1",
    "2001:db8::1", "100::1", "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
    "169.254.169.254", "100.64.0.1", "0.0.0.0", "198.18.0.1", "240.0.0.1", "255.255.255.255",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2001:4860:4860::8888"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_reserved_addresses_are_refused(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["[fec0::1]", "[fec0::ffff:7f00:1]", "[FEC0:0:0:0::1]"])
def test_site_local_url_literals_are_refused_before_any_connection(host: str) -> None:
    with pytest.raises(FetchFailed, match="site-local"):
        UrlFetcher().check_url(URL(f"http://{host}:8080/v.mp4"))
