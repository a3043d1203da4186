"""A preference model as a reward: compare two answers (both orders averaged), rank best-of-n candidates
(Bradley-Terry over every pair, Copeland beside it), and reward an answer against a reference or a baseline.
Reads data/, models/ and ranking/; read by integrations/, serve/ and the CLI. The core never imports it."""
