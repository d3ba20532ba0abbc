package dev.tiergate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsoleConfigTest {
  static final String TIERS = AuthConfigTest.TIERS;

  static GatewayConfig parse(String yaml) {
    return ConfigLoader.withEnv(Map.of()).parse("t.yaml", yaml + TIERS);
  }

  @Test
  void defaultsKeepTheConsoleOnAndTheAccessLogOff() {
    GatewayConfig c = parse("");
    assertEquals(AccessLogFormat.OFF, c.server().accessLog());
    assertTrue(c.console().enabled());
    assertEquals(8, c.console().maxViewers());
    assertEquals(65_536, c.console().recentRequests());
    assertEquals(1_000L, c.console().pushMs());
    assertNull(c.console().report());
  }

  @Test
  void accessLogTakesItsThreeWordsAndYamlsBareOff() {
    assertEquals(AccessLogFormat.KV, parse("server: { accessLog: kv }\n").server().accessLog());
    assertEquals(AccessLogFormat.JSON, parse("server: { accessLog: json }\n").server().accessLog());
    // YAML 1.1 reads a bare off as false
    assertEquals(AccessLogFormat.OFF, parse("server: { accessLog: off }\n").server().accessLog());
    assertEquals(AccessLogFormat.OFF, parse("server: { accessLog: \"off\" }\n").server().accessLog());
    String why = String.join("\n", assertThrows(ConfigException.class, () -> parse("server: { accessLog: yes }\n")).getMessage());
    assertTrue(why.contains("accessLog"), why);
  }

  @Test
  void impossibleConsoleValuesNameTheirKey() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> parse("console: { maxViewers: 0, recentRequests: 10, pushMs: 5, report: \"\" }\n"));
    String all = String.join("\n", e.problems());
    for (String key : new String[] {"console.maxViewers", "console.recentRequests", "console.pushMs", "console.report"}) {
      assertTrue(all.contains(key), key + " in " + all);
    }
    assertThrows(ConfigException.class, () -> parse("console: { viewers: 3 }\n"), "an unknown key stops the start");
  }

  @Test
  void aReloadCannotChangeTheConsoleOrTheAccessLog() {
    GatewayConfig before = parse("");
    GatewayConfig after = parse("server: { accessLog: json }\nconsole: { maxViewers: 3 }\n");
    String fixed = String.join("\n", ConfigChange.fixed(before, after));
    assertTrue(fixed.contains("server.accessLog cannot change on reload"), fixed);
    assertTrue(fixed.contains("console.maxViewers cannot change on reload"), fixed);
  }
}
