"""What the router's handlers and routes share in one process."""

from __future__ import annotations

from dataclasses import dataclass

from rujukan_platform.view import CompactedTopicView
from rujukan_router.adapters.views import RuleBook
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.service_layer.replay import CatalogueCache


@dataclass(frozen=True, slots=True)
class RouterState:
    """The live catalogue every decision is made with, the view of ``programs.catalog`` that
    keeps it current (``view.ready``: loaded), the rules stored decisions are explained with,
    and the catalogues replay jobs decide with (a what-if's draft rule compiled once)."""

    catalogue: Catalogue
    view: CompactedTopicView
    rules: RuleBook
    what_ifs: CatalogueCache
