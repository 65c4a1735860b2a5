#!/usr/bin/env bash
# Two `poe serve` replicas behind nginx (Debian's package) on loopback, as docs/serving.md describes:
# nginx spreads requests over both (least connections, no buffering, so streams pass as they come), every
# request is answered through it, both replicas serve some, and SIGTERM stops each replica cleanly.
#
#     scripts/serve_replicas.sh [MODEL]      (default smollm2-135m-instruct; installs nginx if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-smollm2-135m-instruct}
POE=.build/release/poe
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    [ -f "$WORK/nginx.pid" ] && nginx -p "$WORK" -c "$WORK/nginx.conf" -s stop 2>/dev/null || true
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# Two replicas on free ports: each prints its port once its model is loaded.
PORTS=()
for replica in 1 2; do
    $POE serve --model "$MODEL" --port 0 --model-name "$MODEL" > "$WORK/replica$replica.log" 2>&1 &
    PIDS+=($!)
done
for replica in 1 2; do
    for _ in $(seq 600); do
        port=$(sed -n 's/.*on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/replica$replica.log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "replica $replica did not start"; cat "$WORK/replica$replica.log"; exit 1; }
    PORTS+=("$port")
done

cat > "$WORK/nginx.conf" <<EOF
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events {}
http {
    access_log $WORK/access.log;
    client_body_temp_path $WORK; proxy_temp_path $WORK; fastcgi_temp_path $WORK; uwsgi_temp_path $WORK; scgi_temp_path $WORK;
    upstream poe {
        least_conn;
        server 127.0.0.1:${PORTS[0]} max_fails=3 fail_timeout=5s;
        server 127.0.0.1:${PORTS[1]} max_fails=3 fail_timeout=5s;
    }
    server {
        listen 127.0.0.1:18280;
        client_max_body_size 4m;
        location / {
            proxy_pass http://poe;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;          # server-sent events pass through as they are written
            proxy_read_timeout 600s;
            proxy_next_upstream error timeout http_502 http_503;
        }
    }
}
EOF
nginx -p "$WORK" -c "$WORK/nginx.conf"
for _ in $(seq 50); do curl -sf http://127.0.0.1:18280/health >/dev/null && break; sleep 0.1; done

# Eight chats at once through nginx, half of them streamed.
for i in $(seq 8); do
    stream=$([ $((i % 2)) -eq 0 ] && echo true || echo false)
    curl -sf http://127.0.0.1:18280/v1/chat/completions -H 'Content-Type: application/json' \
        -d "{\"messages\": [{\"role\": \"user\", \"content\": \"Name $i colours.\"}], \"max_tokens\": 24, \"temperature\": 0, \"rules\": \"paper\", \"stream\": $stream}" \
        > "$WORK/answer$i" &
done
wait $(jobs -p | grep -v -e "${PIDS[0]}" -e "${PIDS[1]}") 2>/dev/null || true
answered=0
for i in $(seq 8); do
    if grep -q '"finish_reason":"\(stop\|length\)"' "$WORK/answer$i"; then answered=$((answered + 1)); fi
done
served=()
for port in "${PORTS[@]}"; do
    served+=("$(curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^poe_requests_total{endpoint="chat",outcome="ok"} \([0-9]*\).*/\1/p')")
done
echo "answered through nginx: $answered of 8; replica 1 served ${served[0]}, replica 2 served ${served[1]}"
[ "$answered" -eq 8 ] && [ "${served[0]:-0}" -gt 0 ] && [ "${served[1]:-0}" -gt 0 ] || { echo "FAIL"; exit 1; }

# SIGTERM: each replica finishes and exits 0.
for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${PIDS[@]}"; do wait "$pid" || { echo "FAIL: a replica exited with $?"; exit 1; }; done
PIDS=()
echo "both replicas shut down cleanly"
