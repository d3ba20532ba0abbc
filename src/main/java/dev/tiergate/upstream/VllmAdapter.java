package dev.tiergate.upstream;

import dev.tiergate.config.Engine;

/** vLLM and SGLang: OpenAI names; llama.cpp's {@code repeat_penalty} becomes {@code repetition_penalty}. */
class VllmAdapter extends OpenAiAdapter {
  VllmAdapter(Engine engine) {
    super(engine);
  }

  @Override
  protected void translate(RequestBody body, BodyEditor edit) {
    if (body.field("repeat_penalty") != null) {
      edit.rename("repeat_penalty", "repetition_penalty");
    }
  }
}
