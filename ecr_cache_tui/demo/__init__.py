"""The embedded demo ECR (``ecr-cache tui --demo``): moto in-process, filled with pipelines.

* :mod:`.backend`: :class:`DemoEcr`, moto's lifecycle, and the service over it;
* :mod:`.data`: the generated, seeded data;
* :mod:`.registry`: :class:`DemoRegistry`, an OCI registry (``registry:2``-compatible) on
  loopback beside it, for ``registry-provider: oci``;
* :mod:`.speedup`: ``DescribeImages`` answered without moto's slow serialiser, while a demo runs.
"""

from __future__ import annotations

from ecr_cache_tui.demo.backend import DEMO_ACCOUNT, DEMO_NOW, DEMO_REGION, DemoEcr, demo_service
from ecr_cache_tui.demo.data import DemoScale
from ecr_cache_tui.demo.registry import DemoRegistry

__all__ = [
    "DEMO_ACCOUNT",
    "DEMO_NOW",
    "DEMO_REGION",
    "DemoEcr",
    "DemoRegistry",
    "DemoScale",
    "demo_service",
]
