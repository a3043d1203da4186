"""Fine-tuned transformers (cross-encoder and LLM with a preference head): the model (`model.py`) and its parts in
tascj's split: config, processor, collator, backbones, losses, training, adapters, and the process group of
launched runs."""
