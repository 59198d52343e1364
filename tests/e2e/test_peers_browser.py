"""In a browser at phone width, in Chinese: a county administrator registers a peer server,
copies the token shown once, and revokes the peer; the page fits the phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.floating.models import Peer
from renkou.registry.loading import registry_load
from tests.builders import COUNTY, small_county, today, user_with_role
from tests.e2e.test_change_report import PASSWORD, follow
from tests.e2e.test_sign_in import assert_fits_phone, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_peer_is_registered_and_revoked_at_phone_width(
    page: Any, live_server: Any, artifacts: Path, tmp_path: Path
) -> None:
    registry_load(path=small_county(tmp_path / "c"), actor="test", today=today())
    user_with_role("xian", "county_admin", COUNTY)
    sign_in(page, live_server, "xian", PASSWORD)
    page.goto(f"{live_server.url}/floating/")
    follow(page, page.get_by_role("link", name="对端服务器"))
    page.fill("#name", "朝阳区")
    page.fill("#base_url", "https://chaoyang.example")
    page.fill("#areas", "110105")
    follow(page, page.get_by_role("button", name="登记", exact=True))
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("rkp_") and Peer.objects.get().name == "朝阳区"
    assert "尚未保存对方签发的令牌" in page.content()
    assert_fits_phone(page)
    shot(page, artifacts, "peers-registered")
    follow(page, page.get_by_role("link", name="撤销"))
    follow(page, page.get_by_role("button", name="撤销"))
    assert Peer.objects.get().revoked_at is not None
    assert page.locator("#new-token").count() == 0
    assert_fits_phone(page)
