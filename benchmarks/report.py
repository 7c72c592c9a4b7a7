"""Write benchmark results as CSV and Markdown, and format them for the terminal.

No plotting here (see ``benchmarks.plots``) and no computation beyond
formatting (see ``benchmarks.summary``).
"""

from __future__ import annotations

import csv
import math
import os
from typing import Any, Iterable, Mapping, Sequence

from benchmarks.paper import METRICS, PAPER_TABLE1, metric


def display_name(agent: str) -> str:
    """Short table label: ``rl:some/dir/model.zip`` -> ``rl:model``; other names unchanged."""
    if agent.startswith("rl:"):
        base = os.path.basename(agent[3:].rstrip("/"))
        return "rl:" + (base[:-4] if base.endswith(".zip") else base)
    return agent


def fmt(value: float) -> str:
    """A number with about four significant digits; '-' for NaN/None."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    a = abs(value)
    if a >= 100:
        return f"{value:.1f}"
    if a >= 10:
        return f"{value:.2f}"
    if a >= 1:
        return f"{value:.3f}"
    if a == 0:
        return "0"
    return f"{value:.3g}"


def _ensure_dir(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)


def write_csv(rows: Sequence[Mapping[str, Any]], path: str, columns: Sequence[str] | None = None) -> str:
    """Writes ``rows`` (dicts) to ``path`` with the given or first row's columns."""
    _ensure_dir(path)
    cols = list(columns or (rows[0].keys() if rows else []))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _csv_value(row.get(c)) for c in cols})
    return path


def _csv_value(v: Any) -> Any:
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else "nan"
    return v


def write_rows_csv(rows: Sequence[Mapping[str, Any]], path: str) -> str:
    """Writes per-episode rows (one per scenario x agent x seed)."""
    return write_csv(rows, path)


def summary_csv_rows(summary: Iterable[Mapping[str, Any]], paper: Mapping[str, Mapping[str, float]] | None
                     ) -> list[dict[str, Any]]:
    """Summary rows plus the metric unit and the paper's number (if any)."""
    out = []
    for row in summary:
        spec = metric(row["metric"])
        published = (paper or {}).get(row["agent"], {}).get(row["metric"], math.nan)
        out.append({**row, "unit": spec.unit, "paper": published, "paper_unit": spec.paper_unit})
    return out


SUMMARY_COLUMNS = ("scenario", "agent", "metric", "unit", "n", "mean", "ci_low", "ci_high", "iqm",
                   "iqm_low", "iqm_high", "paper", "paper_unit")


def _cell(row: Mapping[str, Any] | None, lo: str = "ci_low", hi: str = "ci_high", value: str = "mean") -> str:
    if row is None:
        return "-"
    return f"{fmt(row[value])} [{fmt(row[lo])}, {fmt(row[hi])}]"


def _index(summary: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    return {(r["scenario"], r["agent"], r["metric"]): r for r in summary}


def _header(specs) -> list[str]:
    return ["Model"] + [f"{s.label} ({s.unit})" if s.unit else s.label for s in specs]


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def text_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A plain fixed-width table for the terminal."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    sep = "  ".join("-" * w for w in widths)
    rows = ["  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
            for r in body]
    return "\n".join([line, sep, *rows])


def agent_metric_body(summary: Sequence[Mapping[str, Any]], scenario: str, agents: Sequence[str],
                      paper: Mapping[str, Mapping[str, float]] | None, *, value: str = "mean",
                      with_ci: bool = True) -> list[list[str]]:
    """Rows of agent x metric cells: ``mean [lo, hi] (paper)``."""
    idx = _index(summary)
    lo, hi = ("ci_low", "ci_high") if value == "mean" else ("iqm_low", "iqm_high")
    body = []
    for agent in agents:
        cells = [display_name(agent)]
        for spec in METRICS:
            row = idx.get((scenario, agent, spec.key))
            cell = _cell(row, lo, hi, value) if with_ci else (fmt(row[value]) if row else "-")
            published = (paper or {}).get(agent, {}).get(spec.key)
            if published is not None:
                cell += f" ({fmt(published)})"
            cells.append(cell)
        body.append(cells)
    return body


def terminal_summary(summary: Sequence[Mapping[str, Any]], scenario: str, agents: Sequence[str],
                     paper: Mapping[str, Mapping[str, float]] | None) -> str:
    """A compact terminal table: mean (paper) per agent and metric."""
    body = agent_metric_body(summary, scenario, agents, paper, with_ci=False)
    note = "cells: our mean over seeds" + (" (paper's Table 1 value)" if paper else "")
    return f"{scenario}  --  {note}\n" + text_table(_header(METRICS), body)


def poi_markdown(poi_rows: Sequence[Mapping[str, Any]], reference: str, agents: Sequence[str]) -> str:
    """Probability-of-improvement table: P(reference better than agent) per metric."""
    idx = {(r["agent"], r["metric"]): r for r in poi_rows}
    body = []
    for agent in agents:
        if agent == reference:
            continue
        cells = [display_name(agent)]
        for spec in METRICS:
            r = idx.get((agent, spec.key))
            cells.append("-" if r is None else f"{r['poi']:.2f} [{r['poi_low']:.2f}, {r['poi_high']:.2f}]")
        body.append(cells)
    return markdown_table([f"{reference} vs"] + [s.label for s in METRICS], body)


def units_note() -> str:
    """The paragraph on units shared by the Markdown reports."""
    return ("Units: energy in MJ per 100 intervals (the paper's episode length; shorter runs are scaled; the paper labels 1.0867 as \"MW-hr\"; the authors' "
            "grapher sums joules / 1000 and mislabels kJ as kWh, and the published magnitude matches MJ "
            "for 16 Pis over 100 x 300 s, so we compare it as MJ); scheduling time in seconds of agent "
            "decision wall time per interval (paper: an i3 laptop running the full COSCO broker, ours: "
            "`act` on this machine, not comparable in absolute terms); wait and response time in "
            "scheduling intervals; SLA violation as a fraction of finished tasks; accuracy and average "
            "reward in percent (reward = 100 x 0.5 x ((1 - SLA violation) + accuracy), the paper's "
            "grapher definition).")


def table1_markdown(summary: Sequence[Mapping[str, Any]], poi_rows: Sequence[Mapping[str, Any]],
                    scenario: str, agents: Sequence[str], settings: Mapping[str, Any],
                    figure: str | None, reference: str = "SplitPlace") -> str:
    """The full Table 1 report: means with CIs and paper values, IQMs, PoI."""
    parts = [f"# Table 1 on {scenario}", "",
             "Settings: " + ", ".join(f"{k} = {v}" for k, v in settings.items()) + ".", "",
             "## Mean [95% bootstrap CI] over seeds (paper's Table 1 value in parentheses)", "",
             markdown_table(_header(METRICS), agent_metric_body(summary, scenario, agents, PAPER_TABLE1)), "",
             units_note(), "",
             "## Interquartile mean [95% stratified-bootstrap CI]", "",
             "Robust aggregate of Agarwal et al. (2021): the mean of the middle 50% of runs.", "",
             markdown_table(_header(METRICS), agent_metric_body(summary, scenario, agents, None, value="iqm")), ""]
    if poi_rows:
        parts += [f"## Probability of improvement of {reference} [95% CI]", "",
                  f"P({reference} better than the row's agent) on a random pair of runs, in each metric's "
                  "own direction (lower energy, times and violations; higher fairness, accuracy and "
                  "reward). 0.5 = no difference; ties count one half.", "",
                  poi_markdown(poi_rows, reference, agents), ""]
    if figure:
        parts += [f"![Table 1 metrics]({figure})", ""]
    return "\n".join(parts)


def workloads_markdown(summary: Sequence[Mapping[str, Any]], poi_rows: Sequence[Mapping[str, Any]],
                       scenarios: Sequence[str], agents: Sequence[str], settings: Mapping[str, Any],
                       figure: str | None, reference: str = "SplitPlace") -> str:
    """The Figure 4 report: one table per workload, PoI stratified over workloads."""
    parts = ["# Figure 4: per-application workloads", "",
             "Settings: " + ", ".join(f"{k} = {v}" for k, v in settings.items()) + ".", ""]
    if figure:
        parts += [f"![Figure 4]({figure})", ""]
    for scenario in scenarios:
        parts += [f"## {scenario}: mean [95% bootstrap CI] over seeds", "",
                  markdown_table(_header(METRICS), agent_metric_body(summary, scenario, agents, None)), ""]
    parts += [units_note(), ""]
    if poi_rows:
        parts += [f"## Probability of improvement of {reference}, stratified over the workloads [95% CI]", "",
                  poi_markdown(poi_rows, reference, agents), ""]
    return "\n".join(parts)


def write_text(text: str, path: str) -> str:
    """Writes ``text`` to ``path`` (creating the folder)."""
    _ensure_dir(path)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    return path


def format_rows(rows: Sequence[Mapping[str, Any]]) -> str:
    """Per-episode rows as a terminal table."""
    if not rows:
        return "(no rows)"
    cols = [c for c in rows[0].keys()]
    body = [[fmt(r[c]) if isinstance(r[c], float) else str(r[c]) for c in cols] for r in rows]
    return text_table(cols, body)
