package dev.tiergate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** Only the payload's own top-level usage and timings count, wherever they sit in the body. */
class UsageReaderTest {
  private static TokenUsage read(String json) {
    TokenUsage u = new TokenUsage();
    UsageReader.read(Buffer.buffer(json), u);
    return u;
  }

  @Test
  void aNestedUsageBeforeTheRealOneIsNotMistakenForIt() {
    TokenUsage u = read("{\"choices\":[{\"message\":{\"usage\":null,\"x\":{\"usage\":{\"prompt_tokens\":999}}}}],"
        + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"prompt_tokens_details\":{\"cached_tokens\":5}}}");
    assertEquals(12, u.promptTokens);
    assertEquals(34, u.completionTokens);
    assertEquals(5, u.cachedTokens);
  }

  @Test
  void usageAndTimingsInEitherOrder() {
    TokenUsage u = read("{\"timings\":{\"prompt_n\":40,\"predicted_n\":7,\"cache_n\":2},\"choices\":[],"
        + "\"usage\":{\"prompt_tokens\":42,\"completion_tokens\":7}}");
    assertEquals(42, u.promptTokens);
    assertEquals(40, u.promptN);
    assertEquals(7, u.predictedN);
    assertEquals(2, u.cacheN);
  }

  @Test
  void aMissingNullOrBrokenUsageLeavesTheFieldsUnset() {
    assertEquals(-1, read("{\"choices\":[],\"usage\":null}").promptTokens);
    assertEquals(-1, read("{\"choices\":[{\"text\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":3}\"}]}").promptTokens);
    TokenUsage broken = read("{\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":");
    assertEquals(8, broken.promptTokens, "what was read before the break is kept");
    assertEquals(-1, broken.completionTokens);
    assertEquals(-1, read("not json").promptTokens);
  }
}
