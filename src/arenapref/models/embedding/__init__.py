"""Models over sentence embeddings (the fast model plus embedding pair features, the pair network of embed-mlp)
and the stacked ensemble of registered models."""
