"""In-process micro-benchmarks comparing responder with Falcon, Flask and Starlette.

Run with ``python -m benchmarks`` from the repository root. The package is kept
out of the installed distribution on purpose: it measures the framework, it is
not part of it.
"""

from __future__ import annotations
