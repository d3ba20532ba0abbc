package dev.tiergate.upstream;

import dev.tiergate.config.Api;
import dev.tiergate.config.Engine;
import java.util.EnumSet;
import java.util.Set;

/** vLLM and SGLang: OpenAI names; llama.cpp's {@code repeat_penalty} becomes {@code repetition_penalty}. */
class VllmAdapter extends OpenAiAdapter {
  /**
   * vLLM: {@code /v1/responses} ({@code vllm/entrypoints/openai/api_server.py}, since 0.10), Anthropic's
   * {@code /v1/messages} and {@code /v1/messages/count_tokens} ({@code vllm/entrypoints/anthropic/api_router.py},
   * 2026 main; set {@code translate: [messages]} for builds before it).
   */
  static final Set<Api> VLLM = EnumSet.of(Api.CHAT, Api.COMPLETIONS, Api.RESPONSES, Api.MESSAGES, Api.MESSAGES_COUNT_TOKENS);
  /**
   * SGLang: {@code /v1/responses} ({@code python/sglang/srt/entrypoints/http_server.py}) and
   * {@code /v1/messages} ({@code python/sglang/srt/entrypoints/anthropic/serving.py}, 0.5 series).
   */
  static final Set<Api> SGLANG = EnumSet.of(Api.CHAT, Api.COMPLETIONS, Api.RESPONSES, Api.MESSAGES);

  VllmAdapter(Engine engine) {
    super(engine, engine == Engine.SGLANG ? SGLANG : VLLM);
  }

  @Override
  protected void translate(RequestBody body, BodyEditor edit) {
    if (body.field("repeat_penalty") != null) {
      edit.rename("repeat_penalty", "repetition_penalty");
    }
  }
}
