"""Judging battles: each battle rendered in both orders, every prompt answered once (cache first, then the
backend under its concurrency limit, each answer cached as it arrives), verdicts parsed and the two orders
combined. Everything dropped or repaired is counted: failed requests, unparseable verdicts, malformed
log-probabilities (set aside, the verdict text kept), inconsistent orders, truncated texts, damaged cache entries
(asked again) and responses the cache could not store."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from arenapref.judge.cache import Completion, ResponseCache, request_key
from arenapref.judge.openai_backend import JudgeRequestError
from arenapref.judge.prompts import Messages, Template, render
from arenapref.judge.verdict import VOTE_SMOOTHING, combine, mirror, parse_verdict, to_original, vote_proba

#: progress(done requests, total requests, running Auto-J agreement or None)
Progress = Callable[[int, int, float | None], None]
NO_VERDICT = -1


class Backend(Protocol):
    name: str
    model: str
    concurrency: int

    def settings(self) -> dict[str, Any]: ...

    def complete(self, messages: Messages) -> Completion: ...

    def close(self) -> None: ...


@dataclass
class JudgeResult:
    """Per battle: combined probabilities (A, B, tie), each order's probabilities and verdict in the battle's own
    order (-1: none), the combined verdict and its source; and the run's counts."""

    ids: list[str]
    proba: np.ndarray
    proba_ab: np.ndarray
    proba_ba: np.ndarray
    verdict_ab: np.ndarray
    verdict_ba: np.ndarray
    verdict: np.ndarray
    source: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def details(self) -> pd.DataFrame:
        """One row per battle: ids, both orders' verdicts and probabilities, the combined ones."""
        names = ("a", "b", "tie")
        frame = pd.DataFrame({"id": self.ids, "verdict_ab": self.verdict_ab, "verdict_ba": self.verdict_ba})
        for tag, p in (("ab", self.proba_ab), ("ba", self.proba_ba), ("both", self.proba)):
            for i, n in enumerate(names):
                frame[f"p_{n}_{tag}"] = p[:, i]
        frame["verdict"] = self.verdict
        frame["source"] = self.source
        return frame


@dataclass
class Judge:
    """A backend, a prompt template, a response cache and how to turn votes into probabilities."""

    backend: Backend
    template: Template
    cache: ResponseCache
    max_chars: int | None = 6000
    smoothing: float = VOTE_SMOOTHING

    def prompts(self, battles: pd.DataFrame) -> tuple[list[tuple[Messages, Messages]], int]:
        """Both orders' messages per battle, and how many battles had a text cut to max_chars."""
        out, cut = [], 0
        for prompt, a, b in zip(battles["prompt"], battles["response_a"], battles["response_b"], strict=True):
            ab, cut_ab = render(self.template, list(prompt), list(a), list(b), self.max_chars)
            ba, _ = render(self.template, list(prompt), list(b), list(a), self.max_chars)
            out.append((ab, ba))
            cut += cut_ab
        return out, cut

    def key(self, messages: Messages) -> str:
        return request_key(self.backend.name, self.backend.model, self.backend.settings(), messages)

    def judge(self, battles: pd.DataFrame, progress: Progress | None = None) -> JudgeResult:
        """Judge every battle in both orders; failed requests are counted and reported, not raised."""
        start = time.perf_counter()
        pairs, cut = self.prompts(battles)
        keys = [(self.key(ab), self.key(ba)) for ab, ba in pairs]
        messages = {k: m for (ka, kb), (ab, ba) in zip(keys, pairs, strict=True) for k, m in ((ka, ab), (kb, ba))}
        answers: dict[str, Completion] = {}
        hits_before, damaged_before = self.cache.hits, self.cache.damaged
        failed_writes_before = self.cache.failed_writes
        for k in messages:
            found = self.cache.get(k)
            if found is not None:
                answers[k] = found
        cached = self.cache.hits - hits_before
        pending = [k for k in messages if k not in answers]
        labels = battles["label"].to_numpy(dtype=float, na_value=np.nan)
        users: dict[str, list[int]] = {}
        for i, (ka, kb) in enumerate(keys):
            users.setdefault(ka, []).append(i)
            users.setdefault(kb, []).append(i)
        tally = _Tally(labels)
        for i, (ka, kb) in enumerate(keys):
            if ka in answers and kb in answers:
                tally.add(i, self._votes(answers[ka], answers[kb]))
        errors: list[str] = []
        total, done = len(messages), len(messages) - len(pending)
        if progress:
            progress(done, total, tally.agreement())
        with ThreadPoolExecutor(max_workers=max(1, self.backend.concurrency)) as pool:
            futures = {pool.submit(self.backend.complete, messages[k]): k for k in pending}
            try:
                for future in as_completed(futures):
                    k = futures[future]
                    try:
                        answers[k] = future.result()
                        self.cache.put(k, answers[k])
                    except JudgeRequestError as exc:
                        errors.append(str(exc))
                    done += 1
                    for i in users[k]:
                        ka, kb = keys[i]
                        if ka in answers and kb in answers and not tally.seen(i):
                            tally.add(i, self._votes(answers[ka], answers[kb]))
                    if progress:
                        progress(done, total, tally.agreement())
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        result = self._assemble(battles, keys, answers, errors)
        result.counts.update(
            battles=len(battles),
            requests=total,
            cached=cached,
            asked=len(pending),
            failed=len(errors),
            truncated_battles=cut,
            cache_damaged=self.cache.damaged - damaged_before,
            cache_write_failed=self.cache.failed_writes - failed_writes_before,
        )
        result.seconds = time.perf_counter() - start
        return result

    def _order(self, completion: Completion | None, swapped: bool) -> tuple[int | None, np.ndarray | None, str]:
        """One order's verdict and log-probability distribution, in the battle's own order, and how the vote was
        read: 'text', 'logprobs' (no verdict in the text; argmax of the distribution), 'unparseable', 'failed'."""
        if completion is None:
            return None, None, "failed"
        dist = None if completion.proba is None else np.asarray(completion.proba, dtype=float)
        vote, how = parse_verdict(completion.text), "text"
        if vote is None and dist is not None:
            vote, how = int(np.argmax(dist)), "logprobs"
        elif vote is None:
            how = "unparseable"
        if dist is not None and swapped:
            dist = mirror(dist)
        return to_original(vote, swapped), dist, how

    def _votes(self, ab: Completion, ba: Completion) -> tuple[int | None, int | None]:
        return self._order(ab, False)[0], self._order(ba, True)[0]

    def _assemble(
        self, battles: pd.DataFrame, keys: list[tuple[str, str]], answers: dict[str, Completion], errors: list[str]
    ) -> JudgeResult:
        n = len(keys)
        proba, p_ab, p_ba = np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3))
        v_ab, v_ba, verdict = (np.full(n, NO_VERDICT) for _ in range(3))
        sources: list[str] = []
        counts = {"consistent": 0, "inconsistent": 0, "one_order_only": 0, "no_verdict": 0}
        reads = {"text": 0, "logprobs": 0, "unparseable": 0, "failed": 0}
        malformed = sum(1 for ka, kb in keys for k in (ka, kb) if k in answers and answers[k].malformed is not None)
        for i, (ka, kb) in enumerate(keys):
            va, da, how_a = self._order(answers.get(ka), False)
            vb, db, how_b = self._order(answers.get(kb), True)
            reads[how_a] += 1
            reads[how_b] += 1
            c = combine((va, vb), (da, db), self.smoothing)
            proba[i] = c.proba
            p_ab[i] = da if da is not None else vote_proba(va, self.smoothing)
            p_ba[i] = db if db is not None else mirror(vote_proba(to_original(vb, True), self.smoothing))
            v_ab[i] = NO_VERDICT if va is None else va
            v_ba[i] = NO_VERDICT if vb is None else vb
            verdict[i] = NO_VERDICT if c.verdict is None else c.verdict
            sources.append(c.source)
            if c.consistent is None:
                counts["one_order_only" if c.verdict is not None else "no_verdict"] += 1
            else:
                counts["consistent" if c.consistent else "inconsistent"] += 1
        counts["malformed_logprobs"] = malformed
        counts.update({f"orders_read_from_{k}": v for k, v in reads.items()})
        counts.update({f"proba_from_{s}": sources.count(s) for s in ("logprobs", "votes", "none")})
        ids = battles["id"].astype(str).tolist()
        return JudgeResult(ids, proba, p_ab, p_ba, v_ab, v_ba, verdict, sources, counts, errors)


class _Tally:
    """Running Auto-J agreement over finished labelled battles: both orders' verdicts equal the human label."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels
        self.done: set[int] = set()
        self.n = self.agree = 0

    def seen(self, i: int) -> bool:
        return i in self.done

    def add(self, i: int, votes: tuple[int | None, int | None]) -> None:
        self.done.add(i)
        if np.isnan(self.labels[i]):
            return
        self.n += 1
        self.agree += int(votes[0] == votes[1] == int(self.labels[i]))

    def agreement(self) -> float | None:
        return self.agree / self.n if self.n else None
