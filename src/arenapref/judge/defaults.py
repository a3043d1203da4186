"""The judge client's limits, in a module light enough for the command line to import for its defaults."""

MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # the most one response may hold (decoded); a larger one fails, unretried
