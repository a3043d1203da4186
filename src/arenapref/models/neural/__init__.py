"""The neural tier (torch, transformers, peft): imported only by the models and commands that use it."""
