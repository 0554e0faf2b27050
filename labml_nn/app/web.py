"""
---
title: The labml app as a web application, with our changes around it
summary: >
  Imports the app with our database set-up in place, answers the client's data posts at our
  pace, and serves the page with its browser libraries from the local npm install.
---

# The web application

*Part of [the local app server](server.html).* `load_app` imports the labml app with our
database set-up swapped in (the app sets up its database while its module is imported, see
[the server](server.html)); `make_asgi` wraps the result:

* `/_vendor/…` is served from the npm install of the page's libraries ([`vendor.py`](vendor.html)),
  and the page itself is rewritten to load them from there instead of CDNs;
* the client's data posts (`/api/v1/<token>/track`) are answered by the app's own update code,
  but after a shorter pause than the app's, and at once for a run's final status;
* everything else goes to the app unchanged.

Two messages the app logs on every page view are filtered out here, because they say nothing
a user can act on: "unknown repo url" (the app only knows how to link GitHub remotes) and
numpy's "Mean of empty slice" warning for a metric that has no points yet.
"""

import logging
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Optional

from labml_nn.app import store, vendor
from labml_nn.helpers.cli import UserError

PROG = 'labml_nn.app'


class _DropUnknownRepoUrl(logging.Filter):
    r"""The app can only link GitHub remotes, and says so at ERROR level for every other run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith('unknown repo url')


def load_app(data: Path, mongo: Optional[str], host: str, port: int, verbose: bool):
    """Import the app with our database set-up in place, and return its ASGI application."""
    # `labml_app.settings` reads these when imported; the app uses them for CORS.
    os.environ['LABML_APP_SERVER_IP'] = host
    os.environ['LABML_APP_SERVER_PORT'] = str(port)

    import labml_app.db
    import labml_app.logger
    app_logger = logging.getLogger('LabML logger')
    app_logger.addFilter(_DropUnknownRepoUrl())
    if not verbose:
        # The app logs every request at INFO level; keep the terminal for what matters.
        app_logger.setLevel(logging.WARNING)
    warnings.filterwarnings('ignore', 'Mean of empty slice', RuntimeWarning)
    warnings.filterwarnings('ignore', 'invalid value encountered', RuntimeWarning)

    labml_app.db.init_mongo_db = (lambda *a, **k: store.setup_mongo(mongo)) if mongo else \
        (lambda *a, **k: store.setup_file_store(data))
    try:
        from labml_app import flask_app
    except UserError:
        raise
    except Exception as e:
        raise UserError(f'the app failed to load: {type(e).__name__}: {e}')
    return flask_app.app, flask_app.STATIC_PATH


# The endpoint the labml client posts its data to: `/api/v1/<token>/track`.
TRACK_PATH = re.compile(r'/api/v1/[^/]+/track')


def make_track_endpoint(pace: float):
    """
    Answer the client's data posts ourselves, with the app's own update code, but paced our way.

    The app answers every post after a fixed 3 s pause. The client sends its next post only when
    the previous one is answered, so the pause sets how often a run reports: on the hosted
    service it keeps thousands of clients from flooding the server. For a local server it has a
    cost: at the end of training the client must wait for the post in flight *and* the one with
    the final status, up to 6 s — more than 10% of a short run. So we pause `pace` seconds (1 s by
    default: data still arrives in batches, not once per step), and we do not pause at all for the
    post that carries the run's final status.
    """
    import asyncio
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from labml_app import handlers

    async def track(scope, receive, send):
        request = Request(scope, receive)
        q = request.query_params
        try:
            # `request.json()` caches the body, so the app's code can read it again.
            packets = await request.json()
            result = await handlers._update_run(
                request, q.get('labml_token', ''), q.get('labml_version', ''),
                q.get('run_uuid', ''), int(q.get('rank', 0)), int(q.get('world_size', 0)),
                int(q.get('main_rank', 0)))
        except Exception as e:
            # The client retries whatever fails; say what went wrong in the server's terminal.
            print(f'{PROG}: error handling a post from run {q.get("run_uuid", "?")}: '
                  f'{type(e).__name__}: {e}', file=sys.stderr, flush=True)
            await JSONResponse({'errors': [{'error': 'server_error', 'message': str(e)}]},
                               status_code=500)(scope, receive, send)
            return
        if not isinstance(packets, list):
            packets = [packets]
        is_final = any(isinstance(p, dict) and 'status' in p for p in packets)
        if pace > 0 and not is_final:
            await asyncio.sleep(pace)
        await JSONResponse(result)(scope, receive, send)

    return track


def make_asgi(app, static_path: Path, node_modules: Optional[Path], pace: float):
    """
    Wrap the app: serve `/_vendor/…` from the npm install, and serve our rewritten `index.html`
    wherever the app would serve its own (at `/` and at any path that is neither the API nor a
    static file: the page reads the path and shows the run or the list itself).
    """
    from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse

    page = (static_path / 'index.html').read_text(encoding='utf-8')
    if node_modules is not None:
        page, remaining = vendor.rewrite_index(page)
        if remaining:
            print(f'{PROG}: warning: the page still loads {", ".join(remaining)} from the '
                  f'internet', file=sys.stderr)
    static_root = static_path.resolve()
    track = make_track_endpoint(pace)

    async def asgi(scope, receive, send):
        if scope['type'] == 'http' and scope['method'] == 'POST' and \
                TRACK_PATH.fullmatch(scope['path']):
            await track(scope, receive, send)
            return
        if scope['type'] == 'http' and scope['method'] in ('GET', 'HEAD'):
            path: str = scope['path']
            response = None
            if path.startswith(vendor.VENDOR_PREFIX):
                f = vendor.resolve(node_modules, path) if node_modules else None
                response = FileResponse(f) if f else PlainTextResponse('not found', 404)
            elif not path.startswith('/api/'):
                f = (static_root / path.lstrip('/')).resolve()
                if path in ('/', '/index.html') or static_root not in f.parents or not f.is_file():
                    response = HTMLResponse(page, headers={'Cache-Control': 'no-cache'})
            if response is not None:
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    return asgi
