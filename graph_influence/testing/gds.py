"""Open Graph Data Science (GDS) 2.13 as an optional plugin of the Neo4j test server.

Open GDS is GPL-3.0, so it is never a dependency of graph-influence: only the list of its
Maven coordinates ships (``graph_influence/testing/gds-pom.xml``, see :func:`packaged_gds_pom`),
and the jars are downloaded on request, next to the server jars of
:mod:`graph_influence.testing.neo4j_server`:

* :func:`ensure_gds_jars` runs Maven once and keeps the GDS jars flat in ``<state>/gds``,
  without the third-party jars that the server's ``lib`` folder already holds (any version:
  commons-lang3, caffeine, eclipse-collections, jackson, ...). Maven Central has no shaded
  ``open-gds`` jar, only its modules and their dependencies.
* :func:`gds_lib_dir` lays out ``<state>/lib-gds``, symbolic links to every server jar and
  every GDS jar: the server's class path. GDS registers a kernel extension, which Neo4j finds
  with a ``ServiceLoader`` on the class path, and its procedures, which Neo4j loads from the
  plugins folder, so the GDS jars must be in both places.
* :func:`gds_server_config` gives the ``neo4j.conf`` settings (plugins folder, unrestricted
  ``gds.*`` procedures) and :func:`gds_server` puts it all together in a (not yet started)
  :class:`~graph_influence.testing.neo4j_server.Neo4jServer`.
* :func:`has_gds` tells whether a server has GDS, and which version.

Only the standard library and the ``neo4j`` driver are used.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import shutil
from pathlib import Path
from typing import Any

from neo4j import Driver
from neo4j.exceptions import ClientError

from graph_influence.testing.neo4j_server import (
    _JARS_MARKER,
    Neo4jServer,
    Neo4jServerError,
    _ensure_jars_in,
    _file_lock,
    _jars_complete,
    _java_executable,
    _require_tool,
    _run_checked,
)

__all__ = [
    "GDS_GROUP",
    "GDS_POM_NAME",
    "ensure_gds_jars",
    "gds_lib_dir",
    "gds_server",
    "gds_server_config",
    "has_gds",
    "packaged_gds_pom",
]

#: File name of the GDS pom, package data of ``graph_influence.testing``.
GDS_POM_NAME = "gds-pom.xml"
#: Maven group of the GDS modules: never dropped as duplicates of server jars (GDS has modules
#: named like server artifacts, ``annotations`` and ``neo4j-values``, that are other jars).
GDS_GROUP = "org.neo4j.gds"
#: A jar that a complete download holds: the kernel extension that starts GDS.
_EXTENSION_JAR = "opengds-extension-"
#: Sub-folders of the state folder: the GDS jars, and the combined class path.
_GDS_DIR = "gds"
_LIB_GDS_DIR = "lib-gds"
_LOCK = ".gds.lock"
# Server jar names are ARTIFACT-VERSION.jar, with a version that starts with a digit.
_VERSION_TAIL = r"-\d[^/]*\.jar"


def packaged_gds_pom() -> importlib.resources.abc.Traversable:
    """The pom that lists the Open GDS modules, as package data of ``graph_influence.testing``.

    Returns
    -------
    importlib.resources.abc.Traversable
        ``graph_influence/testing/gds-pom.xml`` inside the installed package.
    """
    return importlib.resources.files(__package__ or "graph_influence.testing") / GDS_POM_NAME


# --------------------------------------------------------------------------------------------
# Jars
# --------------------------------------------------------------------------------------------


def ensure_gds_jars(
    state: Path,
    *,
    server_lib: Path | None = None,
    pom: Path | None = None,
    timeout: float = 1800.0,
) -> Path:
    """Make sure the Open GDS jars are in ``<state>/gds``, fetching them if needed.

    Maven (``mvn dependency:copy-dependencies``) runs only when the folder is missing or was not
    completed for the current pom and server jars: a marker file holding their hash is written
    last. The jars land in a scratch folder that replaces ``gds`` only on success, under a file
    lock, so concurrent callers and interrupted downloads are safe. Third-party jars whose
    artifact the server lib already holds (in any version) are left out.

    Parameters
    ----------
    state : Path
        The state folder (``<checkout>/.neo4j``, see
        :func:`~graph_influence.testing.neo4j_server.neo4j_state_dir`).
    server_lib : Path, optional
        The server jars (:func:`~graph_influence.testing.neo4j_server.ensure_neo4j_jars`);
        ``<state>/lib`` by default.
    pom : Path, optional
        The pom to resolve; the one shipped with this package (:func:`packaged_gds_pom`) by
        default.
    timeout : float
        Seconds Maven may run.

    Returns
    -------
    Path
        The folder holding the GDS jars (``<state>/gds``), to use as the plugins folder.

    Raises
    ------
    MissingToolError
        If ``java`` or ``mvn`` cannot be found.
    Neo4jServerError
        If the server lib holds no jars, the pom is missing or Maven fails.
    """
    state = Path(state).resolve()
    lib = Path(server_lib).resolve() if server_lib is not None else state / "lib"
    if pom is not None:
        return _ensure_gds(state, lib, Path(pom).resolve(), timeout)
    with importlib.resources.as_file(packaged_gds_pom()) as packaged:
        return _ensure_gds(state, lib, Path(packaged), timeout)


def _ensure_gds(state: Path, server_lib: Path, pom: Path, timeout: float) -> Path:
    if not pom.is_file():
        raise Neo4jServerError(f"GDS pom not found: {pom}")
    server_jars = _jar_names(server_lib)
    if not server_jars:
        raise Neo4jServerError(f"no server jars in {server_lib}: fetch them first "
                               "(ensure_neo4j_jars)")
    target = state / _GDS_DIR
    stamp = _digest([pom.read_bytes(), *(name.encode() for name in server_jars)])
    if _jars_complete(target, stamp):
        return target
    state.mkdir(parents=True, exist_ok=True)
    with _file_lock(state / _LOCK):
        if not _jars_complete(target, stamp):
            _fetch_gds(state, target, pom, server_jars, stamp, timeout)
    return target


def _fetch_gds(state: Path, target: Path, pom: Path, server_jars: list[str], stamp: str,
               timeout: float) -> None:
    """Run Maven into a scratch folder, keep the jars the server lacks, then swap it in."""
    _java_executable()
    mvn = _require_tool("mvn", "Maven 3.8+", "maven")
    scratch = state / f"{_GDS_DIR}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    download = scratch / ".maven"
    cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(pom),
           "dependency:copy-dependencies", "-Dmdep.useRepositoryLayout=true",
           f"-DoutputDirectory={download}"]
    _run_checked(cmd, what="fetching the Open GDS jars", timeout=timeout)
    kept, dropped = _keep_new_jars(download, scratch, server_jars)
    shutil.rmtree(download)
    if not any(name.startswith(_EXTENSION_JAR) for name in kept):
        raise Neo4jServerError(f"Maven succeeded but {scratch} holds no {_EXTENSION_JAR}*.jar "
                               f"({len(kept)} jars)")
    (scratch / _JARS_MARKER).write_text(
        f"{stamp}\n{len(kept)} jars\nleft out (in the server lib): {' '.join(dropped)}\n",
        encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)


def _keep_new_jars(download: Path, dest: Path, server_jars: list[str]
                   ) -> tuple[list[str], list[str]]:
    """Move the jars of a repository-layout ``download`` flat into ``dest``, except third-party
    jars whose artifact is among ``server_jars``; return the kept and the dropped names."""
    kept: list[str] = []
    dropped: list[str] = []
    for jar in sorted(download.rglob("*.jar")):
        group, artifact = _coordinates(jar.relative_to(download))
        if group != GDS_GROUP and _in_lib(artifact, server_jars):
            dropped.append(jar.name)
            continue
        if (dest / jar.name).exists():
            raise Neo4jServerError(f"two GDS dependencies are both named {jar.name}")
        jar.rename(dest / jar.name)
        kept.append(jar.name)
    return kept, dropped


def _coordinates(relative: Path) -> tuple[str, str]:
    """``(group, artifact)`` of a jar at ``GROUP/PATH/ARTIFACT/VERSION/FILE`` (Maven's layout)."""
    parts = relative.parts
    if len(parts) < 4:
        raise Neo4jServerError(f"unexpected path in the Maven download: {relative}")
    return ".".join(parts[:-3]), parts[-3]


def _in_lib(artifact: str, jar_names: list[str]) -> bool:
    """Whether ``jar_names`` holds ``ARTIFACT-VERSION.jar`` for some version."""
    pattern = re.compile(re.escape(artifact) + _VERSION_TAIL)
    return any(pattern.fullmatch(name) for name in jar_names)


def _jar_names(folder: Path) -> list[str]:
    """The sorted names of the jars in ``folder`` (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.glob("*.jar"))


def _digest(parts: list[bytes]) -> str:
    """SHA-256 of ``parts``, each followed by a NUL byte."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Class path and configuration
# --------------------------------------------------------------------------------------------


def gds_lib_dir(neo4j_lib: Path, gds_jars: Path, state: Path) -> Path:
    """A folder of symbolic links to every server jar and every GDS jar: the class path.

    Pass it as ``Neo4jServer(lib_dir=...)``. It is rebuilt (in a scratch folder swapped in under
    a file lock) when either jar folder changed: a marker file holds the hash of the link list.

    Parameters
    ----------
    neo4j_lib : Path
        The server jars (:func:`~graph_influence.testing.neo4j_server.ensure_neo4j_jars`).
    gds_jars : Path
        The GDS jars (:func:`ensure_gds_jars`).
    state : Path
        The state folder; the links go to ``<state>/lib-gds``.

    Returns
    -------
    Path
        ``<state>/lib-gds``.

    Raises
    ------
    Neo4jServerError
        If either folder holds no jars.
    """
    links = _link_targets(Path(neo4j_lib).resolve(), Path(gds_jars).resolve())
    state = Path(state).resolve()
    target = state / _LIB_GDS_DIR
    stamp = _digest([f"{name}\t{path}".encode() for name, path in sorted(links.items())])
    if _jars_complete(target, stamp):
        return target
    state.mkdir(parents=True, exist_ok=True)
    with _file_lock(state / _LOCK):
        if not _jars_complete(target, stamp):
            _write_links(target, links, stamp)
    return target


def _link_targets(neo4j_lib: Path, gds_jars: Path) -> dict[str, Path]:
    """Link name -> jar: every server jar, and every GDS jar of another name."""
    server, gds = _jar_names(neo4j_lib), _jar_names(gds_jars)
    for folder, names in ((neo4j_lib, server), (gds_jars, gds)):
        if not names:
            raise Neo4jServerError(f"no jars in {folder}")
    links = {name: gds_jars / name for name in gds}
    links.update({name: neo4j_lib / name for name in server})  # the server's jar wins
    return links


def _write_links(target: Path, links: dict[str, Path], stamp: str) -> None:
    scratch = target.with_name(f"{target.name}.partial")
    shutil.rmtree(scratch, ignore_errors=True)  # (removes links, never what they point to)
    scratch.mkdir(parents=True)
    for name, path in links.items():
        (scratch / name).symlink_to(path)
    (scratch / _JARS_MARKER).write_text(f"{stamp}\n{len(links)} jars\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)


def gds_server_config(gds_jars: Path) -> dict[str, str]:
    """The ``neo4j.conf`` settings that load GDS (with the class path of :func:`gds_lib_dir`).

    Parameters
    ----------
    gds_jars : Path
        The GDS jars (:func:`ensure_gds_jars`): the plugins folder.

    Returns
    -------
    dict of str to str
        ``server.directories.plugins`` and ``dbms.security.procedures.unrestricted``
        (GDS's procedures use internal APIs, which Neo4j allows only to unrestricted ones).
    """
    return {
        "server.directories.plugins": str(Path(gds_jars).resolve()),
        "dbms.security.procedures.unrestricted": "gds.*",
    }


def gds_server(state: Path, *, timeout: float = 1800.0, **kwargs: Any) -> Neo4jServer:
    """A Neo4j test server with Open GDS: jars fetched if needed, the server not started.

    Parameters
    ----------
    state : Path
        The state folder (see
        :func:`~graph_influence.testing.neo4j_server.neo4j_state_dir`): server jars in
        ``lib``, GDS jars in ``gds``, the class path in ``lib-gds``.
    timeout : float
        Seconds each Maven run (server jars, GDS jars) may take.
    **kwargs
        Passed to :class:`~graph_influence.testing.neo4j_server.Neo4jServer`; ``config``
        entries override those of :func:`gds_server_config`, and ``heap_max`` is ``"2g"``
        unless given (GDS keeps its graphs on the heap).

    Returns
    -------
    Neo4jServer
        Use it as a context manager, or call ``start()``.
    """
    state = Path(state).resolve()
    lib = _ensure_jars_in(state, timeout=timeout)
    gds = ensure_gds_jars(state, server_lib=lib, timeout=timeout)
    config = {**gds_server_config(gds), **dict(kwargs.pop("config", None) or {})}
    kwargs.setdefault("heap_max", "2g")
    return Neo4jServer(gds_lib_dir(lib, gds, state), config=config, **kwargs)


def has_gds(driver: Driver) -> str | None:
    """The version of GDS on the server behind ``driver``, if it has GDS.

    Parameters
    ----------
    driver : neo4j.Driver

    Returns
    -------
    str or None
        What ``gds.version()`` returns, or ``None`` when the server rejects the call (no such
        function). Connection errors are raised.
    """
    try:
        records, _, _ = driver.execute_query("RETURN gds.version() AS version")
    except ClientError:
        return None
    return str(records[0]["version"])
