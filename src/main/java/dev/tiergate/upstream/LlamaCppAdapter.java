package dev.tiergate.upstream;

import dev.tiergate.config.Engine;

/** llama.cpp {@code llama-server}: {@code repeat_penalty} is its name for the repetition penalty. */
class LlamaCppAdapter extends OpenAiAdapter {
  LlamaCppAdapter() {
    super(Engine.LLAMACPP);
  }

  LlamaCppAdapter(Engine engine) {
    super(engine);
  }

  @Override
  protected void translate(RequestBody body, BodyEditor edit) {
    if (body.field("repetition_penalty") != null) {
      edit.rename("repetition_penalty", "repeat_penalty");
    }
  }
}
