"""Which address a request came from, and how much of it user sessions keep
(``common.client_ip``)."""

import pytest
from django.test import RequestFactory

from common.client_ip import client_ip, mask_ip


def request_from(remote: str | None, forwarded: str | None = None):
    meta = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


@pytest.mark.parametrize(
    "address, masked",
    [
        ("203.0.113.77", "203.0.113.0"),
        ("203.0.113.0", "203.0.113.0"),
        ("2001:db8:abcd:12:ffff:1:2:3", "2001:db8:abcd::"),
        ("::ffff:203.0.113.77", "203.0.113.0"),  # IPv4-mapped: masked as IPv4
        ("[2001:db8::1]", "2001:db8::"),
        ("fe80::1%eth0", "fe80::"),
        ("::1", "::"),
        ("not-an-ip", None),
        ("", None),
        (None, None),
        ("1.2.3.4.5", None),
    ],
)
def test_mask_keeps_the_network_only(address, masked):
    assert mask_ip(address) == masked


def test_without_trusted_proxies_remote_addr_is_the_client():
    request = request_from("198.51.100.7", forwarded="1.1.1.1")

    assert client_ip(request, trusted_proxy_count=0) == "198.51.100.7"


def test_behind_one_proxy_the_last_forwarded_entry_is_the_client():
    request = request_from("10.0.0.2", forwarded="6.6.6.6, 198.51.100.7")

    assert client_ip(request, trusted_proxy_count=1) == "198.51.100.7"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client():
    request = request_from("10.0.0.2", forwarded="6.6.6.6, 198.51.100.7, 10.0.0.9")

    assert client_ip(request, trusted_proxy_count=2) == "198.51.100.7"


def test_too_few_forwarded_entries_fall_back_to_remote_addr():
    request = request_from("10.0.0.2", forwarded="198.51.100.7")

    assert client_ip(request, trusted_proxy_count=2) == "10.0.0.2"


def test_a_garbage_forwarded_entry_gives_no_address():
    request = request_from("10.0.0.2", forwarded="<script>")

    assert client_ip(request, trusted_proxy_count=1) is None


def test_the_setting_is_the_default(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from("10.0.0.2", forwarded="198.51.100.7")

    assert client_ip(request) == "198.51.100.7"


def test_ipv4_mapped_remote_addr_is_unwrapped():
    assert client_ip(request_from("::ffff:198.51.100.7"), trusted_proxy_count=0) == "198.51.100.7"


def test_no_remote_addr_gives_no_address():
    assert client_ip(request_from(None), trusted_proxy_count=0) is None
