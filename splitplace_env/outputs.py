"""Where a command writes its files: a fresh run directory unless told otherwise.

Every command of the project (benchmarks, training, profiling) chooses its
output location here, so that nothing that ships is overwritten by default:

* an explicit path (``--out-dir`` / ``--out``) is used as given;
* ``--update-committed`` writes the committed location (``benchmarks/results/``,
  ``agents/weights/``, ``splitplace_env/data/``...), the only way to refresh it;
* otherwise a new directory ``runs/<command>-<YYYYmmdd-HHMMSS>/`` under the
  current directory (``runs/`` is gitignored), never reused.

No location inside an installed package (``site-packages`` / ``dist-packages``)
is ever written: from an installed package ``--update-committed`` is refused and
the run directory is made under the current directory.

This module sits at the bottom of the package (it imports nothing of the
project) so that ``splitplace_env``, ``agents`` and ``benchmarks`` can share it.
"""

from __future__ import annotations

import datetime as _dt
import os
import site
import sysconfig
from pathlib import Path

#: Folder, under the current directory, that holds the run directories.
RUNS_DIR = "runs"
#: Folder names that mark an installed package's location.
_INSTALL_DIR_NAMES = ("site-packages", "dist-packages")


class OutputPathError(ValueError):
    """An output location that must not be written (or contradictory output options)."""


def _install_roots() -> list[Path]:
    """The interpreter's package installation folders (site, user site, purelib, platlib)."""
    roots = []
    for getter in (site.getsitepackages, lambda: [site.getusersitepackages()]):
        try:
            roots += [Path(p) for p in getter()]
        except AttributeError:  # virtualenv's old site.py lacks these
            pass
    paths = sysconfig.get_paths()
    roots += [Path(paths[k]) for k in ("purelib", "platlib") if k in paths]
    return [r.resolve() for r in roots]


def in_installed_package(path: str | os.PathLike) -> bool:
    """Whether ``path`` lies inside an installation folder of Python packages.

    True for any path with a ``site-packages`` or ``dist-packages`` component and for
    any path under this interpreter's site, user-site, purelib or platlib folders.
    """
    p = Path(path).expanduser().resolve()
    if any(part in _INSTALL_DIR_NAMES for part in p.parts):
        return True
    return any(p == root or root in p.parents for root in _install_roots())


def _refuse_installed(path: Path, what: str) -> None:
    if in_installed_package(path):
        raise OutputPathError(f"{what} {path} is inside an installed package (site-packages); "
                              "write elsewhere (--out-dir / --out), or run from a source checkout "
                              "to refresh the committed files")


def new_run_dir(command: str, base: str | os.PathLike | None = None, now: _dt.datetime | None = None) -> Path:
    """Creates and returns a new, empty ``<base>/runs/<command>-<timestamp>/``.

    Args:
        command: the command's name, e.g. ``"table1"`` (letters, digits, ``-``, ``_``, ``.``).
        base: folder that holds ``runs/`` (default: the current directory).
        now: the timestamp (default: the current local time).

    Returns:
        The directory; ``-2``, ``-3``... is appended when the timestamp is taken, so a
        run directory is never shared by two runs.

    Raises:
        OutputPathError: if ``command`` is not a plain name or the folder would be
            inside an installed package.
    """
    if not command or any(not (c.isalnum() or c in "-_.") for c in command):
        raise OutputPathError(f"command name {command!r} must be letters, digits, '-', '_' or '.'")
    root = Path(base if base is not None else Path.cwd()) / RUNS_DIR
    _refuse_installed(root, "the run folder")
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    root.mkdir(parents=True, exist_ok=True)
    for k in range(1, 10_000):
        path = root / (f"{command}-{stamp}" if k == 1 else f"{command}-{stamp}-{k}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise OutputPathError(f"no free run directory for {command}-{stamp} in {root}")


def resolve_output_dir(command: str, out_dir: str | os.PathLike | None = None, *, update_committed: bool = False,
                       committed: str | os.PathLike | None = None, out_option: str = "--out-dir") -> Path:
    """The folder a command writes into (created), by the rules of this module.

    Args:
        command: the command's name, used for the run directory.
        out_dir: the explicit output folder, if the user gave one.
        update_committed: the user asked to refresh the committed files.
        committed: the committed location the command refreshes (needed with
            ``update_committed``).
        out_option: the name of the explicit-folder option, for messages.

    Returns:
        ``out_dir``, else ``committed`` when ``update_committed``, else a new run directory.

    Raises:
        OutputPathError: both an explicit folder and ``update_committed``; a command
            without committed files asked to update them; or a folder inside an
            installed package.
    """
    if update_committed and out_dir is not None:
        raise OutputPathError(f"give either {out_option} or --update-committed, not both")
    if update_committed:
        if committed is None:
            raise OutputPathError(f"{command} has no committed files to update")
        path = Path(committed)
        _refuse_installed(path, "--update-committed writes")
    elif out_dir is not None:
        path = Path(out_dir)
        _refuse_installed(path, f"{out_option}")
    else:
        return new_run_dir(command)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{out_option} {path} is a file, expected a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_output_file(command: str, filename: str, out: str | os.PathLike | None = None, *,
                        update_committed: bool = False, committed: str | os.PathLike | None = None,
                        out_option: str = "--out") -> Path:
    """The file a one-file command writes (its folder created), by the rules of this module.

    Args:
        command: the command's name, used for the run directory.
        filename: the file's name inside a run directory.
        out: the explicit output file, if the user gave one.
        update_committed: the user asked to refresh the committed file.
        committed: the committed file the command refreshes.
        out_option: the name of the explicit-file option, for messages.

    Returns:
        ``out``, else ``committed`` when ``update_committed``, else ``<run dir>/<filename>``.

    Raises:
        OutputPathError: as ``resolve_output_dir``, or ``out`` is an existing folder.
    """
    if update_committed and out is not None:
        raise OutputPathError(f"give either {out_option} or --update-committed, not both")
    if update_committed:
        if committed is None:
            raise OutputPathError(f"{command} has no committed file to update")
        path = Path(committed)
        _refuse_installed(path, "--update-committed writes")
    elif out is not None:
        path = Path(out)
        _refuse_installed(path, out_option)
        if path.is_dir():
            raise OutputPathError(f"{out_option} {path} is a folder, expected a file path")
    else:
        return new_run_dir(command) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
