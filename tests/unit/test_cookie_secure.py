"""The login cookie's Secure flag (cli/web_cmds.cookie_secure): set for every real deployment —
behind a trusted TLS proxy the app listens on localhost, yet the browser speaks https."""
import pytest

from cli.web_cmds import cookie_secure


@pytest.mark.parametrize("host, insecure, proxies, secure", [
    ("0.0.0.0", False, [], True),
    ("127.0.0.1", False, [], False),  # a local plain-http trial
    ("127.0.0.1", False, ["127.0.0.1"], True),  # behind nginx/Caddy on the same machine
    ("::1", False, ["::1"], True),
    ("0.0.0.0", True, [], False),  # asked for
])
def test_secure_flag(host, insecure, proxies, secure):
    assert cookie_secure(host, insecure, proxies) is secure


@pytest.mark.parametrize("value, ok", [("127.0.0.1", True), ("10.0.0.0/8", True), ("0.0.0.0/0", False),
                                       ("0.0.0.0/7", False), ("::1", True), ("::/0", False)])
def test_a_trusted_proxy_network_may_not_hold_the_clients(value, ok):
    from web.app import ProxyTooWide, trusted_proxy_list

    if ok:
        assert trusted_proxy_list([value]) == [value]
    else:
        with pytest.raises(ProxyTooWide):
            trusted_proxy_list([value])
