"""Baseline: FastAPI on uvicorn, one process, a no-op GET.

Usage: /usr/bin/python3 bench/http-noop/fastapi_app.py PORT [--uvloop] [--access-log]
Prints `listening http://127.0.0.1:PORT` once ready; SIGTERM or SIGINT stops it cleanly.
Needs the Debian packages python3-fastapi and python3-uvicorn (PyPI is not reachable here).
The event loop and HTTP parser are chosen explicitly, so that installing more packages does not change the
baseline: asyncio + h11 by default (what python3-uvicorn alone runs); --uvloop runs uvloop + httptools
(uvicorn[standard]'s choice; Debian packages python3-uvloop and python3-httptools).
Without --access-log uvicorn logs only warnings; with it, it logs as `uvicorn app:app` does by default (level
info, one access line per request on stdout), to compare like for like with troupe's default access log.
"""
import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/", response_class=PlainTextResponse)
async def root():
    return "ok"


class Server(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        print(f"listening http://127.0.0.1:{self.config.port}", flush=True)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    fast = "--uvloop" in sys.argv
    logged = "--access-log" in sys.argv
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="info" if logged else "warning", access_log=logged,
        loop="uvloop" if fast else "asyncio", http="httptools" if fast else "h11",
    )
    Server(config).run()
