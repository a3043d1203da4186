"""Adapters that make an arenapref model the reward of an RLHF stack: one module per stack (trl, verl, openrlhf).
Each takes what its host passes and imports nothing of the host (an import-linter contract checks it); OpenRLHF's
HTTP protocol is served by `arenapref serve` at POST /get_reward."""
