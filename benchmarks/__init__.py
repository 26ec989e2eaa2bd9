"""In-process micro-benchmarks comparing responder with Falcon, Flask, Starlette and FastAPI.

Run with ``python -m benchmarks`` from the repository root. The package is kept
out of the installed distribution on purpose: it measures the framework, it is
not part of it.
"""

from __future__ import annotations
