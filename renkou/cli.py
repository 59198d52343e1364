"""The ``renkou`` command: Django's command line with renkou's settings and a short help."""

from __future__ import annotations

import os
import sys

COMMANDS = [
    ("init", "prepare data/: keys, database, demo county if empty, administrator"),
    ("serve", "start the web app and the task worker on http://127.0.0.1:8000 (Ctrl-C stops both)"),
    ("worker", "run background tasks (started by serve; run alone for more workers)"),
    ("orgunits load FILE", "load or update the org-unit tree from CSV"),
    ("registry load PATH", "initial load of persons, households and events; problems to CSV"),
    ("registry rebuild [--verify]", "recompute every person from events; --verify only reports"),
    ("quality run [--orgunit CODE]", "check the register with every logic rule; store findings"),
    ("quality report --orgunit CODE", "logic accuracy and completeness rates (--format json|csv)"),
    ("quality rules", "list the logic-check rules with their codes and severities"),
    ("quality aggregates --orgunit CODE --from M --to M", "outliers, missing and late reports"),
    ("synth county --persons N --years Y --seed S --out DIR", "write a synthetic county"),
    ("indicators --orgunit CODE --period ID", "vital statistics of a unit and period"),
    ("indicators --refresh [--full]", "bring the statistics snapshot and cache up to date"),
    (
        "exchange import --kind KIND --orgunit CODE FILE",
        "import a department roster (xlsx/xls/csv)",
    ),
    ("exchange link IMPORT_ID", "link an imported roster to the register"),
    ("exchange worklist IMPORT_ID [--format csv|json]", "one line per roster row: outcome, match"),
    ("exchange quarantine IMPORT_ID OUT", "write the refused rows with their reasons"),
    ("benefits parameters", "benefit parameters with their dated history"),
    (
        "benefits cycle compute|notice|approve|pay|reconcile|rate …",
        "a yearly benefit cycle, step by step (--help for each step)",
    ),
    (
        "floating peer add|token|list|revoke …",
        "peer servers for floating-population messages (docs/floating.md)",
    ),
    ("floating outbox", "messages waiting for, or done with, delivery to peer servers"),
    ("floating export OUT | import FILE", "messages for areas without a peer, and their replies"),
    ("report forms --orgunit CODE --period ID --out F", "statistical forms, .xlsx or .csv"),
    ("report summary --orgunit CODE --period ID --out F", "work summary, .docx or .pdf"),
    (
        "user list|create|role-add|role-revoke|deactivate|reactivate|reset-password",
        "staff and roles",
    ),
    ("audit verify", "check the audit log's hash chain for tampering"),
    ("keys rotate", "re-encrypt identity numbers with the newest key"),
    ("keys export|import FILE", "the keys, encrypted with a passphrase, kept apart from backups"),
    ("backup OUT", "a consistent copy of the database and kept files, while the server runs"),
    ("restore BACKUP [--keys FILE]", "replace the database by a backup's, checked first"),
    ("migrate, createsuperuser, …", "every Django management command works too"),
]


def usage() -> str:
    """The help text listing renkou's own commands, one line each."""
    width = 30
    lines = ["usage: renkou COMMAND [options]    (renkou COMMAND --help for its options)", ""]
    for name, text in COMMANDS:
        if len(name) > width:
            lines += [f"  {name}", f"  {'':{width}}  {text}"]
        else:
            lines.append(f"  {name:{width}}  {text}")
    lines += ["", "Configuration comes from RENKOU_* environment variables (see README.md)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``renkou`` console script."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["renkou", *argv[1:]])


if __name__ == "__main__":
    main()
