"""Backup and restore of the register: ``renkou backup OUT``, ``renkou restore BACKUP``,
and the worker's scheduled backups (docs/operations.md).

A backup is a directory: the database copy (``database.sqlite3`` taken with SQLite's
online backup API, or ``database.pgdump`` in pg_dump's custom format), the data
directory's files worth keeping under ``files/``, and ``manifest.json`` naming the
renkou version, the schema (latest applied migration per app), the row counts of the
main tables, the key fingerprint, and the sha256 of every file. It holds no keys: those
are kept apart with ``renkou keys export``. A backup is written under a hidden name and
renamed into place once its manifest is written, so a directory with a manifest is a
complete backup.
"""

from renkou.core.backup.manifest import BackupRefused
from renkou.core.backup.services import backup_check, backup_create, backup_restore

__all__ = ["BackupRefused", "backup_check", "backup_create", "backup_restore"]
