"""Dedicated exact algorithms (dynamic programming, branch and bound), written from the published ideas."""
