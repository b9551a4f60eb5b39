"""Runs moto's server handling one request at a time.

moto serves requests on parallel threads but its DynamoDB models take no lock, so two
concurrent conditional writes can both pass their condition. Real DynamoDB never lets
that happen, and fieldcloud's optimistic concurrency depends on it: serializing requests
gives the emulator DynamoDB's per-item atomicity. Usage: moto_serialized.py HOST PORT
"""

import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True)


if __name__ == "__main__":
    main()
