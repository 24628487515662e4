"""Serve released versions: environments, promotion, evidence, bundle."""
