package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tiergate.config.Engine;
import dev.tiergate.testing.Transcript;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** Engine load signals parsed from each engine's own metric names: llama.cpp from real captures. */
class LoadProbeTest {
  @Test
  void llamaCppUnderLoadReportsItsProcessingAndDeferredRequests() {
    // Capture 20d: 6 streams on 4 slots.
    EngineLoad l = LoadProbe.parse(Engine.LLAMACPP, Buffer.buffer(Transcript.llamacpp("20d_metrics_deferred").bodyText()));
    assertEquals(4, l.running());
    assertEquals(2, l.waiting());
    EngineLoad idle = LoadProbe.parse(Engine.LLAMACPP, Buffer.buffer(Transcript.llamacpp("03a_metrics_before").bodyText()));
    assertEquals(0, idle.running());
    assertEquals(0, idle.waiting());
    EngineLoad after = LoadProbe.parse(Engine.LLAMACPP, Buffer.buffer(Transcript.llamacpp("11_metrics_after").bodyText()));
    assertEquals(true, after.generatedTokens() > idle.generatedTokens(), "n_decode_total grew with the work done");
  }

  @Test
  void vllmSumsItsEngineCoresAndCountsPromptAndGenerationTokensAsProgress() {
    String text = """
        # HELP vllm:num_requests_running Number of requests in model execution batches.
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{engine="0",model_name="m"} 3.0
        vllm:num_requests_running{engine="1",model_name="m"} 2.0
        vllm:num_requests_waiting{engine="0",model_name="m"} 7.0
        vllm:prompt_tokens_total{engine="0",model_name="m"} 1000.0
        vllm:generation_tokens_total{engine="0",model_name="m"} 250.0
        """;
    EngineLoad l = LoadProbe.parse(Engine.VLLM, Buffer.buffer(text));
    assertEquals(5, l.running());
    assertEquals(7, l.waiting());
    assertEquals(1250, l.generatedTokens(), 1e-9);
  }

  @Test
  void sglangHasItsOwnNames() {
    String text = "sglang:num_running_reqs{model_name=\"m\",engine_type=\"unified\",tp_rank=\"0\",pp_rank=\"0\"} 2.0\n"
        + "sglang:num_queue_reqs{model_name=\"m\",engine_type=\"unified\",tp_rank=\"0\",pp_rank=\"0\"} 4.0\n";
    EngineLoad l = LoadProbe.parse(Engine.SGLANG, Buffer.buffer(text));
    assertEquals(2, l.running());
    assertEquals(4, l.waiting());
  }

  @Test
  void aPageWithoutTheEnginesNamesSaysNothing() {
    assertNull(LoadProbe.parse(Engine.VLLM, Buffer.buffer("# nothing here\nprocess_cpu_seconds_total 3.0\n")));
  }
}
