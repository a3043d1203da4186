"""The benchmark's judge section: for every registered judge it ran, agreement with the human labels under
Auto-J's protocol and position consistency per set (its verdict on x and on swap(x) are its two orders), beside
GPT-4's published figures, and the verbosity and self-enhancement probes on a few battles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from arenapref.data.swap import swap_proba
from arenapref.evaluation.published import published_for
from arenapref.evaluation.results import SetPredictions
from arenapref.judge.probes import agreement_both_orders, self_enhancement_probe, verbosity_probe
from arenapref.models import registry

#: Battles each probe judges per judge model (each costs two to four judge calls per battle).
PROBE_ROWS = 8


def is_judge(model: str) -> bool:
    return bool(getattr(registry.create(model), "is_judge", False))


def judge_section(
    per_model: dict[str, dict[tuple[str, str], SetPredictions]],
    models: list[str],
    battles: pd.DataFrame,
    seed: int = 0,
    probe_rows: int = PROBE_ROWS,
) -> list[dict[str, Any]]:
    """One entry per judge model: per (protocol, set) its Auto-J agreement and consistency, and its probes."""
    out = []
    for model in models:
        if not is_judge(model):
            continue
        sets = []
        for (protocol, name), pred in sorted(per_model[model].items()):
            ab = np.argmax(pred.proba, axis=1)
            ba = np.argmax(swap_proba(pred.proba_swapped), axis=1)
            agree = agreement_both_orders(pred.labels, ab, ba)
            gpt4 = [p for p in published_for(name) if p.system == "GPT-4" and p.consistency is not None]
            published = {"agreement": gpt4[0].accuracy, "consistency": gpt4[0].consistency} if gpt4 else None
            sets.append({"protocol": protocol, "set": name, **agree.to_dict(), "published_gpt4": published})
        try:
            judge = registry.create(model).judge  # type: ignore[attr-defined]
            labelled = battles[battles["label"].notna().to_numpy()]
            name = str(judge.backend.model).rstrip("/").split("/")[-1]
            probes: dict[str, Any] = {
                "verbosity": verbosity_probe(judge, labelled, probe_rows, seed).to_dict(),
                "self_enhancement": self_enhancement_probe(judge, labelled, name, probe_rows, seed).to_dict(),
            }
        except Exception as exc:  # a broken judge must not hide the benchmark's other results; it is reported
            probes = {"error": repr(exc)}
        out.append({"model": model, "sets": sets, "probes": probes})
    return out


def judge_lines(entries: list[dict[str, Any]]) -> list[str]:
    """The section as text lines (empty when no judge ran)."""
    lines = []
    for entry in entries:
        lines.append(f"judge {entry['model']} (Auto-J protocol: both orders must match the human label)")
        for s in entry["sets"]:
            gpt4 = s["published_gpt4"]
            beside = f" · GPT-4 published {gpt4['agreement']:.2f}% / {gpt4['consistency']:.2f}%" if gpt4 else ""
            lines.append(
                f"  {s['set']} ({s['protocol']}, {s['n']} battles): agreement {100 * s['agreement']:.2f}%, "
                f"consistency {100 * s['consistency']:.2f}%{beside}"
            )
        if "error" in entry["probes"]:
            lines.append(f"  probes failed: {entry['probes']['error']}")
            continue
        v, e = entry["probes"]["verbosity"], entry["probes"]["self_enhancement"]
        lines.append(
            f"  verbosity probe ({v['n']} answers vs themselves repeated): padded preferred "
            f"{100 * v['padded_wins']:.1f}%, original {100 * v['original_wins']:.1f}%, tie {100 * v['tie']:.1f}%"
        )
        lines.append(
            f"  self-enhancement probe ({e['n_signed']} battles, a side signed '{e['judge_name']}'): signed side's win "
            f"probability {100 * e['signed_shift']:+.2f} points; battles its model wrote: {e['n_own']}"
        )
    return lines
