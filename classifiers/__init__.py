"""Misinformation pre-screener: pure text-in, result-out (no Flask, no database)."""
