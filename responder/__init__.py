"""Responder: one application object, served as WSGI and as ASGI."""

from __future__ import annotations

from .api import API
from .errors import HTTPError, Problem, abort
from .request import Request
from .response import Response

__all__ = ["API", "HTTPError", "Problem", "Request", "Response", "abort"]
__version__ = "0.1.0"
