"""Runs moto's server handling one request at a time.

moto serves requests on parallel threads but its DynamoDB models take no lock, so two
concurrent conditional writes can both pass their condition. Real DynamoDB never lets
that happen, and fieldcloud's optimistic concurrency depends on it: serializing requests
gives the emulator DynamoDB's per-item atomicity.

It also mends three answers moto gets wrong:
- S3's CompleteMultipartUpload result is the XML element `CompleteMultipartUploadResult`,
  which moto (5.2) names `CompleteMultipartUploadResponse`; the AWS SDK for Rust checks
  the name and would take a completed upload for a failure.
- S3 answers a GetObject with the headers its `response-content-disposition` (and the
  other `response-*` parameters) ask for; moto ignores them, so a signed download meant
  to be saved under its file's name would be shown in the browser instead.
- moto's own `GET /moto-api/data.json` (where the tests and the README read the mail
  sent) fails as a whole once any upload in parts was made: a part's `status` raises
  an error moto does not expect. Here an attribute that cannot be read is left out.
Usage: moto_serialized.py HOST PORT
"""

import json
import os
import sys
import threading
from urllib.parse import parse_qsl

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        answer = {}

        written = []

        def keep(status, headers, exc_info=None):
            answer.update(status=status, headers=headers, exc_info=exc_info)
            return written.append

        with lock:
            if environ.get("PATH_INFO") == "/moto-api/data.json":
                keep("200 OK", [("Content-Type", "application/json")])
                body = model_data()
            else:
                body = b"".join(written + list(app(environ, keep)))
        completes_an_upload = environ.get("REQUEST_METHOD") == "POST" and "uploadId=" in environ.get(
            "QUERY_STRING", ""
        )
        mended = as_s3_answers(body) if completes_an_upload else body
        headers = answer["headers"]
        if environ.get("REQUEST_METHOD") == "GET" and answer["status"].startswith(("200", "206")):
            headers = with_overrides(headers, environ.get("QUERY_STRING", ""))
        if mended is not body:
            headers = [
                (name, str(len(mended)) if name.lower() == "content-length" else value)
                for name, value in headers
            ]
        start_response(answer["status"], headers, answer["exc_info"])
        return [mended]

    run_simple(host, port, serialized, threaded=True)


def model_data() -> bytes:
    """What moto's data.json holds: every model instance's readable JSON attributes."""
    from moto.core.model_instances import model_data as models

    def readable(instance):
        fields = {}
        for name in dir(instance):
            if name.startswith("_"):
                continue
            try:
                value = getattr(instance, name)
                json.dumps(value)
            except Exception:  # moto's own properties may raise anything
                continue
            fields[name] = value
        return fields

    dump = {
        service: {
            name: [readable(instance) for instance in model.instances_tracked]
            for name, model in sorted(models[service].items())
        }
        for service in sorted(models)
    }
    return json.dumps(dump).encode()


# The query parameters of a GetObject that set its answer's headers, as S3 reads them.
OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


def with_overrides(headers, query: str):
    """`headers` with those the query's `response-*` parameters ask for put in their place."""
    asked = {OVERRIDES[name]: value for name, value in parse_qsl(query) if name in OVERRIDES}
    if not asked:
        return headers
    replaced = {name.lower() for name in asked}
    kept = [(name, value) for name, value in headers if name.lower() not in replaced]
    return kept + list(asked.items())


WRONG_ROOT = b"CompleteMultipartUploadResponse"
RIGHT_ROOT = b"CompleteMultipartUploadResult"


def as_s3_answers(body: bytes) -> bytes:
    """The body with a CompleteMultipartUpload result's root element named as S3 names it."""
    opening = body.find(b"<" + WRONG_ROOT)
    if opening == -1 or opening > 64 or not body.rstrip().endswith(b"</" + WRONG_ROOT + b">"):
        return body
    return body.replace(b"<" + WRONG_ROOT, b"<" + RIGHT_ROOT, 1).replace(
        b"</" + WRONG_ROOT + b">", b"</" + RIGHT_ROOT + b">"
    )


if __name__ == "__main__":
    main()
