#!/usr/bin/env bash
# Container smoke test (docs/operations.md#the-container): builds the image, starts it with
# throw-away credentials, waits for its HEALTHCHECK, uploads one day's export, waits for the
# job, and asks the deploy gate once. Where no container engine runs, it says so and exits 0
# (use --require-engine to make that a failure, e.g. in CI).
set -euo pipefail

require=0
[ "${1:-}" = "--require-engine" ] && require=1
ENGINE="${CONTAINER_ENGINE:-}"
if [ -z "$ENGINE" ]; then
  for e in docker podman; do
    if command -v "$e" >/dev/null 2>&1; then ENGINE="$e"; break; fi
  done
fi

no_engine() {
  echo "container-smoke: no container engine is available here ($1); the image was not built or tested."
  [ "$require" = 1 ] && exit 1
  exit 0
}
[ -n "$ENGINE" ] || no_engine "neither docker nor podman is installed"
command -v "$ENGINE" >/dev/null 2>&1 || no_engine "$ENGINE is not installed"
if ! why="$("$ENGINE" info 2>&1 >/dev/null)"; then
  no_engine "$ENGINE is installed but its engine does not answer: $(printf '%s' "$why" | grep -v '^\s*$' | tail -n 1)"
fi

cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-guardrail:smoke}"
NAME="guardrail-smoke-$$"
PORT="${SMOKE_PORT:-38080}"
INGEST="ingest-$RANDOM$RANDOM"
READ="read-$RANDOM$RANDOM"
work="$(mktemp -d)"
cleanup() {
  "$ENGINE" rm -f "$NAME" >/dev/null 2>&1 || true
  "$ENGINE" volume rm -f "$NAME-data" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo "container-smoke: $*"; }
fail() { echo "container-smoke: FAILED: $*" >&2; "$ENGINE" logs "$NAME" 2>&1 | tail -n 40 >&2 || true; exit 1; }

step "building $IMAGE"
"$ENGINE" build -t "$IMAGE" . >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; fail "the image did not build"; }

user="$("$ENGINE" image inspect -f '{{.Config.User}}' "$IMAGE")"
[ -n "$user" ] && [ "$user" != "root" ] && [ "$user" != "0" ] || fail "the image runs as root (User=\"$user\")"

openssl genrsa -out "$work/app.pem" 2048 >/dev/null 2>&1 || fail "openssl could not make a throw-away key"
step "starting $NAME on port $PORT"
"$ENGINE" run -d --name "$NAME" -p "127.0.0.1:$PORT:3000" -v "$NAME-data:/data" \
  -e APP_ID=1 -e PRIVATE_KEY="$(cat "$work/app.pem")" -e WEBHOOK_SECRET=smoke \
  -e GUARDRAIL_INGEST_TOKEN="$INGEST" -e GUARDRAIL_READ_TOKEN="$READ" \
  -e GUARDRAIL_PUBLIC_URL="http://127.0.0.1:$PORT" "$IMAGE" >/dev/null || fail "the container did not start"

step "waiting for the HEALTHCHECK"
for _ in $(seq 1 60); do
  health="$("$ENGINE" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$NAME")"
  [ "$health" = healthy ] && break
  [ "$("$ENGINE" inspect -f '{{.State.Running}}' "$NAME")" = true ] || fail "the container stopped"
  sleep 2
done
[ "$health" = healthy ] || fail "not healthy after 120 s (last status: $health)"

step "uploading one day's export"
"$ENGINE" exec "$NAME" node bin/guardrail.js fixtures --out /tmp/fx --days 1 --events-per-day 3000 --end 2026-03-10 --gzip >/dev/null
file="$("$ENGINE" exec "$NAME" sh -c 'ls /tmp/fx/ds=2026-03-10/*')"
"$ENGINE" exec "$NAME" cat "$file" >"$work/export.gz"
answer="$(curl -fsS -X POST -H "Authorization: Bearer $INGEST" --data-binary @"$work/export.gz" \
  "http://127.0.0.1:$PORT/api/guardrail/exports?dataset=default&ds=2026-03-10")" || fail "the upload was refused"
id="$(printf '%s' "$answer" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')"
state=queued
for _ in $(seq 1 60); do
  state="$(curl -fsS -H "Authorization: Bearer $INGEST" "http://127.0.0.1:$PORT/api/guardrail/jobs/$id" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).state))')"
  case "$state" in published|rejected|failed) break ;; esac
  sleep 2
done
[ "$state" = published ] || fail "job $id ended $state, expected published"

step "asking the deploy gate"
gate="$(curl -sS -o "$work/gate.json" -w '%{http_code}' -H "Authorization: Bearer $READ" \
  "http://127.0.0.1:$PORT/api/guardrail/gate?repo=acme/web&sha=0123456789abcdef0123456789abcdef01234567")"
grep -q '"state"' "$work/gate.json" || fail "the gate answered $gate without a state: $(cat "$work/gate.json")"
step "OK: healthy, job $id published, gate answered $gate $(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).state)' "$work/gate.json")"
