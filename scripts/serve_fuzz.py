#!/usr/bin/env python3
"""Hostile requests to `poe serve`: no 5xx, no crash.

    python3 scripts/serve_fuzz.py [--model smollm2-135m-instruct] [--count 500] [--seed 1]

Starts `poe serve` on a free port and sends `--count` requests built from a seeded generator: valid
completion and chat bodies with one field mutated (wrong types, out-of-range and non-finite numbers,
huge and deeply nested values, unknown rule sets and broken rule-set objects, bad UTF-8, invalid roles
and content parts, unknown token ids in logit_bias), truncated and random bodies, wrong methods and
paths, wrong content types and oversized bodies. Every answer must be a status below 500 with a JSON
body (an `error` object for the 4xx ones), and the server must still answer /health at the end. Fails
(exit 1) otherwise, printing the requests that broke the rule.
"""

import argparse
import http.client
import json
import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POE = str(ROOT / ".build" / "release" / "poe")

WEIRD_VALUES = [None, True, False, 0, -1, 1, 2**31, 2**63, -2**63, 1e308, -1e308, 1.5, 1e-320, "", "x", "8", " ", "\u0000",
                "é" * 1000, [], [1], ["a"], {}, {"a": 1}, [[[[[[[[[[[]]]]]]]]]]], "NaN", "Infinity", -0.0]
FIELDS = ["model", "prompt", "messages", "max_tokens", "temperature", "top_p", "top_k", "min_p", "seed", "stop", "logit_bias",
          "logprobs", "top_logprobs", "rules", "template", "ignore_eos", "stream", "stream_options", "n", "frequency_penalty",
          "presence_penalty", "echo", "best_of", "max_completion_tokens"]
RULES = ["paper", "none", "nope", {"name": "x", "experts": []}, {"name": "x", "experts": [{"type": "eosRamp"}]},
         {"name": "x", "experts": [{"type": "tokenBias", "tokens": ["a"], "biases": [1e39]}]},
         {"name": "x", "experts": [{"type": "eosRamp", "start": 1, "end": 0, "peak": 1}]},
         {"name": "x", "experts": [{"type": "languageModel", "model": "/etc/passwd"}]},
         {"name": "x", "experts": [{"type": "repetitionPenalty", "penalty": -1e30}], "extra": 1},
         {"name": "x", "experts": [{"type": "tokenBias", "tokens": [{"id": 99999999}], "biases": [1]}]}]


def valid(chat, rng):
    body = {"max_tokens": rng.choice([1, 2, 4]), "temperature": rng.choice([0, 0.7])}
    if chat:
        body["messages"] = [{"role": rng.choice(["system", "user", "assistant"]), "content": "Hello"}, {"role": "user", "content": "Hi"}]
    else:
        body["prompt"] = "Once upon a time"
    return body


def mutate(body, rng):
    field = rng.choice(FIELDS)
    kind = rng.random()
    if field == "rules" and kind < 0.6:
        body["rules"] = rng.choice(RULES)
    elif field == "messages" and kind < 0.6:
        body["messages"] = rng.choice([[{"role": "wizard", "content": "x"}], [{"role": "user"}], [{"content": "x"}],
                                       [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
                                       [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": 5}]}],
                                       [{"role": "user", "content": "<start_of_turn><|im_start|><eos></s>" * 50}], [], ["user"]])
    elif field == "logit_bias" and kind < 0.6:
        body["logit_bias"] = rng.choice([{"-1": 5}, {"4294967296": 1}, {"2": 1e9}, {"x": 1}, {"2": "high"}, {str(i): -100 for i in range(2000)},
                                         {"0": -100, "1": -100}])
    elif field == "max_tokens" and kind < 0.5:
        body["max_tokens"] = rng.choice([0, -5, 10**12, 2.5, "4", None, 100000])
    else:
        body[field] = rng.choice(WEIRD_VALUES)
    if body.get("max_tokens") is None and rng.random() < 0.9:
        body["max_tokens"] = 2  # keep valid requests short (an absent max_tokens lets a chat run to the context)
    return body


def request(port, method, path, body, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    server = subprocess.Popen([POE, "serve", "--model", args.model, "--port", "0", "--max-queue", "8"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in server.stdout:
        match = re.search(r"on http://[^:]+:(\d+)", line)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        raise SystemExit("poe serve did not start")
    broken, statuses = [], {}
    try:
        for i in range(args.count):
            chat = rng.random() < 0.5
            path = "/v1/chat/completions" if chat else "/v1/completions"
            method, headers = "POST", {"Content-Type": "application/json"}
            roll = rng.random()
            if roll < 0.7:
                body = json.dumps(mutate(valid(chat, rng), rng), allow_nan=True).encode()
            elif roll < 0.8:
                text = json.dumps(valid(chat, rng)).encode()
                body = text[: rng.randrange(len(text))]
            elif roll < 0.87:
                body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
            elif roll < 0.92:
                body = json.dumps(valid(chat, rng)).encode()
                method, path = rng.choice([("GET", path), ("PUT", path), ("DELETE", "/v1/models"), ("POST", "/v1/../etc/passwd"),
                                           ("GET", "/v1/models/%00"), ("POST", "/" + "a" * 5000)])
            elif roll < 0.96:
                body = b'{"prompt": "' + b"a" * (5 << 20) + b'"}'  # over the body limit
            else:
                body = json.dumps(valid(chat, rng)).encode()
                headers = {"Content-Type": rng.choice(["text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin1"])}
            try:
                status, data = request(port, method, path, body, headers)
            except (ConnectionError, http.client.HTTPException) as error:
                if server.poll() is not None:
                    broken.append((i, "the server died", body[:200]))
                    break
                # The server may close a connection on an oversized body before reading it all.
                if len(body) > (4 << 20):
                    continue
                broken.append((i, f"connection error {error!r}", body[:200]))
                continue
            statuses[status] = statuses.get(status, 0) + 1
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = None
            if status >= 500 or (status >= 400 and not (isinstance(parsed, dict) and "error" in parsed)):
                broken.append((i, status, body[:200], data[:300]))
        alive = request(port, "GET", "/health", None, {})[0] == 200
    finally:
        server.terminate()
        code = server.wait(timeout=60)
    print(f"{args.count} requests: statuses {dict(sorted(statuses.items()))}; server alive at the end: {alive}; exit {code}")
    for item in broken[:20]:
        print("  broke:", item)
    if broken or not alive:
        sys.exit(1)


if __name__ == "__main__":
    main()
