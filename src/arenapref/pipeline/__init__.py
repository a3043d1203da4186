"""The winners' pipeline around any preference model: teachers and pseudo-labels, distillation, k-fold training
with fold averaging, multi-process prediction and training recipes. Nothing here imports torch at import time."""
