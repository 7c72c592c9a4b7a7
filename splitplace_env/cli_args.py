"""Argument parsing shared by the project's commands: one-line errors, defaults in the help.

``CommandParser`` is an ``argparse.ArgumentParser`` whose errors are one line on
stderr (``<prog>: error: <message> (see --help)``, exit code 2) and whose help
shows every option's default. The ``*_arg`` factories are ``type=`` converters
that reject out-of-range values with a message saying what is expected, so
argparse names the option: ``--seeds: expected an integer >= 1, got '0'``.
``add_output_arguments`` adds the output options every writing command shares
(see ``splitplace_env.outputs``).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from typing import Callable, NoReturn

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: X)`` to an option's help unless the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not text or "default" in text or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        return super()._get_help_string(action)


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` with one-line errors (exit 2) and defaults in the help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Prints ``<prog>: error: <message> (see --help)`` on one line and exits with 2."""
        text = " ".join(str(message).split())  # one line, whatever the message held
        self.exit(2, f"{self.prog}: error: {text} (see {self.prog} --help)\n")


def fail(prog: str, message: str) -> int:
    """Prints a one-line command error to stderr and returns exit code 2 (for ``main``)."""
    print(f"{prog}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def int_arg(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    """A ``type=`` converter: a decimal integer within ``[minimum, maximum]``."""
    if minimum is not None and maximum is not None:
        want = f"an integer from {minimum} to {maximum}"
    elif minimum is not None:
        want = f"an integer >= {minimum}"
    elif maximum is not None:
        want = f"an integer <= {maximum}"
    else:
        want = "an integer"

    def convert(text: str) -> int:
        # ASCII digits only: int() would also take "1_000" or other scripts' digits
        if not _INTEGER.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}")
        value = int(text.strip())
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}")
        return value

    convert.__name__ = "integer"
    return convert


def float_arg(minimum: float | None = None, *, strict: bool = True,
              maximum: float | None = None) -> Callable[[str], float]:
    """A ``type=`` converter: a finite number above ``minimum`` (or at least it, ``strict=False``)."""
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    want = "a finite number" + (" " + " and ".join(parts) if parts else "")

    def convert(text: str) -> float:
        if not _NUMBER.fullmatch(text.strip()):
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}")
        value = float(text.strip())
        low_bad = minimum is not None and (value <= minimum if strict else value < minimum)
        if not math.isfinite(value) or low_bad or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}")
        return value

    convert.__name__ = "number"
    return convert


def add_output_arguments(parser: argparse.ArgumentParser, committed: str, *, option: str = "--out-dir",
                         what: str = "folder for the output files",
                         default: str = "a new runs/<command>-<timestamp>/ under the current directory") -> None:
    """Adds the explicit-output option and ``--update-committed`` (mutually exclusive).

    Args:
        parser: the command's parser.
        committed: the committed location ``--update-committed`` refreshes, as shown in the help.
        option: the explicit-output option's name (``--out-dir`` or ``--out``).
        what: what the option names, for its help.
        default: where the command writes without either option, for the help.
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument(option, default=None, metavar="PATH", help=f"{what} (default: {default})")
    group.add_argument("--update-committed", action="store_true",
                       help=f"write the committed {committed} instead (refreshes shipped files; refused "
                            "inside site-packages)")
