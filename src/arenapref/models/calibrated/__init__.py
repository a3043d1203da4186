"""The calibrated model: a trained model moved to another arena by a few numbers fit on a small labelled sample."""
