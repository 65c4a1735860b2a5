#!/usr/bin/env python3
"""Write the chat-template fixtures: how llama.cpp renders conversations in each chat family swift-poe
knows, so that PromptTemplate's renderings are checked against llama.cpp's own, not typed in.

    python3 scripts/chat_templates.py

For chatml, gemma, llama3, phi3 and Mistral's v1, v3 and v7, the text comes from llama.cpp's `llama_chat_apply_template`
(llama-cpp-python's binding), given the family's name. Tulu's family is not one of llama.cpp's built-in
renderers (it reads OLMo 2's template as GLM-Edge's), so its text comes from OLMo 2's Jinja template,
rendered with jinja2 as transformers renders it, without BOS (swift-poe's tokenizer adds BOS).

Also written: for each family, a real model's Jinja template text, and which family llama.cpp's
`llm_chat_detect_template` finds in it; the vocabulary files of llama.cpp's tests carry some.

Fixture written: Tests/PoETests/Fixtures/chat-templates.json
"""

import ctypes
import json
from pathlib import Path

import jinja2
import llama_cpp

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "PoETests" / "Fixtures" / "chat-templates.json"

CONVERSATIONS = [
    [("user", "Name three colours.")],
    [("system", "You are terse."), ("user", "Hi"), ("assistant", "Hello."), ("user", "  What is 2+2? \n")],
    [("user", "One"), ("assistant", " Two "), ("user", "Three")],
    [("system", "Only a system message.")],
]

# OLMo 2 Instruct's chat template (tokenizer_config.json), with its bos_token dropped.
TULU = (
    "{% for message in messages %}{% if message['role'] == 'system' %}{{ '<|system|>\n' + message['content'] + '\n' }}"
    "{% elif message['role'] == 'user' %}{{ '<|user|>\n' + message['content'] + '\n' }}"
    "{% elif message['role'] == 'assistant' %}{% if not loop.last %}{{ '<|assistant|>\n'  + message['content'] + eos_token + '\n' }}"
    "{% else %}{{ '<|assistant|>\n'  + message['content'] + eos_token }}{% endif %}{% endif %}"
    "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}{% endfor %}"
)


def llama_cpp_render(family, conversation):
    messages = (llama_cpp.llama_chat_message * len(conversation))()
    for i, (role, content) in enumerate(conversation):
        messages[i].role = role.encode()
        messages[i].content = content.encode()
    size = 8192
    buffer = ctypes.create_string_buffer(size)
    n = llama_cpp.llama_chat_apply_template(family.encode(), messages, len(conversation), True, buffer, size)
    assert 0 < n < size, (family, n)
    return buffer.raw[:n].decode()


def main():
    renderings = []
    for family in ["chatml", "gemma", "llama3", "phi3", "mistral-v7", "mistral-v7-tekken", "mistral-v1", "mistral-v3",
                   "mistral-v3-tekken"]:
        for conversation in CONVERSATIONS:
            renderings.append({"template": family, "messages": [{"role": r, "content": c} for r, c in conversation],
                               "text": llama_cpp_render(family, conversation)})
    tulu = jinja2.Environment().from_string(TULU)
    for conversation in CONVERSATIONS:
        text = tulu.render(messages=[{"role": r, "content": c} for r, c in conversation], add_generation_prompt=True,
                           eos_token="<|endoftext|>")
        renderings.append({"template": "tulu", "messages": [{"role": r, "content": c} for r, c in conversation], "text": text})
    OUT.write_text(json.dumps({"renderings": renderings}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(renderings)} renderings")


if __name__ == "__main__":
    main()
