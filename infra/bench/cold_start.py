"""Cold start of Lambda bootstraps, measured against a fake Lambda Runtime API.

Starts each bootstrap as Lambda would (its environment, `AWS_LAMBDA_RUNTIME_API` pointing
here) and measures the time from starting the process to its first
`GET /2018-06-01/runtime/invocation/next` (init done, ready for an event), and the
process's resident memory (VmRSS) at that moment. The request is never answered: the
process is stopped there.

The same server stands in for AWS (`AWS_ENDPOINT_URL` points here): an SSM GetParameter
is passed on to moto and timed (request in, answer out), so that the token key's read can
be given apart from the rest of init. Any other AWS call during init is reported: a
function should make none.

Usage: cold_start.py --moto URL --runs N NAME=BOOTSTRAP [NAME=BOOTSTRAP ...]
Prints a Markdown table of medians.
"""

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

NEXT = "/2018-06-01/runtime/invocation/next"
TOKEN_KEY_PARAMETER = "/fieldcloud/token-key"


class Run:
    """What the server saw of one process, from its start."""

    def __init__(self, pid, started):
        self.pid = pid
        self.started = started
        self.ready = threading.Event()
        self.ready_ms = None
        self.rss_kib = None
        self.ssm_ms = 0.0
        self.other_calls = []


class Harness(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, moto):
        super().__init__(("127.0.0.1", 0), Handler)
        self.moto = moto
        self.run = None


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        arrived = time.perf_counter_ns()
        run = self.server.run
        if self.path == NEXT and run and not run.ready.is_set():
            while run.pid is None:  # Popen has not returned to the harness yet
                time.sleep(0.0001)
            run.rss_kib = vm_rss_kib(run.pid)
            run.ready_ms = (arrived - run.started) / 1e6
            run.ready.set()
            return  # never answered: the process is stopped here
        self.unexpected()

    def do_POST(self):
        arrived = time.perf_counter_ns()
        run = self.server.run
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        if target != "AmazonSSM.GetParameter":
            self.unexpected(target)
            return
        forward = urllib.request.Request(self.server.moto, data=body, method="POST")
        for name, value in self.headers.items():
            if name.lower() not in ("host", "content-length", "connection"):
                forward.add_header(name, value)
        with urllib.request.urlopen(forward) as answer:
            status, payload = answer.status, answer.read()
            content_type = answer.headers.get("Content-Type", "application/x-amz-json-1.1")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if run:
            run.ssm_ms += (time.perf_counter_ns() - arrived) / 1e6

    # Any other method is an AWS call too, listed as unexpected.
    def do_PUT(self):
        self.unexpected()

    def do_DELETE(self):
        self.unexpected()

    def do_HEAD(self):
        self.unexpected()

    def unexpected(self, what=""):
        run = self.server.run
        if run:
            run.other_calls.append(f"{self.command} {self.path} {what}".strip())
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()


def certificate_bundle():
    """The host's CA bundle. Given as the only place to load CA certificates from, as on
    Lambda's provided.al2023, whose certificate directory holds the bundle alone; the
    functions' TLS (rustls-native-certs) would otherwise also read every file of a
    directory like Debian's /etc/ssl/certs (some 300 files, about 5 ms)."""
    for path in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"):
        if os.path.exists(path):
            return path
    sys.exit("no CA certificate bundle found")


def environment(port):
    """What Lambda and the template give every function, pointed at this server."""
    here = f"127.0.0.1:{port}"
    return {
        "SSL_CERT_FILE": certificate_bundle(),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": here,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        # Lambda has no shared config files; nor does the benchmark read the user's.
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_ENDPOINT_URL": f"http://{here}",
        "RUST_LOG": "info",
        "REGISTRY_TABLE": "registry",
        "RECORDS_TABLE": "records",
        "STACK_NAME": "bench",
        "RECOMPUTE_QUEUE_URL": f"http://{here}/000000000000/recompute",
        "MAIL_FROM": "noreply@example.com",
        "PORTAL_URL": "https://portal.example.com",
        "APP_POLICY_NAME": "apps",
        "TOKEN_KEY_PARAMETER": TOKEN_KEY_PARAMETER,
    }


def once(harness, bootstrap, env):
    # The run is there before the process: its first request may come at once.
    run = Run(None, time.perf_counter_ns())
    harness.run = run
    process = subprocess.Popen(
        [bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    run.pid = process.pid
    ready = run.ready.wait(timeout=10)
    process.kill()
    _, stderr = process.communicate()
    harness.run = None
    if not ready:
        sys.exit(f"{bootstrap} asked for no event within 10 s:\n{stderr.decode()}")
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--moto", required=True, help="moto's URL, for the SSM read")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("bootstraps", nargs="+", metavar="NAME=BOOTSTRAP")
    args = parser.parse_args()

    harness = Harness(args.moto)
    threading.Thread(target=harness.serve_forever, daemon=True).start()
    env = environment(harness.server_address[1])

    print("| bootstrap | to first `next` (ms) | of which the SSM read (ms) | RSS (MiB) | other AWS calls at start |")
    print("|---|---:|---:|---:|---|")
    for named in args.bootstraps:
        name, bootstrap = named.split("=", 1)
        once(harness, bootstrap, env)  # a first start warms the page cache
        runs = [once(harness, bootstrap, env) for _ in range(args.runs)]
        ready = statistics.median(r.ready_ms for r in runs)
        ssm = statistics.median(r.ssm_ms for r in runs)
        rss = statistics.median(r.rss_kib for r in runs) / 1024
        others = sorted({call for r in runs for call in r.other_calls})
        ssm_cell = f"{ssm:.1f}" if ssm else "–"  # no SSM read at all
        print(f"| {name} | {ready:.1f} | {ssm_cell} | {rss:.1f} | {', '.join(others) or 'none'} |")


if __name__ == "__main__":
    main()
