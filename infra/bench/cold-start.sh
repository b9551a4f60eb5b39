#!/usr/bin/env bash
# Cold start of each function's bootstrap next to a hello-world Lambda's, on this machine:
# time from process start to its first request for an event, and its memory then (medians
# of RUNS starts, default 10). The api function reads its token key from SSM at start:
# moto answers it, and the read's own time is given apart. Builds for the host, in
# release (the profile Lambda gets, for this CPU instead of arm64).
#
#   infra/bench/cold-start.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-10}"

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements.txt

cargo build --release --quiet -p api -p ingest -p recompute -p bench-hello --bins
bin="$(cargo metadata --format-version 1 --no-deps |
    .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release"

port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
.venv/bin/moto_server -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill "$moto"' EXIT
# A non-interactive shell runs its EXIT trap on these only when told to exit on them.
trap 'exit 143' TERM
trap 'exit 130' INT
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
    sleep 0.2
done

.venv/bin/python - "http://127.0.0.1:$port" <<'EOF'
import secrets, sys, boto3
ssm = boto3.client("ssm", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="bench", aws_secret_access_key="bench")
ssm.put_parameter(Name="/fieldcloud/token-key", Type="SecureString", Value=secrets.token_hex(32))
EOF

.venv/bin/python infra/bench/cold_start.py --moto "http://127.0.0.1:$port" --runs "$runs" \
    "hello-world=$bin/hello" "ingest=$bin/ingest" "recompute=$bin/recompute" "api=$bin/api"
