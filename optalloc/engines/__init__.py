"""Engines shared by several families: the multiple-choice knapsack solver (knapsack's MCKP kind, bit
allocation, Knapsack RL's budget) and the subgradient helpers of the Lagrangian bounds (tardiness, GAP)."""
