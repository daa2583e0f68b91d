"""The smallest Gradio chat that streams the same model: the framework's floor for one turn.

Usage: ``_bare_chat_app.py PORT`` with ``DRILL_LLM_BASE_URL`` pointing at the fake model. One
Chatbot (``elem_id="trainee-chat"``), a ``start_drill`` event that clears it, and a
``send_message`` event whose generator makes the raw ``openai`` streaming call and pushes the
chat like drill does: the trainee's line,
the first customer characters at once, then at most every 50 ms, then the final state. No
persona, store, prompt building or session lookup: what is left is Gradio's queue, postprocess,
diff and server-sent events, plus the client. ``turn_overhead`` subtracts this from the running
app to show what drill itself adds. Serves until SIGINT.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

import gradio as gr
import openai

PUSH_INTERVAL_S = 0.05


def main() -> None:
    """Launch the bare chat on 127.0.0.1:PORT and serve until interrupted."""
    port = int(sys.argv[1])
    client = openai.OpenAI(base_url=os.environ["DRILL_LLM_BASE_URL"], api_key="bench", max_retries=0)
    history: list[dict[str, str]] = []

    def send(text: str) -> Iterator[list[dict[str, str]]]:
        history.append({"role": "user", "content": text})
        yield [*history, {"role": "assistant", "content": "…"}]
        stream = client.chat.completions.create(model="fake-model", stream=True, messages=history)
        reply, pushed, pushes = "", 0.0, 0
        for chunk in stream:
            if not chunk.choices or not chunk.choices[0].delta.content:
                continue
            reply += chunk.choices[0].delta.content
            now = time.monotonic()
            if pushes == 0 or now - pushed >= PUSH_INTERVAL_S:
                pushes, pushed = pushes + 1, now
                yield [*history, {"role": "assistant", "content": reply}]
        history.append({"role": "assistant", "content": reply})
        yield list(history)

    def start(persona_id: str, case_id: str) -> list[dict[str, str]]:
        del persona_id, case_id  # the same signature as drill's start_drill; nothing to look up
        history.clear()
        return []

    with gr.Blocks() as demo:
        chat = gr.Chatbot([], elem_id="trainee-chat")
        persona, case = gr.Textbox(), gr.Textbox()
        gr.Button("start").click(start, [persona, case], [chat], api_name="start_drill")
        message = gr.Textbox()
        message.submit(send, [message], [chat], api_name="send_message")
    demo.queue(default_concurrency_limit=32)
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    demo.close()


if __name__ == "__main__":
    main()
