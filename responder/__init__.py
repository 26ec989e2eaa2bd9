"""Responder: one application object, served as WSGI and as ASGI."""

from __future__ import annotations

from .api import API
from .dependencies import (
    DependencyCycleError,
    DependencyError,
    DependencyResolutionError,
    DependencyScopeError,
)
from .errors import HTTPError, Problem, abort
from .group import Router
from .params import Body, Cookie, Depends, File, Form, Header, Path, Query
from .request import Request
from .response import Response
from .uploads import UploadFile

__all__ = [
    "API",
    "Body",
    "Cookie",
    "DependencyCycleError",
    "DependencyError",
    "DependencyResolutionError",
    "DependencyScopeError",
    "Depends",
    "File",
    "Form",
    "HTTPError",
    "Header",
    "Path",
    "Problem",
    "Query",
    "Request",
    "Response",
    "Router",
    "UploadFile",
    "abort",
]
__version__ = "0.1.0"
