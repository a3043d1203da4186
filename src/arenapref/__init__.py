"""arenapref: predict which of two chatbot responses a person will prefer (A wins / B wins / tie)."""

__version__ = "0.1.0"
