"""A small responder application, servable by uvicorn (ASGI) and gunicorn (WSGI) alike.

The same `api` object is handed to either kind of server:

    python examples/helloworld.py                      # api.run(): uvicorn on 127.0.0.1:5042
    uvicorn examples.helloworld:api                    # ASGI
    gunicorn examples.helloworld:api                   # WSGI, sync worker
    gunicorn -k gthread --threads 4 examples.helloworld:api
    responder run examples.helloworld:api --server gunicorn

It shows each kind of handler once: a sync function, a JSON echo that reads
its body synchronously, an async function, and a class-based view. The
server tests in `tests/servers` drive exactly these routes.
"""

from __future__ import annotations

import asyncio

import responder

api = responder.API()


@api.get("/")
def index(req: responder.Request, resp: responder.Response) -> None:
    """Answer with plain text, the smallest possible response."""
    resp.text = "hello, world!"


@api.get("/hello/{who}")
def hello(req: responder.Request, resp: responder.Response, *, who: str) -> None:
    """Greet `who` in JSON, showing a path parameter reaching a handler."""
    resp.media = {"hello": who}


@api.post("/echo")
def echo(req: responder.Request, resp: responder.Response) -> None:
    """Send the posted JSON back.

    A sync handler reads the body with the blocking `media_sync()`: under
    WSGI that reads `wsgi.input`, under ASGI it runs on a worker thread and
    pulls the body from the event loop.
    """
    resp.media = {"echo": req.media_sync()}


@api.get("/async/{n:int}")
async def countdown(req: responder.Request, resp: responder.Response, *, n: int) -> None:
    """Answer from a coroutine, which needs an event loop even under a WSGI server."""
    await asyncio.sleep(0)
    resp.media = {"n": n, "squared": n * n, "async": True}


@api.route("/greeting/{greeting}")
class GreetingResource:
    """A class-based view: its `on_*` methods decide the methods the path serves."""

    def on_get(self, req: responder.Request, resp: responder.Response, *, greeting: str) -> None:
        """Echo the greeting with a custom header, to check headers survive the server."""
        resp.media = {"greeting": f"{greeting}, world!"}
        resp.headers["X-Greeting"] = greeting

    def on_post(self, req: responder.Request, resp: responder.Response, *, greeting: str) -> None:
        """Accept a greeting with 201, so the view serves more than one method."""
        resp.status_code = 201
        resp.media = {"created": greeting}


if __name__ == "__main__":
    api.run()
