"""Parameter sweeps: many runs of one scenario over a design, into one results table."""
