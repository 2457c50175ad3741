"""Widgets and screens of the terminal UI, one per module."""
