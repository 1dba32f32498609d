"""The client's IP address, and how much of it we keep.

Only the standard library's ``ipaddress`` is used: it parses both families,
unwraps IPv4-mapped IPv6 addresses and computes network prefixes.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# Privacy masks (``user_sessions.ip_address``): keep the network part
# only, as Google Analytics' IP anonymisation and most CDNs do.
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def _parse(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not text or not isinstance(text, str) or len(text) > 64:
        return None
    text = text.strip().strip("[]").split("%", 1)[0]  # "[::1]" and a zone id "fe80::1%eth0"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:203.0.113.9 is the IPv4 client 203.0.113.9
    return address


def client_ip(request: HttpRequest, *, trusted_proxy_count: int | None = None) -> str | None:
    """The address the request came from, as text, or None when it is not an IP.

    Args:
        request: a Django or DRF request.
        trusted_proxy_count: reverse proxies in front of the app (default: the
            ``TRUSTED_PROXY_COUNT`` setting). With 0, ``REMOTE_ADDR`` is the
            client. With N > 0, each trusted proxy appended the address it saw
            to ``X-Forwarded-For``, so the client is the N-th entry from the
            right; entries further left are whatever the client claimed and are
            never trusted. A header with fewer than N entries means the request
            did not pass all proxies: ``REMOTE_ADDR`` is used.

    Returns: the address (IPv4-mapped IPv6 unwrapped to IPv4), not yet masked.
    """
    count = settings.TRUSTED_PROXY_COUNT if trusted_proxy_count is None else trusted_proxy_count
    remote = request.META.get("REMOTE_ADDR")
    candidate = remote
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= count:
            candidate = hops[-count]
    address = _parse(candidate)
    return str(address) if address is not None else None


def mask_ip(text: str | None) -> str | None:
    """``text`` reduced to its network: IPv4 to /24, IPv6 to /48.

    ``203.0.113.77`` → ``203.0.113.0``; ``2001:db8:abcd:12::1`` → ``2001:db8:abcd::``;
    ``::ffff:203.0.113.77`` → ``203.0.113.0`` (IPv4-mapped addresses are unwrapped
    first, so they are masked as IPv4). Returns None for None or anything that is
    not an IP address.
    """
    address = _parse(text)
    if address is None:
        return None
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def axes_client_ip(request: HttpRequest) -> str | None:
    """django-axes' ``AXES_CLIENT_IP_CALLABLE``: the same client IP the API sees
    (``TRUSTED_PROXY_COUNT`` proxies trusted), so a lockout is per real client."""
    return client_ip(request)
