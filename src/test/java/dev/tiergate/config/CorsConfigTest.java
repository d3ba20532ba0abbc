package dev.tiergate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code server.cors}: off by default, and an entry a browser's Origin could never equal stops the start. */
class CorsConfigTest {
  static GatewayConfig parse(String yaml) {
    return ConfigLoader.withEnv(Map.of()).parse("t.yaml", yaml + AuthConfigTest.TIERS);
  }

  static String problems(String yaml) {
    return String.join("\n", assertThrows(ConfigException.class, () -> parse(yaml)).problems());
  }

  @Test
  void offUntilAnOriginIsListed() {
    CorsConfig c = parse("").server().cors();
    assertFalse(c.enabled());
    assertEquals(600, c.maxAgeSeconds());
    assertFalse(parse("server: { cors: {} }\n").server().cors().enabled());
    assertFalse(parse("server: { cors: { allowOrigins: [] } }\n").server().cors().enabled());
  }

  @Test
  void exactOriginsAndTheStarAreTaken() {
    CorsConfig c = parse("server:\n  cors:\n    allowOrigins: [\"https://chat.example.com\", \"http://localhost:5173\","
        + " \"http://[::1]:3000\", \"chrome-extension://abcdefghijklmnop\"]\n    maxAgeSeconds: 7200\n").server().cors();
    assertEquals(List.of("https://chat.example.com", "http://localhost:5173", "http://[::1]:3000",
        "chrome-extension://abcdefghijklmnop"), c.allowOrigins());
    assertFalse(c.anyOrigin());
    assertEquals(7200, c.maxAgeSeconds());
    assertTrue(parse("server: { cors: { allowOrigins: [\"*\"] } }\n").server().cors().anyOrigin());
    assertTrue(parse("server: { cors: { allowOrigins: \"*\" } }\n").server().cors().anyOrigin(), "one string is a list of one");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "https://chat.example.com/   | would never match; write 'https://chat.example.com'",
      "https://chat.example.com/ui | no path",
      "chat.example.com            | must be scheme://host[:port]",
      "https://*.example.com       | wildcards inside an origin are not supported",
      "https://Chat.Example.com    | write 'https://chat.example.com'",
      "https://chat.example.com:443 | default port",
      "http://localhost:80         | write 'http://localhost'",
      "http://localhost:99999      | out of range",
      "https://user@chat.example.com | user name",
      "null                        | sandboxed",
      "https://bücher.example      | punycode"})
  void anOriginABrowserWouldNeverSendIsRefusedWithItsPath(String origin, String why) {
    String p = problems("server: { cors: { allowOrigins: [\"https://ok.example.com\", \"" + origin + "\"] } }\n");
    assertTrue(p.contains("server.cors.allowOrigins[1]: "), p);
    assertTrue(p.contains(why), p);
    assertFalse(p.contains("allowOrigins[0]"), p);
  }

  @Test
  void theStarStandsAloneAndNoEntryTwice() {
    assertTrue(problems("server: { cors: { allowOrigins: [\"*\", \"https://a.example\"] } }\n")
        .contains("server.cors.allowOrigins[0]: '*' allows every origin, so it must be the only entry"));
    assertTrue(problems("server: { cors: { allowOrigins: [\"https://a.example\", \"https://a.example\"] } }\n")
        .contains("server.cors.allowOrigins[1]: 'https://a.example' is listed twice"));
    assertTrue(problems("server: { cors: { allowOrigins: [null] } }\n").contains("server.cors.allowOrigins[0]: must be an origin"));
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 86_401})
  void maxAgeIsBounded(int seconds) {
    assertTrue(problems("server: { cors: { allowOrigins: [\"*\"], maxAgeSeconds: " + seconds + " } }\n")
        .contains("server.cors.maxAgeSeconds: must be 0..86400, got " + seconds));
  }

  @Test
  void unknownKeysStopTheStartWithTheirPath() {
    assertTrue(problems("server: { cors: { allowOrigins: [\"*\"], allowCredentials: true } }\n")
        .contains("server.cors.allowCredentials: unknown key 'allowCredentials'"));
    assertTrue(problems("server: { cors: { allowedOrigins: [\"*\"] } }\n").contains("server.cors.allowedOrigins: unknown key"));
  }

  @Test
  void aReloadCannotChangeIt() {
    String fixed = String.join("\n", ConfigChange.fixed(parse(""), parse("server: { cors: { allowOrigins: [\"*\"] } }\n")));
    assertTrue(fixed.contains("server.cors.allowOrigins cannot change on reload"), fixed);
  }
}
