"""`python -m arenapref ...`: the same as the `arenapref` command."""

from arenapref.cli import main

main()
