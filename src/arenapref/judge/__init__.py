"""LLM-as-a-judge: MT-bench's pairwise prompt (a replaceable file), an OpenAI-compatible HTTP backend and a local
transformers backend, verdict parsing, both orders combined, a resumable response cache and bias probes."""
