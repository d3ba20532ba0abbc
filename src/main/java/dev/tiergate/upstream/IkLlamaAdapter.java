package dev.tiergate.upstream;

import dev.tiergate.config.Engine;

/**
 * ik_llama.cpp: llama.cpp's names, but it ranks {@code max_tokens} above
 * {@code max_completion_tokens}, so the OpenAI precedence is restored by sending only one.
 */
final class IkLlamaAdapter extends LlamaCppAdapter {
  IkLlamaAdapter() {
    super(Engine.IKLLAMA);
  }

  @Override
  protected void translate(RequestBody body, BodyEditor edit) {
    super.translate(body, edit);
    String mct = body.rawValue("max_completion_tokens");
    if (mct != null && !mct.equals("null")) {
      edit.remove("max_completion_tokens");
      edit.set("max_tokens", mct);
    }
  }
}
