"""The Kaggle offline kit: pack a model with its wheels, a notebook and a manifest; check it offline before upload.

Modules: `target` (Python and platform of the kit), `wheels` (pip resolve and download), `modelcopy` (the model
directory, hashes checked), `notebook` (submit.ipynb and submit.py), `manifest`, `pack`, `runtime` (what runs on
Kaggle: read test.csv, predict, write submission.csv), `validate` (the submission's checks), `check` (fresh venv,
network off) and `offline` (the headless notebook run inside the network namespace).
"""
