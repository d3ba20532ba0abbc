package dev.tiergate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamReportTest {
  private static Samples of(long... us) {
    Samples s = new Samples(100);
    for (long v : us) {
      s.add(v);
    }
    return s;
  }

  private static StreamBench.ArmResult arm(String name, Samples ttft, Samples delay) {
    return new StreamBench.ArmResult(name, 2, 10, 1, 0, 2, 100.0, ttft, delay, 0.5, 10.0, 180.0, 190.0,
        List.of("no bytes for 5000 ms"), List.of(150.0, 180.0));
  }

  @Test
  void theAddedRowIsGatewayMinusDirect() {
    String table = StreamReport.table(List.of(
        arm("direct", of(20_000, 20_000, 20_000), of(500, 500, 500)),
        arm("gateway", of(21_000, 21_000, 21_000), of(700, 700, 700))));
    assertTrue(table.contains("| added "), table);
    assertTrue(table.contains("+1.00"), "TTFT added 1 ms: " + table);
    assertTrue(table.contains("+0.20"), "relay added 0.2 ms: " + table);
    assertTrue(table.contains("error (gateway): no bytes for 5000 ms"), table);
    assertTrue(table.contains("RSS MiB each second (gateway): 150 180"), table);
  }

  @Test
  void jsonCarriesEveryArmAndNoNaN() {
    JsonObject json = StreamReport.json(List.of(arm("gateway", of(), of(1000))));
    JsonObject a = json.getJsonArray("arms").getJsonObject(0);
    assertEquals("gateway", a.getString("arm"));
    assertEquals(null, a.getValue("ttftP50Ms"), "no samples → null, not NaN");
    assertEquals(1.0, a.getDouble("relayP50Ms"));
    assertEquals(2, a.getLong("cutAtEnd"));
  }
}
