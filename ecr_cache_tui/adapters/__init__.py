"""Thin adapters for what talks to the world: ECR, the registry, the Docker daemon, Buildkite.

Third-party exceptions are translated into :mod:`ecr_cache_tui.errors` here and nowhere else.
"""
