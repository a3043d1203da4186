"""One module per input format; importing this package registers them all."""

from arenapref.data.readers import (  # noqa: F401
    arena,
    autoj,
    battles,
    copilot,
    hhh,
    kaggle,
    lfqa,
    llmeval2,
    pairs,
    tulu1,
    vicuna80,
)
