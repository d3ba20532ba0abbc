package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClientPartsTest {
  @Test
  void splitterJoinsEventsAcrossChunksAndSkipsComments() {
    SseSplitter s = new SseSplitter(1024);
    List<String> got = new ArrayList<>();
    assertTrue(s.feed(Buffer.buffer(": keep-alive\n\ndata: {\"a\":1}\n"), d -> got.add(d.toString())));
    assertTrue(s.feed(Buffer.buffer("\ndata: {\"b\""), d -> got.add(d.toString())));
    assertTrue(s.feed(Buffer.buffer(":2}\r\n\r\ndata: [DONE]\n\n"), d -> got.add(d.toString())));
    assertEquals(List.of("{\"a\":1}", "{\"b\":2}", "[DONE]"), got);
    assertTrue(SseSplitter.isDone(Buffer.buffer("[DONE]")));
  }

  @Test
  void splitterGivesUpOnAnEventPastTheCap() {
    SseSplitter s = new SseSplitter(16);
    assertFalse(s.feed(Buffer.buffer("data: " + "x".repeat(64)), d -> { }));
  }

  @Test
  void readsTheSimulatorStamp() {
    byte[] key = "\"sim_ts_us\":".getBytes(StandardCharsets.US_ASCII);
    assertEquals(1732700000123456L, SseSplitter.longAfter(Buffer.buffer("{\"x\":1,\"sim_ts_us\":1732700000123456}"), key));
    assertEquals(-1, SseSplitter.longAfter(Buffer.buffer("{\"x\":1}"), key));
  }

  @Test
  void aRoleOnlyChunkIsNotOutput() {
    assertFalse(ChatCall.isOutput(Buffer.buffer("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}")));
    assertTrue(ChatCall.isOutput(Buffer.buffer("{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}")));
    assertTrue(ChatCall.isOutput(Buffer.buffer("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}]}")));
    assertFalse(ChatCall.isOutput(Buffer.buffer("{\"choices\":[],\"usage\":{\"prompt_tokens\":3}}")));
  }

  @Test
  void longPromptsHaveTheAskedSizeAndAFreshSalt() {
    SplittableRandom r = new SplittableRandom(1);
    String a = Prompts.longPrompt(10_000, r);
    String b = Prompts.longPrompt(10_000, r);
    assertTrue(Math.abs(a.length() - 40_000) < 100, "≈4 chars per token: " + a.length());
    assertFalse(a.substring(0, 40).equals(b.substring(0, 40)), "salted prefixes differ");
    JsonObject body = new JsonObject(Prompts.chatBody("m", "say \"hi\"\n", 8));
    assertEquals(true, body.getBoolean("stream"));
    assertEquals(true, body.getJsonObject("stream_options").getBoolean("include_usage"));
    assertEquals("say \"hi\"\n", body.getJsonArray("messages").getJsonObject(0).getString("content"));
  }

  @Test
  void learnsTheWindowFromGatewayAndEngineErrors() {
    Vertx vertx = Vertx.vertx();
    try {
      TierBench b = new TierBench(vertx, "http://127.0.0.1:1", TierBench.Plan.quick(), System.err);
      assertTrue(b.learnWindow("max", "This request needs about 9000 tokens (prompt ≈8990 + max_tokens 1), more "
          + "than the largest context window that may serve it (3000 tokens). Shorten the conversation."));
      assertTrue(b.learnWindow("fast", "This model's maximum context length is 131072 tokens. However, you requested"));
      assertFalse(b.learnWindow("fast", "upstream said no"));
    } finally {
      vertx.close();
    }
  }

  @Test
  void flagsAndPlans() {
    Map<String, String> f = BenchCli.flags(new String[] {"--url", "http://127.0.0.1:1", "--quick", "--repeats=4"});
    assertEquals("true", f.get("quick"));
    TierBench.Plan p = BenchCli.plan(f);
    assertEquals(4, p.repeats());
    assertEquals(TierBench.Plan.quick().depths(), p.depths());
    assertEquals(List.of(10_000, 90_000), BenchCli.plan(Map.of()).depths());
    assertThrows(IllegalArgumentException.class, () -> BenchCli.flags(new String[] {"stray"}));
    assertThrows(IllegalArgumentException.class, () -> BenchCli.positive("repeats", "-1"));
    assertEquals("prefill@90K t/s", TierBench.depthLabel(90_000));
  }
}
