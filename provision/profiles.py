"""Profiles: ``lab`` is the tutorial's step (one member, loopback, plain HTTP); ``production`` is what the
tutorial says production needs: three members (an odd number) on their own addresses, over HTTPS, with
client and peer certificate authentication (KTHW's older editions ran three controllers this way)."""

from __future__ import annotations

from core import editions
from core.editions import PRODUCTION_TLS
from core.model import Member

SERVER_CERT, SERVER_KEY = PRODUCTION_TLS.server_cert, PRODUCTION_TLS.server_key
CLIENT_CERT, CLIENT_KEY = PRODUCTION_TLS.client_cert, PRODUCTION_TLS.client_key
CA_CERT = PRODUCTION_TLS.ca


def production_member(name: str, cluster: dict[str, str], settings: dict | None = None) -> Member:
    """The member ``name`` of a production cluster {member name: address} (see core/editions.py)."""
    return editions.cluster_member(name, cluster, settings, PRODUCTION_TLS)
