#!/usr/bin/env python3
"""`poe serve` through OpenAI's own Python client (`pip install openai`): what docs/serving.md claims.

    python3 scripts/serve_check.py [--model gemma-3-270m] [--max-tokens 64]

Starts `poe serve` on a free port (with an API key), then checks, and fails (exit 1) on any mismatch:
  - a greedy chat with extra_body={"rules": "paper", "template": "tulu"} equals `poe generate --rules paper
    --template tulu` on the same instructions, and the streamed deltas add up to the same text;
  - a completion with logprobs (the product's and the base model's);
  - errors as the client raises them: 400 naming the field, 401 without the key, 404;
  - the server still answers afterwards, and /metrics counts what happened.
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import openai

ROOT = Path(__file__).resolve().parent.parent
POE = str(ROOT / ".build" / "release" / "poe")
INSTRUCTIONS = [
    "Give me three tips for staying focused while studying.",
    "What is Samyang Buldak ramen?",
    "Write a short poem about the sea.",
]
KEY = "serve-check-key"


def start_server(model, extra=()):
    process = subprocess.Popen([POE, "serve", "--model", model, "--port", "0", "--api-key", KEY, *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        match = re.search(r"on http://[^:]+:(\d+)", line)
        if match:
            return process, int(match.group(1))
    raise SystemExit(f"poe serve did not start (exit {process.wait()})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    failures = []

    def check(condition, what):
        print(("ok    " if condition else "FAIL  ") + what)
        if not condition:
            failures.append(what)

    process, port = start_server(args.model)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0)
        for instruction in INSTRUCTIONS:
            expected = json.loads(subprocess.check_output(
                [POE, "generate", "--model", args.model, "--rules", "paper", "--template", "tulu", "--max-tokens", str(args.max_tokens),
                 "--json", instruction], text=True))["text"]
            settings = dict(model=args.model, messages=[{"role": "user", "content": instruction}], temperature=0,
                            max_tokens=args.max_tokens, extra_body={"rules": "paper", "template": "tulu"})
            whole = client.chat.completions.create(**settings)
            check(whole.choices[0].message.content == expected, f"chat equals poe generate: {instruction!r}")
            streamed = "".join(chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(**settings, stream=True)
                               if chunk.choices)
            check(streamed == expected, f"streamed deltas add up to it: {instruction!r}")
            check(whole.usage.completion_tokens > 0 and whole.usage.prompt_tokens > 0, "usage counts")

        completion = client.completions.create(model=args.model, prompt="The capital of France is", max_tokens=5, temperature=0, logprobs=3)
        logprobs = completion.choices[0].logprobs
        check(len(logprobs.token_logprobs) == 5 and len(logprobs.top_logprobs[0]) == 3, "completion logprobs: 5 tokens, 3 alternatives")
        check(all(a <= 0 for a in logprobs.token_logprobs), "log-probabilities are at most 0")
        extra = completion.choices[0].model_extra.get("logprobs") or logprobs.model_extra
        check("base_token_logprobs" in (extra or {}), "the base model's log-probabilities beside the product's")
        chat = client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "Hi"}], max_tokens=3, temperature=0,
                                              logprobs=True, top_logprobs=2, extra_body={"rules": "paper"})
        check(len(chat.choices[0].logprobs.content) == chat.usage.completion_tokens, "chat logprobs: one per token")

        for settings, param in [({"max_tokens": -1}, "max_tokens"), ({"temperature": float("inf")}, None),
                                ({"extra_body": {"rules": "no-such-rules"}}, "rules"), ({"top_p": 3}, "top_p"),
                                ({"extra_body": {"template": "klingon"}}, "template")]:
            try:
                client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": "Hi"}], **settings)
                check(False, f"400 for {settings}")
            except openai.BadRequestError as error:
                check(error.status_code == 400 and (param is None or error.body.get("param") == param), f"400 naming {param} for {settings}")
            except ValueError:
                check(param is None, f"the client itself refuses {settings}")
        try:
            openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="wrong", max_retries=0).models.list()
            check(False, "401 with a wrong key")
        except openai.AuthenticationError:
            check(True, "401 with a wrong key")
        try:
            client.get("/nowhere", cast_to=object)
            check(False, "404 for an unknown path")
        except openai.NotFoundError:
            check(True, "404 for an unknown path")
        check([m.id for m in client.models.list().data] == [args.model], "/v1/models lists the model")
        metrics = subprocess.check_output(["curl", "-s", f"http://127.0.0.1:{port}/metrics"], text=True)
        check('poe_requests_total{endpoint="chat",outcome="ok"}' in metrics and "poe_time_to_first_token_seconds_bucket" in metrics,
              "/metrics counts requests and times to first token")
    finally:
        process.terminate()
        check(process.wait(timeout=60) == 0, "SIGTERM shuts the server down cleanly (exit 0)")
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
