"""Adapters that ship with the core (only the reference ``memory`` adapter; backends live in their own packages)."""
