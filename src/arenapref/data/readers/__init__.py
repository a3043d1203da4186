"""One module per input format; importing this package registers them all."""

from arenapref.data.readers import kaggle, autoj  # noqa: F401
