"""The reward layer's defaults as plain constants: light to import (`arenapref serve --help` and `arenapref rank
--help` show them without loading numpy)."""

from __future__ import annotations

#: The most candidates one prompt may have by default (32 candidates: 496 pairs, each scored in both orders).
MAX_CANDIDATES = 32

#: The answer a completion is compared with when there is no reference: short and uninformative, so a useful
#: answer beats it. A model that favours length (as `fast` does) then gives most answers a reward near 1:
#: pass references, or a baseline of the length you expect, for a reward that tells answers apart.
DEFAULT_BASELINE = "I don't know."
