"""Run a real Neo4j 5.26 Community server from Maven Central jars (docs/architecture.md).

There is no Docker engine on the development and CI machines, so tests and local use start the
server straight from the jars that the pom shipped with this package
(``graph_influence/testing/pom.xml``, see :func:`packaged_pom`) pulls from Maven Central:

* :func:`ensure_neo4j_jars` runs Maven once and keeps the jars in ``<state>/lib``, where the state
  folder (:func:`neo4j_state_dir`) is the git-ignored ``<checkout>/.neo4j`` in a source checkout,
  and a user cache folder (``$GRAPH_INFLUENCE_CACHE/neo4j``, else
  ``$XDG_CACHE_HOME/graph-influence/neo4j``, else ``~/.cache/graph-influence/neo4j``) when the
  package is installed without one.
* :class:`Neo4jServer` lays out a server home, writes ``conf/neo4j.conf`` (loopback only, Bolt on
  a free port, HTTP(S) off), launches ``org.neo4j.server.CommunityEntryPoint`` and waits until the
  Python driver can connect. It can be stopped, killed and restarted on the same home and port.
* ``python -m graph_influence.testing.neo4j_server up|down`` runs a detached development server
  whose data lives in ``<state>/dev`` (it backs ``make neo4j-up`` / ``make neo4j-down``). ``up``
  says on stderr what it is doing (fetching the jars, starting, ready) and prints only
  ``export GRAPH_INFLUENCE_STORE=...`` and ``export NEO4J_URI=...`` on stdout (for ``eval``);
  the Bolt port is kept in ``<state>/port``, so the same home comes back on the same port after
  ``down`` (another free one only when that port was taken). A bulk load may stop and start it
  (:class:`DevServer`).

Only the standard library and the ``neo4j`` driver are used. POSIX only (process groups, signals).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.resources
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

__all__ = [
    "ENTRY_POINT",
    "DevServer",
    "JVM_FLAGS",
    "MissingToolError",
    "Neo4jServer",
    "Neo4jServerError",
    "RecoveryProgress",
    "ensure_neo4j_jars",
    "find_root",
    "free_port",
    "main",
    "neo4j_state_dir",
    "packaged_pom",
    "user_cache_dir",
]

#: Where the pom that lists the server jars lives in a checkout, relative to its root. The same
#: file is package data of ``graph_influence.testing`` (read with :func:`packaged_pom`).
POM_PATH = Path("graph_influence") / "testing" / "pom.xml"
#: Git-ignored folder (under a checkout's root) for jars, server homes and the dev server state.
STATE_DIR = ".neo4j"
#: Environment variable naming the graph-influence cache folder used outside a checkout.
CACHE_ENV = "GRAPH_INFLUENCE_CACHE"
#: Sub-folder of the user cache folder that plays the role of ``<checkout>/.neo4j``.
CACHE_SUBDIR = "neo4j"
#: Java class that starts the Community server.
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
#: Java class behind ``neo4j-admin``.
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
#: JVM flags Neo4j 5.26 needs on Java 17 when started without its launcher scripts.
JVM_FLAGS: tuple[str, ...] = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+ExitOnOutOfMemoryError",
    "-Dfile.encoding=UTF-8",
)

_JARS_MARKER = ".complete"
# How long a start may wait for the next step of a crash recovery Neo4j reports.
_RECOVERY_STEP_WAIT_S = 900.0
# How long `up` waits for the port a killed server held before it picks another.
_PORT_RELEASE_WAIT_S = 15.0
_HOME_MARKER = ".neo4j-server-home"
_CONSOLE_LOG = "console.log"
_MIN_PASSWORD_LENGTH = 8
_OUTPUT_TAIL_LINES = 40
_LOG_TAIL_LINES = 60
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The checkout this module lives in (site-packages when installed from a wheel), tried last.
_MODULE_CHECKOUT = Path(__file__).resolve().parents[2]


class Neo4jServerError(RuntimeError):
    """The Neo4j jars could not be fetched, or the server could not be started or stopped."""


class MissingToolError(Neo4jServerError):
    """A program the server needs (``java`` or ``mvn``) is not installed or not on ``PATH``."""


# --------------------------------------------------------------------------------------------
# Jars
# --------------------------------------------------------------------------------------------


def packaged_pom() -> importlib.resources.abc.Traversable:
    """The pom that lists the server jars, as package data of ``graph_influence.testing``.

    Returns
    -------
    importlib.resources.abc.Traversable
        ``graph_influence/testing/pom.xml`` inside the installed package (a plain file in
        a checkout or a wheel install; use :func:`importlib.resources.as_file` for a path).
    """
    return importlib.resources.files(__package__ or "graph_influence.testing") / "pom.xml"


def find_root(start: Path | None = None) -> Path:
    """Find the source checkout's root: the nearest folder holding ``pyproject.toml`` and the pom.

    Parameters
    ----------
    start : Path, optional
        Folder to search upwards from; the current directory by default. The checkout this module
        lives in is tried last.

    Returns
    -------
    Path
        The checkout root (absolute).

    Raises
    ------
    Neo4jServerError
        If no folder above ``start`` (nor this module's checkout) is a checkout. An installed
        package is not one: ``site-packages`` holds the pom but no ``pyproject.toml``.
    """
    here = (Path(start) if start is not None else Path.cwd()).resolve()
    for candidate in (here, *here.parents, _MODULE_CHECKOUT):
        if (candidate / POM_PATH).is_file() and (candidate / "pyproject.toml").is_file():
            return candidate
    raise Neo4jServerError(f"no checkout (pyproject.toml and {POM_PATH}) in {here} or above it")


def user_cache_dir() -> Path:
    """The graph-influence cache folder used when there is no checkout.

    ``$GRAPH_INFLUENCE_CACHE`` if set, else ``$XDG_CACHE_HOME/graph-influence`` (when that is an
    absolute path), else ``~/.cache/graph-influence``.

    Returns
    -------
    Path
        The folder (not created here).
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "graph-influence"


def neo4j_state_dir(root: Path | None = None, *, start: Path | None = None) -> Path:
    """The folder for the jars (``lib``), the dev server (``dev``, ``pid``, ``uri``) and locks.

    Parameters
    ----------
    root : Path, optional
        A checkout root given explicitly: ``<root>/.neo4j``.
    start : Path, optional
        Without ``root``, where :func:`find_root` starts looking (the current directory by
        default).

    Returns
    -------
    Path
        ``<checkout>/.neo4j`` (git-ignored) when a checkout is found, else
        ``<user_cache_dir()>/neo4j`` (an installed package writes nothing into site-packages).
    """
    if root is not None:
        return Path(root).resolve() / STATE_DIR
    try:
        return find_root(start) / STATE_DIR
    except Neo4jServerError:
        return user_cache_dir() / CACHE_SUBDIR


def ensure_neo4j_jars(
    root: Path | None = None, *, pom: Path | None = None, timeout: float = 1800.0
) -> Path:
    """Make sure the Neo4j server jars are in ``<state>/lib``, fetching them if needed.

    Maven (``mvn dependency:copy-dependencies``) runs only when the folder is missing or was not
    completed for the current pom: a marker file holding the pom's hash is written last. The jars
    are copied into a scratch folder that replaces ``lib`` only on success, under a file lock, so
    concurrent callers (e.g. pytest-xdist workers) and interrupted downloads are safe.

    Parameters
    ----------
    root : Path, optional
        Checkout root: the jars go to its git-ignored ``<root>/.neo4j/lib``. By default the
        checkout around the current directory, and without one the user cache folder (see
        :func:`neo4j_state_dir`).
    pom : Path, optional
        The pom to resolve; the one shipped with this package (:func:`packaged_pom`) by default.
    timeout : float
        Seconds Maven may run.

    Returns
    -------
    Path
        The folder holding the jars (``<state>/lib``).

    Raises
    ------
    MissingToolError
        If ``java`` or ``mvn`` cannot be found.
    Neo4jServerError
        If the pom is missing or Maven fails; the message names the command and its output tail.
    """
    return _ensure_jars_in(neo4j_state_dir(root), pom=pom, timeout=timeout)


def _ensure_jars_in(state: Path, *, pom: Path | None = None, timeout: float = 1800.0) -> Path:
    if pom is not None:
        return _ensure_jars(state, Path(pom).resolve(), timeout)
    with importlib.resources.as_file(packaged_pom()) as packaged:
        return _ensure_jars(state, Path(packaged), timeout)


def _ensure_jars(state: Path, pom: Path, timeout: float) -> Path:
    if not pom.is_file():
        raise Neo4jServerError(f"Neo4j pom not found: {pom}")
    lib = state / "lib"
    stamp = hashlib.sha256(pom.read_bytes()).hexdigest()
    if _jars_complete(lib, stamp):
        return lib
    state.mkdir(parents=True, exist_ok=True)
    with _file_lock(state / ".lock"):
        if _jars_complete(lib, stamp):
            return lib
        _java_executable()
        mvn = _require_tool("mvn", "Maven 3.8+", "maven")
        scratch = state / "lib.partial"
        shutil.rmtree(scratch, ignore_errors=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={scratch}",
        ]
        _run_checked(cmd, what="fetching the Neo4j jars", timeout=timeout)
        jars = sorted(scratch.glob("*.jar"))
        if not any(jar.name.startswith("neo4j-server-") for jar in jars):
            raise Neo4jServerError(
                f"{_format_cmd(cmd)} succeeded but {scratch} holds no neo4j-server jar "
                f"({len(jars)} jars)"
            )
        (scratch / _JARS_MARKER).write_text(f"{stamp}\n{len(jars)} jars\n", encoding="utf-8")
        shutil.rmtree(lib, ignore_errors=True)
        scratch.rename(lib)
    return lib


def _jars_complete(lib: Path, stamp: str) -> bool:
    marker = lib / _JARS_MARKER
    try:
        first_line = marker.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return False
    return first_line.strip() == stamp


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _require_tool(name: str, what: str, debian_package: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise MissingToolError(
            f"`{name}` not found on PATH: the Neo4j test server needs {what} "
            f"(e.g. `apt-get install {debian_package}`)"
        )
    return found


def _java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return _require_tool("java", "Java 17 or 21", "openjdk-17-jre-headless")


def _run_checked(cmd: Sequence[str], *, what: str, timeout: float, **kwargs: object) -> None:
    try:
        result = subprocess.run(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            **kwargs,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode()
        raise Neo4jServerError(
            f"{what} timed out after {timeout:.0f} s: {_format_cmd(cmd)}\n{_tail(output)}"
        ) from exc
    if result.returncode != 0:
        raise Neo4jServerError(
            f"{what} failed (exit code {result.returncode}): {_format_cmd(cmd)}\n"
            f"--- last output lines ---\n{_tail(result.stdout)}"
        )


def _format_cmd(cmd: Sequence[str]) -> str:
    return " ".join(cmd)


def _tail(text: str, lines: int = _OUTPUT_TAIL_LINES) -> str:
    # Maven 3.8 prints colour resets even in batch mode with style.color=never.
    return "\n".join(_ANSI_ESCAPE.sub("", text).rstrip().splitlines()[-lines:])


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------


def _port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now.

    Parameters
    ----------
    host : str
        Address to probe.

    Returns
    -------
    int
        A port number the OS handed out for an ephemeral bind (it may be taken again later).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# Servers started here and not yet stopped or detached, stopped at interpreter exit.
_LIVE_SERVERS: set[Neo4jServer] = set()


@atexit.register
def _stop_live_servers() -> None:
    for server in list(_LIVE_SERVERS):
        with contextlib.suppress(Exception):
            server.stop()


_RECOVERY_PERCENT = re.compile(r"\[o\.n\.k\.r\.Recovery\].*?(\d+)% completed")
_RECOVERY_START = re.compile(r"\[o\.n\.k\.r\.Recovery\].*TransactionLogsRecovery")
_RECOVERY_DONE = re.compile(r"Recovery in '\w+' mode completed.*?Time spent: ([^.]+)")


@dataclasses.dataclass
class RecoveryProgress:
    """What a start's ``debug.log`` says about crash recovery (after an unclean stop).

    Attributes
    ----------
    percent : int or None
        The last ``N% completed`` Neo4j logged (``None``: no recovery seen).
    done : bool
        Whether it logged that recovery completed.
    took : str
        How long it said recovery took (``"10s 662ms"``), once done.
    """

    percent: int | None = None
    done: bool = False
    took: str = ""

    def update(self, lines: str) -> bool:
        """Take new lines of ``debug.log``; return whether recovery moved on."""
        moved = False
        if self.percent is None and _RECOVERY_START.search(lines):
            self.percent, moved = 0, True
        for match in _RECOVERY_PERCENT.finditer(lines):
            self.percent, moved = int(match[1]), True
        done = _RECOVERY_DONE.search(lines)
        if done:
            self.done, self.took, moved = True, done[1].strip(), True
            self.percent = 100
        return moved

    def __str__(self) -> str:
        if self.done:
            return f"recovered after an unclean stop in {self.took}"
        if self.percent is not None:
            return f"recovering after an unclean stop: {self.percent}% done"
        return ""


class Neo4jServer:
    """A Neo4j Community server process running from Maven Central jars.

    Use it as a context manager (``with Neo4jServer(lib) as server: ...``), or call
    :meth:`start` and :meth:`close` yourself. Servers left running when the interpreter exits
    normally are stopped by an ``atexit`` hook (unless :meth:`detach` was called).

    Parameters
    ----------
    lib_dir : Path
        Folder of jars, as returned by :func:`ensure_neo4j_jars`.
    home : Path, optional
        Server home (``conf/``, ``data/``, ``logs/``, ...). By default a fresh temporary folder is
        made under ``base_dir`` at :meth:`start` and removed by :meth:`close`.
    base_dir : Path, optional
        Where to make the temporary home (the system temp dir by default); ignored with ``home``.
    port : int, optional
        Bolt port on 127.0.0.1; a free one is picked at :meth:`start` by default.
    password : str, optional
        Enables authentication with user ``neo4j`` and this initial password (8+ characters),
        set with ``neo4j-admin dbms set-initial-password`` before the first start. Without it,
        authentication is disabled.
    heap_initial, heap_max : str
        JVM heap sizes (``-Xms``/``-Xmx``), in Neo4j/JVM size syntax such as ``"512m"``.
    pagecache : str
        ``server.memory.pagecache.size``.
    startup_timeout : float
        Seconds to wait for the server to accept Bolt connections.
    stop_timeout : float
        Seconds to wait after SIGTERM before sending SIGKILL.
    config : Mapping[str, str], optional
        Extra ``neo4j.conf`` settings; they override the defaults written by this class.
    jvm_args : Sequence[str]
        Extra JVM flags, placed after :data:`JVM_FLAGS`.
    keep_data : bool
        Start on the existing data in ``home`` instead of wiping it (used by the dev server).
    remove_home : bool, optional
        Delete ``home`` in :meth:`close`; by default only a temporary home is deleted.

    Attributes
    ----------
    uri : str
        ``bolt://127.0.0.1:PORT`` (once a port is known).
    port : int or None
        The Bolt port.
    home : Path or None
        The server home.
    pid : int or None
        Process id of the running server (``None`` when it is not running).
    """

    def __init__(
        self,
        lib_dir: Path,
        home: Path | None = None,
        *,
        base_dir: Path | None = None,
        port: int | None = None,
        password: str | None = None,
        heap_initial: str = "512m",
        heap_max: str = "1g",
        pagecache: str = "128m",
        startup_timeout: float = 120.0,
        stop_timeout: float = 60.0,
        config: Mapping[str, str] | None = None,
        jvm_args: Sequence[str] = (),
        keep_data: bool = False,
        remove_home: bool | None = None,
    ) -> None:
        if password is not None and len(password) < _MIN_PASSWORD_LENGTH:
            raise ValueError(f"Neo4j passwords need at least {_MIN_PASSWORD_LENGTH} characters")
        self.lib_dir = Path(lib_dir).resolve()
        self._home = Path(home).resolve() if home is not None else None
        self._base_dir = Path(base_dir) if base_dir is not None else None
        self._requested_port = port
        self._port: int | None = port
        self.password = password
        self.heap_initial = heap_initial
        self.heap_max = heap_max
        self.pagecache = pagecache
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.extra_config = dict(config or {})
        self.jvm_args = tuple(jvm_args)
        self.keep_data = keep_data
        self._remove_home = remove_home if remove_home is not None else home is None
        self._proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None
        self.recovery: RecoveryProgress = RecoveryProgress()
        self._debug_offset = 0

    # -- attributes ------------------------------------------------------------------------

    @property
    def home(self) -> Path | None:
        """The server home folder (``None`` until :meth:`start` makes a temporary one)."""
        return self._home

    @property
    def port(self) -> int | None:
        """The Bolt port on 127.0.0.1 (``None`` until chosen)."""
        return self._port

    @property
    def uri(self) -> str:
        """The Bolt URI, ``bolt://127.0.0.1:PORT``."""
        if self._port is None:
            raise Neo4jServerError("the server has no port yet: call start() first")
        return f"bolt://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running server, or ``None``."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def auth(self) -> tuple[str, str] | None:
        """Driver credentials: ``("neo4j", password)``, or ``None`` when auth is disabled."""
        return ("neo4j", self.password) if self.password is not None else None

    @property
    def log_path(self) -> Path:
        """The file receiving the server's stdout and stderr (``HOME/logs/console.log``)."""
        return self._require_home() / "logs" / _CONSOLE_LOG

    @property
    def debug_log_path(self) -> Path:
        """Neo4j's own log (``HOME/logs/debug.log``): where it reports crash recovery."""
        return self._require_home() / "logs" / "debug.log"

    def driver(self, **kwargs: object) -> Driver:
        """Open a driver to this server with the right credentials.

        Parameters
        ----------
        **kwargs
            Passed to :func:`neo4j.GraphDatabase.driver`.

        Returns
        -------
        neo4j.Driver
            A new driver; close it (or use it as a context manager).
        """
        return GraphDatabase.driver(self.uri, auth=self.auth, **kwargs)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the last lines of the console log (empty if there is none).

        Parameters
        ----------
        lines : int
            How many lines to return.

        Returns
        -------
        str
            The lines, newline-separated.
        """
        if self._home is None:
            return ""
        try:
            with open(self.log_path, "rb") as handle:
                kept = deque(handle, maxlen=lines)
        except OSError:
            return ""
        return b"".join(kept).decode("utf-8", errors="replace").rstrip()

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Neo4jServer:
        """Lay out the home, write the config and start the server; wait until it is ready.

        The home is wiped first unless ``keep_data`` was given (only a home made by this class,
        or an empty folder, is ever wiped).

        Returns
        -------
        Neo4jServer
            ``self``, running and accepting Bolt connections at :attr:`uri`.

        Raises
        ------
        Neo4jServerError
            If the server is already running, exits early or is not ready in time; the message
            ends with the last lines of the server log.
        """
        if self.running:
            raise Neo4jServerError(f"the server is already running (pid {self.pid})")
        self._prepare_home()
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(1, attempts + 1):
            self._port = self._requested_port or free_port()
            self._write_config()
            if self.password is not None and not self._has_system_database():
                self._set_initial_password()
            try:
                self._launch_and_wait()
                return self
            except Neo4jServerError:
                # A free port picked by us can be taken before Neo4j binds it: try another.
                if attempt < attempts and "Address already in use" in self.log_tail(200):
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def restart(self) -> Neo4jServer:
        """Start the server again on the same home and port, keeping its data.

        A running server is stopped (SIGTERM) first; after :meth:`kill` this performs crash
        recovery on the next start.

        Returns
        -------
        Neo4jServer
            ``self``, running again at the same :attr:`uri`.

        Raises
        ------
        Neo4jServerError
            If the server was never started, or does not come back up.
        """
        if self._home is None or self._port is None:
            raise Neo4jServerError("restart() needs a server that was started before")
        self.stop()
        self._write_config()
        self._launch_and_wait()
        return self

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop the server: SIGTERM to its process group, then SIGKILL if it lingers.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait after SIGTERM; ``stop_timeout`` by default.

        Returns
        -------
        int or None
            The process exit code, or ``None`` if no server process was known.
        """
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                proc.wait()
        return self._forget()

    def kill(self) -> int | None:
        """Kill the server at once with SIGKILL (for fault-injection tests); data stays on disk.

        Returns
        -------
        int or None
            The process exit code (``-9``), or ``None`` if no server process was known.
        """
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            self._signal(signal.SIGKILL)
            proc.wait()
        return self._forget()

    def detach(self) -> int:
        """Leave the server running on its own: :meth:`close` and ``atexit`` will not stop it.

        Returns
        -------
        int
            The process id, for stopping it later with SIGTERM.
        """
        if self._proc is None or not self.running:
            raise Neo4jServerError("no running server to detach")
        pid = self._proc.pid
        self._proc = None
        _LIVE_SERVERS.discard(self)
        self._remove_home = False
        return pid

    def close(self) -> None:
        """Stop the server and, for a temporary home, delete the home folder."""
        self.stop()
        if self._remove_home and self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> Neo4jServer:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"Neo4jServer(home={str(self._home)!r}, port={self._port}, {state})"

    def admin(self, *args: str, what: str, timeout: float = 3600.0) -> None:
        """Run ``neo4j-admin ARGS...`` on this server's home (from the same jars).

        Parameters
        ----------
        *args : str
            The command and its options, e.g. ``"database", "import", "full", ...``.
        what : str
            What it does, for the error message.
        timeout : float
            Seconds it may run.

        Raises
        ------
        Neo4jServerError
            If it fails or times out; the message ends with its last output lines.
        """
        cmd = [_java_executable(), *JVM_FLAGS, "-cp", self._classpath(), ADMIN_TOOL, *args]
        _run_checked(cmd, what=what, timeout=timeout, env=self._env(),
                     cwd=str(self._require_home()))

    @contextlib.contextmanager
    def offline(self) -> Iterator[Neo4jServer]:
        """Stop the server for the block (an offline ``neo4j-admin`` step), then start it again
        on the same home and port, also when the block fails.

        Yields
        ------
        Neo4jServer
            ``self``, stopped.
        """
        if self._home is None or self._port is None:
            raise Neo4jServerError("offline() needs a server that was started before")
        self.stop()
        try:
            yield self
        finally:
            self._write_config()
            self._launch_and_wait()

    # -- internals -------------------------------------------------------------------------

    def _require_home(self) -> Path:
        if self._home is None:
            raise Neo4jServerError("the server has no home yet: call start() first")
        return self._home

    def _prepare_home(self) -> None:
        if self._home is None:
            if self._base_dir is not None:
                self._base_dir.mkdir(parents=True, exist_ok=True)
            self._home = Path(tempfile.mkdtemp(prefix="neo4j-", dir=self._base_dir)).resolve()
        home = self._home
        if home.exists() and not self.keep_data and any(home.iterdir()):
            if not (home / _HOME_MARKER).is_file():
                raise Neo4jServerError(
                    f"refusing to wipe {home}: it is not empty and was not made by Neo4jServer"
                )
            shutil.rmtree(home)
        for sub in ("conf", "data", "logs", "import", "plugins", "run", "licenses"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        (home / _HOME_MARKER).touch()
        lib_link = home / "lib"
        if lib_link.is_symlink() or lib_link.exists():
            if lib_link.resolve() != self.lib_dir:
                if lib_link.is_symlink():
                    lib_link.unlink()
                else:
                    shutil.rmtree(lib_link)
        if not lib_link.exists():
            lib_link.symlink_to(self.lib_dir, target_is_directory=True)

    def _config(self) -> dict[str, str]:
        home = self._require_home()
        bolt = f"127.0.0.1:{self._port}"
        settings = {
            "server.default_listen_address": "127.0.0.1",
            "server.default_advertised_address": "127.0.0.1",
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": bolt,
            "server.bolt.advertised_address": bolt,
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true" if self.password is not None else "false",
            "dbms.usage_report.enabled": "false",
            "server.memory.pagecache.size": self.pagecache,
            # Read by the neo4j launcher scripts only; the JVM gets -Xms/-Xmx directly.
            "server.memory.heap.initial_size": self.heap_initial,
            "server.memory.heap.max_size": self.heap_max,
            # Default is to preallocate 256 MiB per transaction log file and database.
            "db.tx_log.preallocate": "false",
            # Internal setting (default 5): Netty's quiet period, waited twice on shutdown, so a
            # graceful stop takes ~10 s instead of well under a second.
            "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
            "server.directories.data": str(home / "data"),
            "server.directories.transaction.logs.root": str(home / "data" / "transactions"),
            "server.directories.dumps.root": str(home / "data" / "dumps"),
            "server.directories.script.root": str(home / "data" / "scripts"),
            "server.directories.logs": str(home / "logs"),
            "server.directories.import": str(home / "import"),
            "server.directories.plugins": str(home / "plugins"),
            "server.directories.run": str(home / "run"),
            "server.directories.lib": str(home / "lib"),
            "server.directories.licenses": str(home / "licenses"),
        }
        settings.update(self.extra_config)
        return settings

    def _write_config(self) -> None:
        conf = self._require_home() / "conf" / "neo4j.conf"
        lines = ["# Written by graph_influence.testing.neo4j_server; rewritten on every start."]
        lines += [f"{key}={value}" for key, value in self._config().items()]
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _has_system_database(self) -> bool:
        return (self._require_home() / "data" / "databases" / "system").is_dir()

    def _env(self) -> dict[str, str]:
        home = self._require_home()
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(home)
        env["NEO4J_CONF"] = str(home / "conf")
        return env

    def _classpath(self) -> str:
        return str(self._require_home() / "lib") + os.sep + "*"

    def _set_initial_password(self) -> None:
        assert self.password is not None
        try:
            self.admin("dbms", "set-initial-password", self.password,
                       what="setting the initial Neo4j password", timeout=120.0)
        except Neo4jServerError as exc:
            # Keep the password out of the message.
            raise Neo4jServerError(str(exc).replace(self.password, "***")) from None

    def _command(self) -> list[str]:
        home = self._require_home()
        return [
            _java_executable(),
            f"-Xms{self.heap_initial}",
            f"-Xmx{self.heap_max}",
            *JVM_FLAGS,
            *self.jvm_args,
            "-cp",
            self._classpath(),
            ENTRY_POINT,
            f"--home-dir={home}",
            f"--config-dir={home / 'conf'}",
            "--console-mode",
        ]

    def _launch_and_wait(self) -> None:
        home = self._require_home()
        assert self._port is not None
        if not _port_is_free(self._port):
            # Otherwise the readiness poll could talk to whatever else listens there.
            raise Neo4jServerError(f"port {self._port} on 127.0.0.1 is already in use")
        cmd = self._command()
        self.recovery = RecoveryProgress()
        try:
            self._debug_offset = self.debug_log_path.stat().st_size
        except OSError:
            self._debug_offset = 0
        with open(self.log_path, "ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"=== {stamp} starting: {_format_cmd(cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(home),
                env=self._env(),
                start_new_session=True,
            )
        self.returncode = None
        _LIVE_SERVERS.add(self)
        self._wait_ready()

    def _wait_ready(self) -> None:
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error: BaseException | None = None
        while True:
            code = proc.poll()
            if code is not None:
                self._forget()
                raise Neo4jServerError(
                    f"Neo4j exited with code {code} before accepting connections on "
                    f"{self.uri}\n--- last lines of {self.log_path} ---\n{self.log_tail()}"
                )
            try:
                # The Bolt handshake is bounded by the acquisition timeout (60 s by default).
                with GraphDatabase.driver(
                    self.uri,
                    auth=self.auth,
                    connection_timeout=2.0,
                    connection_acquisition_timeout=5.0,
                ) as driver:
                    driver.verify_connectivity()
                return
            except AuthError as exc:
                self.kill()
                raise Neo4jServerError(
                    f"Neo4j at {self.uri} rejected the configured credentials: {exc}"
                ) from exc
            except (DriverError, Neo4jError, OSError) as exc:
                last_error = exc
            if self._read_recovery():  # crash recovery moved on (it logs every 10 %)
                deadline = max(deadline, time.monotonic() + max(self.startup_timeout,
                                                                _RECOVERY_STEP_WAIT_S))
            if time.monotonic() >= deadline:
                self.kill()
                raise Neo4jServerError(
                    f"Neo4j was not ready on {self.uri} after {self.startup_timeout:.0f} s "
                    f"without progress (last error: {last_error!r}); it was killed\n"
                    f"--- last lines of {self.log_path} ---\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def _read_recovery(self) -> bool:
        """Read what ``debug.log`` gained since the last look; True when recovery progressed."""
        try:
            with open(self.debug_log_path, "rb") as handle:
                handle.seek(self._debug_offset)
                text = handle.read()
        except OSError:
            return False
        end = text.rfind(b"\n") + 1  # whole lines only; the rest is read next time
        self._debug_offset += end
        return self.recovery.update(text[:end].decode("utf-8", errors="replace"))

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        # start_new_session=True made the JVM the leader of its own process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, sig)

    def _forget(self) -> int | None:
        proc = self._proc
        self._proc = None
        _LIVE_SERVERS.discard(self)
        self.returncode = proc.returncode if proc is not None else None
        return self.returncode


# --------------------------------------------------------------------------------------------
# Command line: a detached development server in <state>/dev (see neo4j_state_dir)
# --------------------------------------------------------------------------------------------


def _process_state(pid: int) -> str | None:
    """Return the ``/proc`` state letter of ``pid`` (``None`` if there is no such process)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("State:"):
            return line.split()[1]
    return "?"


def _is_neo4j_server(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return ENTRY_POINT.encode() in cmdline and _process_state(pid) not in (None, "Z")


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _say(message: str) -> None:
    """A line on stderr about what ``up``/``down`` is doing (stdout carries only NEO4J_URI)."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _still(what: str, every: float = 15.0,
           detail: Callable[[], str] | None = None) -> Iterator[None]:
    """Say ``still WHAT (N s)`` on stderr every ``every`` seconds until the block ends, with
    ``detail()`` after it when that says something."""
    import threading

    done = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        while not done.wait(every):
            more = detail() if detail is not None else ""
            _say(f"  ... still {what} ({time.monotonic() - started:.0f} s)"
                 + (f": {more}" if more else ""))

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _jars_ready(state: Path) -> bool:
    """Whether ``<state>/lib`` holds the jars of the packaged pom (no Maven run needed)."""
    stamp = hashlib.sha256(packaged_pom().read_bytes()).hexdigest()
    return _jars_complete(state / "lib", stamp)


#: In the state folder: present when the development server runs with Open GDS.
_DEV_GDS_MARKER = "dev-gds"


def _dev_server(state: Path, lib: Path, *, port: int | None, password: str | None,
                timeout: float = 120.0) -> Neo4jServer:
    """The development server's process on ``<state>/dev`` (not started), with Open GDS when
    ``up --gds`` asked for it (``<state>/dev-gds``)."""
    config: dict[str, str] = {}
    heap = "1g"
    if (state / _DEV_GDS_MARKER).is_file():
        from graph_influence.testing.gds import ensure_gds_jars, gds_lib_dir, gds_server_config

        gds = ensure_gds_jars(state, server_lib=lib)
        config, lib, heap = gds_server_config(gds), gds_lib_dir(lib, gds, state), "2g"
    return Neo4jServer(lib, state / "dev", port=port, password=password, heap_max=heap,
                       config=config, startup_timeout=timeout, keep_data=True,
                       remove_home=False)


class DevServer:
    """The detached development server of ``make neo4j-up``, as a store sees it: a server this
    machine controls, which a bulk load may stop for an offline import and start again.

    Parameters
    ----------
    state : Path
        Its state folder (:func:`neo4j_state_dir`): ``pid``, ``port``, ``uri``, ``dev/``.
    password : str, optional
        The password of user ``neo4j`` when the server has authentication on (needed to see it
        come back up after a restart).
    """

    def __init__(self, state: Path, *, password: str | None = None) -> None:
        self.state = Path(state)
        self.password = password

    @classmethod
    def serving(cls, uri: str, *, state: Path | None = None,
                start: Path | None = None) -> DevServer | None:
        """The development server, if one is running here and listens at ``uri``.

        Parameters
        ----------
        uri : str
            A store URL (``bolt://127.0.0.1:PORT``; ``localhost`` and ``neo4j://`` match too).
        state : Path, optional
            Its state folder; by default :func:`neo4j_state_dir` (from ``start``).
        start : Path, optional
            Where to look for the checkout (the current directory by default).

        Returns
        -------
        DevServer or None
            None when no development server runs, it listens elsewhere, or it has
            authentication on and ``NEO4J_PASSWORD`` is not set (or ``NEO4J_USERNAME`` names
            another user than ``neo4j``, whose password sees the restart through).
        """
        state = Path(state) if state is not None else neo4j_state_dir(start=start)
        pid = _read_pid(state / "pid")
        port = _read_pid(state / "port")
        if pid is None or port is None or not _is_neo4j_server(pid):
            return None
        match = re.fullmatch(r"(?:bolt|neo4j)://(127\.0\.0\.1|localhost):(\d+)/?", uri.strip())
        if match is None or int(match[2]) != port:
            return None
        password = None
        conf = state / "dev" / "conf" / "neo4j.conf"
        try:
            auth_on = "dbms.security.auth_enabled=true" in conf.read_text(encoding="utf-8")
        except OSError:
            return None
        if auth_on:  # the restart is checked as user neo4j, with the store's password
            password = os.environ.get("NEO4J_PASSWORD") or None
            user = os.environ.get("NEO4J_USERNAME") or "neo4j"
            if password is None or len(password) < _MIN_PASSWORD_LENGTH or user != "neo4j":
                return None
        return cls(state, password=password)

    @property
    def home(self) -> Path:
        """The server home (``<state>/dev``)."""
        return self.state / "dev"

    def _server(self) -> Neo4jServer:
        return _dev_server(self.state, self.state / "lib", port=_read_pid(self.state / "port"),
                           password=self.password)

    def admin(self, *args: str, what: str, timeout: float = 3600.0) -> None:
        """Run ``neo4j-admin ARGS...`` on its home (see :meth:`Neo4jServer.admin`)."""
        self._server().admin(*args, what=what, timeout=timeout)

    @contextlib.contextmanager
    def offline(self) -> Iterator[DevServer]:
        """Stop the server for the block, then start it again (detached, same port, new pid
        in ``<state>/pid``), also when the block fails."""
        pid = _read_pid(self.state / "pid")
        if pid is not None and _is_neo4j_server(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 60.0
            while _is_neo4j_server(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _is_neo4j_server(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                while _is_neo4j_server(pid):
                    time.sleep(0.1)
        try:
            yield self
        finally:
            server = self._server()
            port = server.port
            deadline = time.monotonic() + _PORT_RELEASE_WAIT_S
            while port is not None and not _port_is_free(port) and time.monotonic() < deadline:
                time.sleep(0.1)
            server.start()
            (self.state / "pid").write_text(f"{server.detach()}\n", encoding="utf-8")


def _print_exports(uri: str) -> None:
    """Shell lines on stdout that point every graph-influence command (and the Neo4j tools)
    at ``uri``: ``eval "$(make -s neo4j-up)"`` runs them."""
    print(f"export GRAPH_INFLUENCE_STORE={uri}")
    print(f"export NEO4J_URI={uri}")


def _cmd_up(args: argparse.Namespace) -> int:
    state = neo4j_state_dir(args.root)
    pid_file, uri_file, port_file = state / "pid", state / "uri", state / "port"
    pid = _read_pid(pid_file)
    if pid is not None and _is_neo4j_server(pid) and uri_file.is_file():
        with_gds = (state / _DEV_GDS_MARKER).is_file()
        _say(f"Neo4j dev server already running (pid {pid}, data in {state / 'dev'}"
             f"{', with Open GDS' if with_gds else ''})")
        if args.gds != with_gds:
            _say(f"  it runs {'with' if with_gds else 'without'} Open GDS: make neo4j-down, "
                 f"then make neo4j-up{' GDS=1' if args.gds else ''} to change that")
        _print_exports(uri_file.read_text(encoding="utf-8").strip())
        return 0
    if not _jars_ready(state):
        _say(f"fetching the Neo4j 5.26 server jars from Maven Central into {state / 'lib'} "
             "(once; about 100 MB, a few minutes on a cold Maven cache)")
        started = time.monotonic()
        with _still("fetching the jars"):
            lib = _ensure_jars_in(state)
        _say(f"fetched {sum(1 for _ in lib.glob('*.jar'))} jars in "
             f"{time.monotonic() - started:.0f} s")
    else:
        lib = _ensure_jars_in(state)
    gds_marker = state / _DEV_GDS_MARKER
    if args.gds:
        from graph_influence.testing.gds import ensure_gds_jars

        if not (state / "gds").is_dir():
            _say(f"fetching Open GDS 2.13 (GPL-3.0, optional) from Maven Central into "
                 f"{state / 'gds'} (once; about 60 MB)")
        started = time.monotonic()
        with _still("fetching the GDS jars"):
            ensure_gds_jars(state, server_lib=lib)
        _say(f"Open GDS jars ready ({time.monotonic() - started:.0f} s)")
        gds_marker.write_text("1\n", encoding="utf-8")
    else:
        gds_marker.unlink(missing_ok=True)
    # The port is kept across restarts of the same home (a client's NEO4J_URI stays valid).
    port = args.port
    kept = _read_pid(port_file)  # (an integer in a file, like the pid)
    if port is None and kept is not None:
        # A server killed a moment ago may still hold its port while the kernel tears the
        # process down (a JVM of a few GB takes a while): wait for it before moving.
        deadline = time.monotonic() + _PORT_RELEASE_WAIT_S
        while not _port_is_free(kept) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _port_is_free(kept):
            port = kept
        else:
            _say(f"port {kept}, this server's port before, is still taken after "
                 f"{_PORT_RELEASE_WAIT_S:.0f} s: using another one (update NEO4J_URI)")
    _say(f"starting Neo4j on {'port ' + str(port) if port else 'a free port'} of 127.0.0.1 "
         f"(data in {state / 'dev'}); waiting up to {args.timeout:.0f} s for it to accept "
         "connections (longer while it recovers from an unclean stop)")
    server = _dev_server(state, lib, port=port, password=args.password, timeout=args.timeout)
    started = time.monotonic()
    with _still("starting Neo4j", detail=lambda: str(server.recovery)):
        server.start()
    port_file.write_text(f"{server.port}\n", encoding="utf-8")
    uri_file.write_text(server.uri + "\n", encoding="utf-8")
    pid = server.detach()
    pid_file.write_text(f"{pid}\n", encoding="utf-8")
    recovered = f"; {server.recovery}" if server.recovery.done else ""
    gds = ", with Open GDS" if args.gds else ""
    _say(f"Neo4j is ready at {server.uri} (pid {pid}{gds}, started in "
         f"{time.monotonic() - started:.1f} s{recovered}); stop it with make neo4j-down")
    _print_exports(server.uri)
    return 0


def _cmd_down(args: argparse.Namespace) -> int:
    state = neo4j_state_dir(args.root)
    pid_file, uri_file = state / "pid", state / "uri"
    pid = _read_pid(pid_file)
    if pid is None or not _is_neo4j_server(pid):
        _say("no Neo4j dev server running")
    else:
        _say(f"stopping Neo4j (pid {pid}); its data stays in {state / 'dev'}")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + args.timeout
        while _is_neo4j_server(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _is_neo4j_server(pid):
            _say(f"Neo4j (pid {pid}) ignored SIGTERM; sending SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _say(f"stopped Neo4j (pid {pid})")
    pid_file.unlink(missing_ok=True)
    uri_file.unlink(missing_ok=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``up`` / ``down`` for a detached development server.

    Parameters
    ----------
    argv : Sequence[str], optional
        Arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        Process exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m graph_influence.testing.neo4j_server",
        description="Run a local Neo4j 5.26 Community server from Maven Central jars.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="checkout root; state in ROOT/.neo4j (default: the checkout around the current "
        "directory, else $GRAPH_INFLUENCE_CACHE/neo4j or ~/.cache/graph-influence/neo4j)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the dev server (data in <state>/dev), print NEO4J_URI")
    up.add_argument("--port", type=int, default=None,
                    help="Bolt port (default: the one this home used before, else a free one)")
    up.add_argument(
        "--password",
        default=os.environ.get("NEO4J_PASSWORD") or None,
        help="enable auth with this initial password for user neo4j, set on first start "
        "(default: $NEO4J_PASSWORD, else auth disabled)",
    )
    up.add_argument("--timeout", type=float, default=120.0, help="start-up timeout in seconds")
    up.add_argument("--gds", action="store_true",
                    help="with Open Graph Data Science 2.13 (GPL-3.0; its jars are fetched "
                    "from Maven Central on first use)")
    down = sub.add_parser("down", help="stop the dev server (SIGTERM via <state>/pid)")
    down.add_argument("--timeout", type=float, default=60.0, help="seconds before SIGKILL")
    args = parser.parse_args(argv)
    try:
        return _cmd_up(args) if args.command == "up" else _cmd_down(args)
    except (Neo4jServerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
