"""Plots and tables of results, per family (matplotlib is imported only when a plot is drawn)."""
