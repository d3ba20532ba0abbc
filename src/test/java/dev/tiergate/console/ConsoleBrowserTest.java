package dev.tiergate.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.app.Demo;
import dev.tiergate.app.Gateway;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real browser: the demo (its three simulated tiers, on free ports), known
 * traffic, then Debian's chromium loads the page headless. Any console error, uncaught exception,
 * CSP violation or failed load fails the test; the numbers the page shows must be the ones
 * {@code /tiergate/status} and the ring buffer give; a screenshot is kept under {@code target/}.
 */
class ConsoleBrowserTest {
  static final List<String> TIERS = List.of("fast", "max", "prefill");
  static final Map<String, Integer> SENT = Map.of("fast", 4, "max", 3, "prefill", 2);

  @TempDir
  static Path dir;
  static Vertx vertx;
  static Gateway gateway;
  static HttpClient http;
  static io.vertx.core.Context context;
  static String base;

  @BeforeAll
  static void start() throws IOException {
    if (Chromium.find() == null) {
      return; // each test then skips (or fails under CI=true) in assumeInstalled()
    }
    Map<String, String> env = new HashMap<>();
    env.put("TIERGATE_PORT", Integer.toString(freePort()));
    env.put("TIERGATE_DEMO_FAST_PORT", Integer.toString(freePort()));
    env.put("TIERGATE_DEMO_MAX_PORT", Integer.toString(freePort()));
    env.put("TIERGATE_DEMO_PREFILL_PORT", Integer.toString(freePort()));
    GatewayConfig config = new ConfigLoader(env::get).loadResource(ConfigLoader.DEMO_RESOURCE);
    vertx = Vertx.vertx();
    TestGateway.await(Demo.startSims(vertx, config));
    gateway = TestGateway.await(Gateway.start(vertx, config));
    http = vertx.createHttpClient();
    context = vertx.getOrCreateContext();
    base = "http://127.0.0.1:" + gateway.port();
    // Known traffic: a few short streamed chats per tier, steered by header.
    for (String tier : TIERS) {
      for (int i = 0; i < SENT.get(tier); i++) {
        JsonObject r = call(HttpMethod.POST, "/v1/chat/completions", "{\"model\":\"qwen3.6-27b\",\"stream\":true,\"max_tokens\":6,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello from the browser test\"}]}", "x-tiergate-tier", tier);
        assertEquals(200, r.getInteger("status"), r.encode());
      }
    }
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      TestGateway.await(gateway.stop());
    }
    if (vertx != null) {
      TestGateway.await(vertx.close());
    }
  }

  @BeforeEach
  void requireChromium() {
    Chromium.assumeInstalled();
  }

  @Test
  void showsTheDemoAsTheGatewaySeesItWithoutAnError() throws Exception {
    String report = Files.readString(Path.of("src/test/resources/console/tier-report.json"));
    assertEquals(200, call(HttpMethod.POST, "/tiergate/report", report).getInteger("status"));
    List<String> problems = new ArrayList<>();
    try (Chromium browser = Chromium.start(vertx, dir)) {
      watch(browser, problems);
      browser.call("Page.navigate", new JsonObject().put("url", base + "/"));
      await(browser, "two snapshots drawn", "Number(document.body.dataset.snapshots || 0) >= 2");
      await(browser, "the report chart loaded", "document.getElementById('report-chart').naturalWidth > 0");

      JsonObject shown = new JsonObject((String) browser.eval("""
          JSON.stringify({
            status: document.getElementById('status').dataset.value,
            inflight: document.getElementById('inflight').dataset.value,
            waiting: document.getElementById('waiting').dataset.value,
            actions: document.querySelectorAll('[data-action]').length,
            reportTiers: document.getElementById('report-chart').dataset.tiers,
            tiers: Object.fromEntries([...document.querySelectorAll('article.tier')].map(a => [a.dataset.tier, {
              numbers: Object.fromEntries([...a.querySelectorAll('.numbers b')].map(b => [b.dataset.field, b.dataset.value])),
              text: Object.fromEntries([...a.querySelectorAll('.numbers b')].map(b => [b.dataset.field, b.textContent])),
              state: a.querySelector('[data-field=tierState]').dataset.value,
              charts: a.querySelectorAll('.chart svg').length,
              backends: Object.fromEntries([...a.querySelectorAll('tr[data-backend]')].map(r => [r.dataset.backend, {
                state: r.querySelector('[data-field=state]').dataset.value,
                circuit: r.querySelector('[data-field=circuit]').dataset.value,
                inflight: r.querySelector('[data-field=inflight]').dataset.value }]))
            }]))
          })"""));
      JsonObject status = new JsonObject(call(HttpMethod.GET, "/tiergate/status", null).getString("body"));
      JsonObject state = new JsonObject(call(HttpMethod.GET, "/tiergate/console/state", null).getString("body"));

      assertEquals(status.getString("status"), shown.getString("status"));
      assertEquals("0", shown.getString("inflight"));
      assertEquals("0", shown.getString("waiting"));
      assertEquals(0, shown.getInteger("actions"), "no keys and no lifecycle.adminEndpoints: no operator buttons");
      assertEquals(String.join(",", TIERS), shown.getString("reportTiers"));
      JsonArray recent = state.getJsonObject("recent").getJsonArray("tiers");
      for (int i = 0; i < TIERS.size(); i++) {
        String tier = TIERS.get(i);
        JsonObject page = shown.getJsonObject("tiers").getJsonObject(tier);
        JsonObject ring = recent.getJsonObject(i);
        JsonObject numbers = page.getJsonObject("numbers");
        assertEquals(String.valueOf(SENT.get(tier)), numbers.getString("requests"), tier);
        assertEquals(SENT.get(tier), ring.getInteger("requests"), tier);
        for (String f : List.of("errors", "ttftP50Ms", "ttftP95Ms", "decodeTps", "prefillTps")) {
          Object v = ring.getValue(f);
          assertEquals(v == null ? "" : number(v), numbers.getString(f), tier + " " + f + " as the ring buffer has it");
        }
        assertTrue(ring.getDouble("ttftP50Ms") > 0, tier + ": " + ring.encode());
        assertTrue(page.getJsonObject("text").getString("ttftP50Ms").matches("[0-9,.]+"), page.encode());
        assertEquals(4, page.getInteger("charts"), tier);
        assertEquals("ready", page.getString("state"), tier);
        JsonObject st = status.getJsonArray("tiers").getJsonObject(i);
        assertEquals(tier, st.getString("name"));
        for (Object o : st.getJsonArray("backends")) {
          JsonObject b = (JsonObject) o;
          JsonObject pb = page.getJsonObject("backends").getJsonObject(b.getString("name"));
          assertEquals(b.getString("state"), pb.getString("state"), b.getString("name"));
          assertEquals(b.getString("circuit"), pb.getString("circuit"), b.getString("name"));
          assertEquals(String.valueOf(b.getInteger("inflight")), pb.getString("inflight"), b.getString("name"));
        }
      }
      Files.createDirectories(Path.of("target"));
      Files.write(Path.of("target", "console-screenshot.png"), browser.screenshot());
    }
    assertEquals(List.of(), problems, "the page logged errors");
  }

  @Test
  void withKeysThePageAsksForAnAdminKeyAndSendsItAsAHeader() throws Exception {
    String admin = "admin-key-0123456789abcdef";
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false);
    List<String> problems = new ArrayList<>();
    try (TestGateway keyed = TestGateway.builder().sim("fast-1", sim).env("ADMIN_KEY", admin)
            .config("""
                routing: { defaultTier: fast }
                tiers:
                  - name: fast
                    backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
                auth:
                  keys: [{ name: admin, key: "${ADMIN_KEY}", role: admin }]
                """)
            .start();
        Chromium browser = Chromium.start(vertx, dir.resolve("keyed"))) {
      watch(browser, problems);
      browser.call("Page.navigate", new JsonObject().put("url", keyed.baseUrl() + "/"));
      await(browser, "the key form", "!document.getElementById('keyform').hidden");
      assertEquals(null, browser.eval("document.body.dataset.snapshots"), "nothing is shown, and nothing asked, without a key");
      browser.eval("document.getElementById('key').value = '" + admin + "'; document.getElementById('keyform').requestSubmit()");
      await(browser, "a snapshot with the key", "Number(document.body.dataset.snapshots || 0) >= 1");
      assertEquals(true, browser.eval("document.getElementById('keyform').hidden"));
      assertEquals(admin, browser.eval("sessionStorage.getItem('tiergate.adminKey')"), "kept for this tab only");
      assertEquals(0, ((Number) browser.eval("localStorage.length")).intValue());
      assertEquals(false, browser.eval("document.documentElement.outerHTML.includes('" + admin + "')"), "the key is not in the page");
      assertEquals(1, keyed.gateway().console().viewers());
      browser.eval("document.getElementById('forget').click()");
      await(browser, "the form again after forgetting the key", "!document.getElementById('keyform').hidden");
      Wire.await("the viewer is gone once the page stops reading", 5_000, () -> keyed.gateway().console().viewers() == 0);
    }
    assertEquals(List.of(), problems, "the page logged errors");
  }

  /** Collects what a broken page would show in its console: errors, uncaught exceptions, failed loads, CSP violations. */
  static void watch(Chromium browser, List<String> problems) {
    browser.onEvent(e -> {
      String method = e.getString("method");
      JsonObject p = e.getJsonObject("params", new JsonObject());
      if ("Runtime.consoleAPICalled".equals(method) && List.of("error", "assert").contains(p.getString("type"))) {
        problems.add("console." + p.getString("type") + ": " + p.getJsonArray("args").encode());
      } else if ("Runtime.exceptionThrown".equals(method)) {
        problems.add("uncaught: " + p.getJsonObject("exceptionDetails").encode());
      } else if ("Log.entryAdded".equals(method) && "error".equals(p.getJsonObject("entry").getString("level"))) {
        problems.add("log: " + p.getJsonObject("entry").encode());
      }
    });
    browser.call("Runtime.enable", new JsonObject());
    browser.call("Log.enable", new JsonObject());
    browser.call("Page.enable", new JsonObject());
  }

  /** As JavaScript's String(number) writes it: 12 for 12.0, 12.5 otherwise. */
  static String number(Object v) {
    double d = ((Number) v).doubleValue();
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  static void await(Chromium browser, String what, String condition) {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline) {
      // before the page has loaded, the condition's elements may not exist yet
      if (Boolean.TRUE.equals(browser.eval("(() => { try { return Boolean(" + condition + "); } catch (e) { return false; } })()"))) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("the page did not get there: " + what + "; body: "
        + browser.eval("document.body.innerText.slice(0, 2000)"));
  }

  static JsonObject call(HttpMethod method, String path, String body, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(gateway.port()).setURI(path);
    if (body != null) {
      o.putHeader("content-type", "application/json");
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      o.putHeader(headers[i], headers[i + 1]);
    }
    // One exchange on one event loop: from the test thread, the body could arrive before it was asked for.
    io.vertx.core.Promise<JsonObject> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> http.request(o).compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().map(b -> new JsonObject().put("status", resp.statusCode()).put("body", b.toString())))
        .onComplete(done));
    return TestGateway.await(done.future());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
