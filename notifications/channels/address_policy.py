"""Where a webhook may point: not into the server's own machine or network (SSRF).

A township officer types a webhook address (an SMS gateway, a WeCom or DingTalk robot) and the
scheduler then POSTs to it from inside the county's network. Without a check, an address such as
http://127.0.0.1:5432/, http://169.254.169.254/ (a cloud's metadata service) or an intranet host
turns the scheduler into a way to reach machines the officer cannot reach themselves.

The rule, checked twice: when the address is entered (a literal address or `localhost`; no DNS
lookup there) and when the scheduler connects (the address the connection actually reached, so a
name that resolves inward — or is re-pointed after it was entered — is caught too):
- never: loopback, link-local (the metadata services), unspecified, multicast, reserved;
- private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) only where the deployment
  lists them in PARTYFLOW_WEBHOOK_ALLOW (comma-separated networks or addresses, e.g. an intranet
  SMS gateway `10.20.0.15` or `10.20.0.0/16`); anything in that list is allowed, loopback included
  (a relay on the same machine).
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

ALLOW_ENV = "PARTYFLOW_WEBHOOK_ALLOW"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadAllowList(ValueError):
    """PARTYFLOW_WEBHOOK_ALLOW names something that is not a network (message in Chinese)."""


def allowed_networks(environ: Mapping[str, str] | None = None) -> tuple[Network, ...]:
    text = (os.environ if environ is None else environ).get(ALLOW_ENV, "")
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise BadAllowList(f"环境变量 {ALLOW_ENV} 中的“{part}”不是网络地址（应形如 10.20.0.15 或 10.20.0.0/16）") from None
    return tuple(out)


def refusal(address: str, allowed: tuple[Network, ...] | None = None) -> str | None:
    """Why the scheduler must not send to `address` (an IP address as text), or None if it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None  # not an address: a host name, checked when it is resolved and connected
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    allowed = allowed_networks() if allowed is None else allowed
    if any(ip in net for net in allowed):
        return None
    if ip.is_loopback or ip.is_unspecified:
        return "指向本机"
    if ip.is_link_local:
        return "指向链路本地地址（如云服务器的元数据服务）"
    if ip.is_multicast or ip.is_reserved:
        return "指向保留或组播地址"
    if ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10"):
        return f"指向内部网络（如确需发往内网的短信网关，请管理员在 {ALLOW_ENV} 中登记该地址）"
    return None


def host_refusal(host: str, allowed: tuple[Network, ...] | None = None) -> str | None:
    """`refusal` for a URL's host as typed: a literal address or `localhost` (no DNS lookup)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return refusal("127.0.0.1", allowed)
    return refusal(host, allowed)
