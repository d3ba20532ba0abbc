package dev.tiergate.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Reset times in OpenAI's (Go's) duration format, which clients parse. */
class RateLimitHeadersTest {
  @Test
  void durations() {
    assertEquals("0s", RateLimitHeaders.duration(0));
    assertEquals("20ms", RateLimitHeaders.duration(20));
    assertEquals("1s", RateLimitHeaders.duration(1000));
    assertEquals("1.5s", RateLimitHeaders.duration(1500));
    assertEquals("6m0s", RateLimitHeaders.duration(360_000));
    assertEquals("1m1.25s", RateLimitHeaders.duration(61_250));
    assertEquals("1h0m3s", RateLimitHeaders.duration(3_603_000));
  }
}
