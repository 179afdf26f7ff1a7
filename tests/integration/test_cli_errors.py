"""The `mallgraph` command as a user runs it: every mistake is one line naming the problem and the fix.

Each case runs the installed console script in a fresh process, in an empty folder (no `.env`),
and reads its exit status and stderr; `--debug` and `LOG_LEVEL=DEBUG` bring the traceback back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import cli
from cli.errors import CliError

MALLGRAPH = str(Path(sys.executable).with_name("mallgraph"))
CLOSED_PORT_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/x"
_OWN_SETTINGS = ("DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT", "DB_POOL_SIZE", "ENVIRONMENT", "JWT_SECRET")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def error_line(self) -> str:
        """The whole of stderr, which must be exactly one line without a traceback."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert "Traceback" not in self.stderr
        return lines[0]


def mallgraph(cwd: Path, *args: str, **env: str) -> Run:
    base = {k: v for k, v in os.environ.items() if k not in _OWN_SETTINGS}
    done = subprocess.run(
        [MALLGRAPH, *args], cwd=cwd, env=base | env, capture_output=True, text=True, timeout=120
    )
    return Run(done.returncode, done.stdout, done.stderr)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database with a small demo data set."""
    folder = tmp_path_factory.mktemp("cli")
    url = sqlite_url(folder / "demo.db")
    for args in (["migrate"], ["seed", "--orders", "50", "--quiet"]):
        run = mallgraph(folder, *args, DATABASE_URL=url, LOG_LEVEL="WARNING")
        assert run.code == 0, run.stderr
    return url


def test_unreachable_postgres_is_one_line(tmp_path: Path) -> None:
    run = mallgraph(tmp_path, "migrate", DATABASE_URL=CLOSED_PORT_URL)
    assert run.code == 1
    line = run.error_line
    assert line.startswith("mallgraph: error: cannot reach the database at postgresql+asyncpg://")
    assert "127.0.0.1:1" in line
    assert "Start the database server, or set DATABASE_URL" in line


@pytest.mark.parametrize(("args", "env"), [(["--debug"], {}), ([], {"LOG_LEVEL": "DEBUG"})])
def test_debug_shows_the_traceback(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    run = mallgraph(tmp_path, *args, "seed", "--orders", "1", DATABASE_URL=CLOSED_PORT_URL, **env)
    assert run.code == 1
    assert "Traceback (most recent call last)" in run.stderr
    assert "ConnectionRefusedError" in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("mallgraph: error: cannot reach the database")


def test_sqlite_in_a_missing_folder(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "no" / "such" / "folder" / "x.db")
    run = mallgraph(tmp_path, "seed", "--orders", "5", DATABASE_URL=url)
    assert run.code == 1
    line = run.error_line
    assert f"the folder of the SQLite database {tmp_path / 'no/such/folder/x.db'} does not exist" in line
    assert "Run `mallgraph migrate`" in line
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("args", [["seed", "--orders", "5"], ["serve", "--port", "0"]])
def test_an_unmigrated_database_says_migrate(tmp_path: Path, args: list[str]) -> None:
    run = mallgraph(tmp_path, *args, DATABASE_URL=sqlite_url(tmp_path / "fresh.db"))
    assert run.code == 1
    line = run.error_line
    assert "is not migrated" in line
    assert "Run `mallgraph migrate`" in line


def test_negative_orders_is_a_usage_error(tmp_path: Path) -> None:
    run = mallgraph(tmp_path, "seed", "--orders", "-5", DATABASE_URL=sqlite_url(tmp_path / "x.db"))
    assert run.code == 2
    assert "Traceback" not in run.stderr
    assert (
        run.stderr.strip().splitlines()[-1]
        == "mallgraph seed: error: argument --orders: must be 0 or more, got -5"
    )
    assert not (tmp_path / "x.db").exists()


def test_export_schema_into_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "schema.graphql"
    run = mallgraph(tmp_path, "export-schema", "--output", str(target))
    assert run.code == 1
    line = run.error_line
    assert f"cannot write {target}: No such file or directory" in line
    assert "Create its folder first, or give another --output" in line


def test_a_bad_setting_names_the_variable(tmp_path: Path) -> None:
    run = mallgraph(tmp_path, "token", "--role", "HQ_ADMIN", DB_POOL_SIZE="abc")
    assert run.code == 1
    line = run.error_line
    assert line.startswith("mallgraph: error: invalid setting DB_POOL_SIZE: ")
    assert line.endswith("Fix the environment variable (or its line in .env)")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--role", "SHOPPER", "--customer", "999999"], "no customer 999999 in "),
        (["--role", "STORE_STAFF", "--store", "999999"], "no store with id 999999 in "),
        (["--role", "STORE_STAFF", "--store", "NOPE01"], "no store with code 'NOPE01' in "),
    ],
)
def test_tokens_only_for_what_exists(tmp_path: Path, seeded: str, args: list[str], problem: str) -> None:
    run = mallgraph(tmp_path, "token", *args, DATABASE_URL=seeded)
    assert run.code == 1
    assert run.stdout == ""
    line = run.error_line
    assert problem in line
    assert line.endswith(("Give an existing customer's id", "Give an existing store's code or id"))


def test_a_token_for_an_existing_customer(tmp_path: Path, seeded: str) -> None:
    run = mallgraph(tmp_path, "token", "--role", "SHOPPER", "--customer", "1", DATABASE_URL=seeded)
    assert run.code == 0, run.stderr
    assert run.stdout.count(".") == 2  # header.claims.signature


# In process: the boundary's last resorts, which no user mistake should reach.


def _failing(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def command(*_args: object) -> int:
        raise exc

    monkeypatch.setitem(cli._COMMANDS, "export-schema", command)
    monkeypatch.delenv("LOG_LEVEL", raising=False)


def test_an_unexpected_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _failing(monkeypatch, RuntimeError("the sky fell\nsecond line"))
    assert cli.main(["export-schema"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "mallgraph: unexpected error: RuntimeError: the sky fell "
        "(run with --debug or LOG_LEVEL=DEBUG for the traceback)\n"
    )


def test_ctrl_c_exits_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _failing(monkeypatch, KeyboardInterrupt())
    assert cli.main(["export-schema"]) == 130
    assert capsys.readouterr().err == "mallgraph: interrupted\n"


def test_a_cli_error_keeps_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _failing(monkeypatch, CliError("STORE_STAFF needs --store", "Give a store code or id", exit_code=2))
    assert cli.main(["export-schema"]) == 2
    assert capsys.readouterr().err == "mallgraph: error: STORE_STAFF needs --store. Give a store code or id\n"
