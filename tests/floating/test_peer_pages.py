"""The peer-server pages of a county administrator: register a peer (our token shown once,
kept hashed), keep its token, revoke it; export the messages without a peer, import
replies; in Chinese (default) and English; and ``renkou floating peer``."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from renkou.core import crypto
from renkou.core.models import AuditLog
from renkou.floating.models import Peer
from tests.builders import COUNTY, client_as
from tests.floating.test_offline import reply_row, xlsx
from tests.floating.test_outbox import sent_notice

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"rkp_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}")


def test_an_administrator_registers_a_peer_and_sees_our_token_once(county: None) -> None:
    admin = client_as("county_admin", COUNTY, "admin")
    admin.cookies["django_language"] = "zh-hans"
    page = admin.post(
        "/floating/peers/",
        {"name": "朝阳区", "base_url": "https://b.example/", "areas": "110105，1101"},
    ).content.decode()
    token = TOKEN.search(page).group(0)
    peer = Peer.objects.get()
    assert peer.digest == hashlib.sha256(token.encode()).hexdigest()
    assert peer.areas == ["110105", "1101"] and not peer.their_token_enc
    assert "请现在交给对方管理员" in page and "尚未保存对方签发的令牌" in page
    assert "Peer servers" not in page and "Register a peer server" not in page
    again = admin.get("/floating/peers/").content.decode()
    assert not TOKEN.search(again) and f"rkp_{peer.prefix}_…" in again
    # its token to us, then revoked
    assert (
        admin.post(f"/floating/peers/{peer.pk}/token/", {"their_token": "T-9"}).status_code == 302
    )
    peer.refresh_from_db()
    assert crypto.decrypt(peer.their_token_enc) == "T-9"
    confirm = admin.get(f"/floating/peers/{peer.pk}/revoke/").content.decode()
    assert "撤销对端服务器“朝阳区”" in confirm
    admin.post(f"/floating/peers/{peer.pk}/revoke/")
    peer.refresh_from_db()
    assert peer.revoked_at is not None
    actions = list(
        AuditLog.objects.filter(object_type="floating_peer").values_list("action", flat=True)
    )
    assert actions == ["floating.peer_create", "floating.peer_token", "floating.peer_revoke"]


def test_a_bad_peer_is_refused_with_the_reason_in_the_page_language(county: None) -> None:
    admin = client_as("county_admin", COUNTY, "admin")
    answer = admin.post(
        "/floating/peers/",
        {"name": "x", "base_url": "https://b.example", "areas": "330122"},
        follow=True,
    )
    assert "与本服务器的辖区重叠" in answer.content.decode()
    english = admin.post(
        "/floating/peers/",
        {"name": "x", "base_url": "ftp://b", "areas": "110105"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "is not an http(s) URL" in english and "Register a peer server" in english
    assert not Peer.objects.exists()


def test_the_messages_without_a_peer_go_out_and_their_replies_come_in(county: None) -> None:
    admin = client_as("county_admin", COUNTY, "admin")
    notice = sent_notice(1, region="430521")
    admin.cookies["django_language"] = "zh-hans"
    page = admin.get(f"/floating/messages/{notice.message_id}/").content.decode()
    assert "向对方服务器投递" in page and "无对端服务器" in page  # its delivery: no peer
    export = admin.get("/floating/no-peer.xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd")
    bad = SimpleUploadedFile(
        "r.xlsx", xlsx([["in_reply_to", "outcome"], [str(notice.message_id), "?"]])
    )
    page = admin.post("/floating/replies/import/", {"file": bad}, follow=True).content.decode()
    assert "r.xlsx 第 2 行 outcome 列" in page
    good = SimpleUploadedFile(
        "r.xlsx",
        xlsx([["in_reply_to", "outcome"], reply_row(str(notice.message_id), "confirmed")[1:3]]),
    )
    page = admin.post("/floating/replies/import/", {"file": good}, follow=True).content.decode()
    assert "已导入 1 条反馈" in page
    notice.refresh_from_db()
    assert notice.state == "answered"


def test_the_command_line_adds_lists_and_revokes_peers(county: None) -> None:
    out = io.StringIO()
    call_command(
        "floating",
        "peer",
        "add",
        "朝阳区",
        "--url",
        "http://b.example",
        "--areas",
        "110105",
        stdout=out,
    )
    token = out.getvalue().strip()
    assert TOKEN.fullmatch(token)
    call_command("floating", "peer", "token", "朝阳区", "rkp_their_token", stdout=io.StringIO())
    listing = io.StringIO()
    call_command("floating", "peer", "list", stdout=listing)
    assert "朝阳区  http://b.example  110105" in listing.getvalue()
    assert "their token kept" in listing.getvalue() and "active" in listing.getvalue()
    call_command("floating", "peer", "revoke", "朝阳区", stdout=io.StringIO())
    listing = io.StringIO()
    call_command("floating", "peer", "list", stdout=listing)
    assert listing.getvalue().strip().endswith("revoked")
