"""Bayesian inference engine: NUTS, MAP, diagnostics."""
