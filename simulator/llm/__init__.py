"""The one seam between drill and LLM providers.

Everything that talks to a model goes through here: chat models (``ChatOpenAI``), embeddings
(``OpenAIEmbeddings``) and structured output, for any OpenAI-compatible endpoint (OpenAI,
DeepSeek, Qwen's compatible mode, Ollama, vLLM, llama.cpp's server). No other module imports
``openai`` or ``langchain_openai``; provider exceptions are translated into
:class:`simulator.errors.LLMUnavailable` with a message that says what to check.

One module per job: ``client`` (endpoint, retry policy, the shared openai clients), ``usage``
(token counts per call), ``chat`` and ``embeddings`` (the models), ``structured`` (the judge's
structured output), ``streaming`` (a reply a person waits for) and ``errors`` (provider faults
as :class:`simulator.errors.LLMUnavailable`). Import from the module that does the job.
"""
