"""Declarative models. Each family module builds the same formulation two ways: as a Pyomo model to print,
change and solve through optalloc, and as arrays (`LinearModel`) straight into highspy for speed."""
