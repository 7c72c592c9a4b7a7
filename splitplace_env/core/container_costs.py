"""Reading and validating ``container_costs.json`` (per-container fixed costs); no torch.

The document (written by ``python -m splitplace_env.profiling.container_costs``, method
and figures in ``data/PROFILES.md``, section "Per-container fixed costs")::

    {"header": {"command": str, "method": "measured", "pi_factor": float, "host": str,
                "date": ISO 8601 str, "repeats": int, "notes": str},
     "applications": {
        "MNIST": {"decode_s_per_mb": float, "decode_fixed_s": float,
                  "load_s": {"layer": [4 floats], "semantic": [5 floats], "compressed": [1 float]}},
        "FashionMNIST": {...}, "CIFAR100": {...}}}

All times are single-core Raspberry Pi 4B seconds. A fragment container of
(app, network) fragment k is charged ``load_s[network][k]`` for loading its checkpoint,
plus ``decode_fixed_s + decode_s_per_mb x MB`` to decode its input, MB being the
decoded float32 size of the whole input batch (MiB, 2**20 bytes).

The engine charges these costs (``core/kernels.py`` ``start_cost_s``); the profiler
(``splitplace_env.profiling.container_costs``) writes them.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from splitplace_env.config import APPLICATIONS, NETWORKS

#: The shipped document.
SHIPPED_PATH = Path(__file__).resolve().parents[1] / "data" / "container_costs.json"

#: Containers (fragments) of each network: 4 layer fragments, 5 semantic branches, 1
#: compressed model (``splitplace_env.nets.models``; checked against it in the tests).
FRAGMENT_COUNTS: dict[str, int] = {"layer": 4, "semantic": 5, "compressed": 1}

HEADER_FIELDS: tuple[str, ...] = ("command", "method", "pi_factor", "host", "date", "repeats", "notes")
APP_FIELDS: tuple[str, ...] = ("decode_s_per_mb", "decode_fixed_s", "load_s")

#: 1 MB in the document = 2**20 bytes of decoded float32 data.
MB = float(2**20)


def _fail(source: str, field: str, problem: str) -> ValueError:
    return ValueError(f"{source}: field '{field}' {problem}")


def _positive(value: Any, source: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(source, field, f"must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise _fail(source, field, f"must be a positive finite number of seconds, got {value!r}")
    return float(value)


def _keys(obj: Any, expected: Iterable[str], source: str, field: str, exact: bool = True) -> None:
    if not isinstance(obj, dict):
        raise _fail(source, field, f"must be an object, got {type(obj).__name__}")
    expected = tuple(expected)
    missing = [k for k in expected if k not in obj]
    if missing:
        raise _fail(source, f"{field}.{missing[0]}" if field else missing[0], "is missing")
    extra = sorted(set(obj) - set(expected))
    if exact and extra:
        raise _fail(source, f"{field}.{extra[0]}" if field else extra[0], f"is not a field of the schema "
                    f"(expected {', '.join(expected)})")


def validate_container_costs(doc: Any, source: str = "<document>",
                             require: Iterable[str] = APPLICATIONS) -> None:
    """Checks ``doc`` against the schema; raises ValueError naming ``source`` and the field.

    Args:
        doc: the parsed JSON document.
        source: what to call the document in messages (its path).
        require: applications that must be present (every present one is checked;
            names outside ``config.APPLICATIONS`` are rejected).
    """
    _keys(doc, ("header", "applications"), source, "")
    head = doc["header"]
    _keys(head, HEADER_FIELDS, source, "header")
    for name in ("command", "host", "notes"):
        if not isinstance(head[name], str) or not head[name].strip():
            raise _fail(source, f"header.{name}", f"must be a non-empty string, got {head[name]!r}")
    if head["method"] != "measured":
        raise _fail(source, "header.method", f"must be 'measured', got {head['method']!r}")
    _positive(head["pi_factor"], source, "header.pi_factor")
    if not isinstance(head["date"], str):
        raise _fail(source, "header.date", f"must be an ISO 8601 date string, got {head['date']!r}")
    try:
        datetime.fromisoformat(head["date"])
    except ValueError:
        raise _fail(source, "header.date", f"must be an ISO 8601 date, got {head['date']!r}") from None
    if isinstance(head["repeats"], bool) or not isinstance(head["repeats"], int) or head["repeats"] < 1:
        raise _fail(source, "header.repeats", f"must be an integer >= 1, got {head['repeats']!r}")

    apps = doc["applications"]
    if not isinstance(apps, dict) or not apps:
        raise _fail(source, "applications", "must be a non-empty object")
    for app in require:
        if app not in apps:
            raise _fail(source, f"applications.{app}", "is missing")
    for app, entry in apps.items():
        if app not in APPLICATIONS:
            raise _fail(source, f"applications.{app}", f"is not an application (one of {', '.join(APPLICATIONS)})")
        where = f"applications.{app}"
        _keys(entry, APP_FIELDS, source, where)
        _positive(entry["decode_s_per_mb"], source, f"{where}.decode_s_per_mb")
        _positive(entry["decode_fixed_s"], source, f"{where}.decode_fixed_s")
        _keys(entry["load_s"], NETWORKS, source, f"{where}.load_s")
        for net in NETWORKS:
            field = f"{where}.load_s.{net}"
            values = entry["load_s"][net]
            if not isinstance(values, list) or len(values) != FRAGMENT_COUNTS[net]:
                raise _fail(source, field, f"must be a list of {FRAGMENT_COUNTS[net]} numbers (one per "
                            f"container), got {values!r}")
            for k, v in enumerate(values):
                _positive(v, source, f"{field}[{k}]")


def load_container_costs(path: str | Path | None = None, require: Iterable[str] = APPLICATIONS) -> dict:
    """Reads and validates a container-costs document (default: the shipped one).

    Args:
        path: the JSON file; None for ``splitplace_env/data/container_costs.json``.
        require: applications that must be in it (default: all three).

    Returns:
        The document as parsed (see the module docstring for the schema).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if it is not JSON or does not follow the schema; the message names
            the file and the offending field.
    """
    path = Path(path) if path is not None else SHIPPED_PATH
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    validate_container_costs(doc, str(path), require)
    return doc


def write_container_costs(doc: dict, path: str | Path) -> Path:
    """Validates ``doc`` (every application present must be complete) and writes it as JSON."""
    path = Path(path)
    validate_container_costs(doc, str(path), require=())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path
