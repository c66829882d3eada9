"""Skywatch: an agent-based model of drone surveillance over drug-trafficking routes."""

__version__ = "0.1.0"
