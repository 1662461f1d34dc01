"""Texts and keyboards built from domain data, shared by handlers and the clock."""
