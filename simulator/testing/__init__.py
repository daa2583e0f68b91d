"""Test and benchmark helpers that ship with drill (a fake OpenAI-compatible server)."""
