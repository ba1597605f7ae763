"""Figures for supervisors, counted in SQL over the case tables and the registry."""
