"""``renkou floating``: peer servers (add, list, revoke, token), the outbox, and the
messages for areas without a peer (export, import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from renkou.core.problems import InputRefused
from renkou.floating import peers
from renkou.floating.models import OutboxItem, Peer
from renkou.registry.validation import EventRefused


def _refused(refused: EventRefused) -> CommandError:
    return CommandError("\n".join(f"{p.message_en} / {p.message_zh}" for p in refused.problems))


class Command(BaseCommand):
    """Floating-population messages between servers."""

    help = (
        "peer add NAME --url URL --areas CODES [--their-token T] | peer token NAME T | "
        "peer list | peer revoke NAME | outbox | export OUT.xlsx | import FILE.xlsx"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        peer = sub.add_parser("peer", help="peer servers").add_subparsers(
            dest="action", required=True
        )
        add = peer.add_parser("add", help="register a peer; prints the token we issue to it")
        add.add_argument("name")
        add.add_argument("--url", required=True, help="its address, e.g. https://renkou.example")
        add.add_argument(
            "--areas", required=True, help="its region-code prefixes, comma-separated (GB/T 2260)"
        )
        add.add_argument("--their-token", default="", help="the token it issued to us")
        token = peer.add_parser("token", help="keep the token a peer issued to us")
        token.add_argument("name")
        token.add_argument("token")
        peer.add_parser("list", help="peers and their state")
        revoke = peer.add_parser("revoke", help="stop exchanging with a peer")
        revoke.add_argument("name")
        sub.add_parser("outbox", help="the outbox's items by peer and state")
        export = sub.add_parser("export", help="the messages without a peer, as xlsx")
        export.add_argument("out")
        imp = sub.add_parser("import", help="replies to them, from xlsx")
        imp.add_argument("file")

    def _named(self, name: str) -> Peer:
        found = Peer.objects.filter(name=name).first()
        if found is None:
            raise CommandError(f"no peer {name!r} / 没有对端服务器 {name}")
        return found

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_do_{options['what']}")(options)
        except EventRefused as refused:
            raise _refused(refused) from None

    def _do_peer(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "add":
            _peer, token = peers.peer_create(
                name=options["name"],
                base_url=options["url"],
                areas=[a for a in options["areas"].split(",") if a.strip()],
                their_token=options["their_token"],
                actor="cli",
            )
            self.stdout.write(token)
        elif action == "token":
            peers.peer_token_set(
                peer=self._named(options["name"]), their_token=options["token"], actor="cli"
            )
            self.stdout.write(f"kept the token of {options['name']} / 已保存对方令牌")
        elif action == "list":
            for p in Peer.objects.all():
                state = "revoked" if p.revoked_at else "active"
                theirs = "their token kept" if p.their_token_enc else "no token of theirs"
                areas = ",".join(p.areas)
                self.stdout.write(
                    f"{p.name}  {p.base_url}  {areas}  rkp_{p.prefix}_…  {theirs}  {state}"
                )
        else:
            peers.peer_revoke(peer=self._named(options["name"]), actor="cli")
            self.stdout.write(f"revoked {options['name']} / 已撤销")

    def _do_outbox(self, options: dict[str, Any]) -> None:
        rows = (
            OutboxItem.objects.values("peer__name", "state")
            .annotate(n=Count("pk"))
            .order_by("peer__name", "state")
        )
        for row in rows:
            self.stdout.write(f"{row['peer__name'] or '-'}  {row['state']}  {row['n']}")

    def _do_export(self, options: dict[str, Any]) -> None:
        from renkou.floating.offline import no_peer_export

        data, n = no_peer_export(actor="cli")
        Path(options["out"]).write_bytes(data)
        self.stdout.write(f"{n} messages written to {options['out']} / 已导出 {n} 条")

    def _do_import(self, options: dict[str, Any]) -> None:
        from renkou.floating.offline import replies_import

        path = Path(options["file"])
        try:
            counts = replies_import(raw=path.read_bytes(), name=path.name, actor="cli")
        except InputRefused as refused:
            raise CommandError(
                "\n".join(
                    f"{p.file} row {p.row} {p.column}: {p.message_en} / "
                    f"第 {p.row} 行 {p.column}：{p.message_zh}"
                    for p in refused.problems
                )
            ) from None
        self.stdout.write(
            f"{counts['stored']} stored, {counts['duplicate']} already here"
            f" / 已导入 {counts['stored']} 条，已有 {counts['duplicate']} 条"
        )
