"""PostgreSQL: ``pg_dump`` (custom format) of one snapshot, reading tables out of a dump,
and restoring a dump into the configured database in one transaction."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from renkou.core.backup.manifest import BackupRefused

# libpq connection parameters that Django's OPTIONS may carry, and their PG* variables.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "service": "PGSERVICE",
}

# Before the dump's tables are made again, every table of the schema goes (in the same
# transaction): tables a newer migration added would otherwise stay and break `migrate`.
DROP_ALL = """
SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE 'DROP TABLE IF EXISTS ' || quote_ident(r.tablename) || ' CASCADE';
  END LOOP;
  FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() LOOP
    EXECUTE 'DROP SEQUENCE IF EXISTS ' || quote_ident(r.sequencename) || ' CASCADE';
  END LOOP;
END $$;
"""


# The dump's own objects (functions, triggers) are dropped by pg_restore --clean, and it
# is restored as the configured user's, whoever owned it on the first server.
RESTORE_OPTIONS = ("--clean", "--if-exists", "--no-owner", "--no-privileges")


def libpq_params(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The connection parameters of a Django PostgreSQL database, as libpq names them."""
    params = {
        "dbname": settings_dict.get("NAME") or "",
        "user": settings_dict.get("USER") or "",
        "password": settings_dict.get("PASSWORD") or "",
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
    }
    for name in LIBPQ_OPTIONS:
        value = (settings_dict.get("OPTIONS") or {}).get(name)
        if value is not None:
            params[name] = str(value)
    return {k: v for k, v in params.items() if v}


def _env(params: dict[str, str]) -> dict[str, str]:
    """The environment for the PostgreSQL tools: the password never on a command line."""
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD"}
    names |= {"host": "PGHOST", "port": "PGPORT", **LIBPQ_OPTIONS}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({names[k]: v for k, v in params.items()})
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupRefused(
            f"{name} is not installed: install the PostgreSQL client of the server's version "
            "(apt-get install postgresql-client).",
            f"未安装 {name}：请安装与服务器同版本的 PostgreSQL 客户端（apt-get install "
            "postgresql-client）。",
        )
    return found


def _run(cmd: list[str], params: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, env=_env(params), capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise BackupRefused(
            f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-1500:]}",
            f"{Path(cmd[0]).name} 执行失败：{done.stderr.strip()[-1500:]}",
        )
    return done


def pg_dump(params: dict[str, str], target: Path, *, snapshot: str = "") -> None:
    """Dump the database to ``target`` in custom format (compressed), as of ``snapshot``
    (an exported snapshot id) when given."""
    cmd = [_tool("pg_dump"), "--format=custom", f"--file={target}"]
    if snapshot:
        cmd.append(f"--snapshot={snapshot}")
    _run(cmd, params)
    os.chmod(target, 0o600)


def _copy_unescape(value: str) -> str | None:
    """A value of COPY's text format: ``\\N`` is NULL, backslash escapes otherwise."""
    if value == r"\N":
        return None
    if "\\" not in value:
        return value
    escapes = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "\\": "\\"}
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append(escapes.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def pg_table_rows(dump: Path, table: str) -> list[dict[str, str | None]]:
    """The rows of one (small) table as the dump holds them, read without restoring."""
    done = _run([_tool("pg_restore"), "--data-only", f"--table={table}", "--file=-", str(dump)], {})
    rows: list[dict[str, str | None]] = []
    columns: list[str] = []
    for line in done.stdout.splitlines():
        if not columns:
            if line.startswith("COPY ") and line.endswith("FROM stdin;"):
                inside = line[line.index("(") + 1 : line.rindex(")")]
                columns = [c.strip().strip('"') for c in inside.split(",")]
            continue
        if line == "\\.":
            break
        rows.append(dict(zip(columns, map(_copy_unescape, line.split("\t")), strict=True)))
    return rows


def pg_other_sessions(params: dict[str, str]) -> int:
    """How many other sessions are connected to the database (the web app, workers)."""
    import psycopg

    with psycopg.connect(**params, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def pg_restore(params: dict[str, str], dump: Path) -> None:
    """Replace the database's tables by the dump's, in one transaction: all or nothing.

    pg_restore writes the dump as SQL, which psql runs in one transaction after dropping
    every table. psql commits only when its input ends, so the SQL is passed on here and
    psql is killed (its transaction rolled back) if pg_restore fails part way.
    """
    env = _env(params)
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        script = subprocess.Popen(
            [_tool("pg_restore"), *RESTORE_OPTIONS, "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        psql = subprocess.Popen(
            [
                _tool("psql"),
                "-X",
                "-q",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                f"--command={DROP_ALL}",
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        assert script.stdout is not None and psql.stdin is not None
        try:
            while piece := script.stdout.read(1 << 20):
                psql.stdin.write(piece)
        except BrokenPipeError:  # psql stopped on an error: its transaction is gone
            pass
        if script.wait() != 0:
            psql.kill()
            psql.wait()
            restore_err.seek(0)
            error = restore_err.read().decode(errors="replace").strip()[-1500:]
            raise BackupRefused(
                f"pg_restore failed, nothing was changed: {error}",
                f"pg_restore 执行失败，未作任何更改：{error}",
            )
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()
        if psql.wait() != 0:
            psql_err.seek(0)
            error = psql_err.read().decode(errors="replace").strip()[-1500:]
            raise BackupRefused(
                f"the restore failed and was rolled back, nothing was changed: {error}",
                f"恢复失败并已回滚，未作任何更改：{error}",
            )
