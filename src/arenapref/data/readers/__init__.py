"""One module per input format; importing this package registers them all."""

from arenapref.data.readers import autoj, kaggle  # noqa: F401
