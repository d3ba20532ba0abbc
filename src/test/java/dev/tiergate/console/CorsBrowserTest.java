package dev.tiergate.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.sim.SimOptions;
import dev.tiergate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the CORS headers are for, in a real browser: a page from a listed origin calls the gateway
 * with a key and JSON (so Chromium preflights), streams the answer and reads the gateway's headers
 * and its error bodies; a page from another origin is refused by the browser itself.
 */
class CorsBrowserTest {
  static final String KEY = "alice-key-0123456789abcdef";

  @TempDir
  static Path dir;
  static Vertx vertx;
  static HttpServer listedPage;
  static HttpServer otherPage;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    if (Chromium.find() == null) {
      return; // each test then skips (or fails under CI=true) in assumeInstalled()
    }
    vertx = Vertx.vertx();
    listedPage = page();
    otherPage = page();
    SimOptions sim = SimOptions.defaults("vllm").withModel("m").withTtftBaseMs(1).withDecodeTps(5000).withDenseBatching(false);
    gw = TestGateway.builder().sim("fast-1", sim).env("KEY", KEY).env("PAGE", origin(listedPage))
        .config("""
            server: { port: 0, cors: { allowOrigins: ["${PAGE}"] } }
            routing: { defaultTier: fast }
            tiers:
              - name: fast
                backends: [{ name: fast-1, url: "${SIM_FAST_1}", engine: vllm, model: m }]
            auth:
              keys: [{ name: alice, key: "${KEY}", rpm: 1000 }]
            """)
        .start();
  }

  @AfterAll
  static void stop() {
    if (gw != null) {
      gw.close();
    }
    if (vertx != null) {
      TestGateway.await(vertx.close());
    }
  }

  @BeforeEach
  void requireChromium() {
    Chromium.assumeInstalled();
  }

  static HttpServer page() {
    return TestGateway.await(vertx.createHttpServer()
        .requestHandler(req -> req.response().putHeader("content-type", "text/html").end("<!doctype html><title>chat</title>"))
        .listen(0, "127.0.0.1"));
  }

  static String origin(HttpServer s) {
    return "http://127.0.0.1:" + s.actualPort();
  }

  /** A chat the way a browser UI sends it: its key, JSON and a hint, all of which need a preflight. */
  static String fetch(String key, boolean stream) {
    return """
        (async () => {
          try {
            const r = await fetch('%s/v1/chat/completions', { method: 'POST',
              headers: { 'Authorization': 'Bearer %s', 'Content-Type': 'application/json', 'x-tiergate-tier': 'fast' },
              body: JSON.stringify({ model: 'm', stream: %s, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }) });
            const body = await r.text();
            return JSON.stringify({ status: r.status, body, tier: r.headers.get('x-tiergate-tier'),
              id: r.headers.get('x-tiergate-request-id'), remaining: r.headers.get('x-ratelimit-remaining-requests') });
          } catch (e) {
            return JSON.stringify({ blocked: String(e) });
          }
        })()""".formatted(gw.baseUrl(), key, stream);
  }

  @Test
  void aListedPageStreamsAndReadsTheGatewaysHeadersAndErrors() throws Exception {
    try (Chromium browser = Chromium.start(vertx, dir.resolve("listed"))) {
      browser.call("Page.enable", new JsonObject());
      browser.call("Page.navigate", new JsonObject().put("url", origin(listedPage) + "/"));
      ConsoleBrowserTest.await(browser, "the page", "document.title === 'chat'");

      JsonObject streamed = new JsonObject((String) browser.eval(fetch(KEY, true)));
      assertEquals(200, streamed.getInteger("status"), streamed.encode());
      assertTrue(streamed.getString("body").contains("data: [DONE]"), streamed.encode());
      assertEquals("fast", streamed.getString("tier"), "an exposed header: " + streamed.encode());
      assertTrue(streamed.getString("id") != null && streamed.getString("remaining") != null, streamed.encode());

      JsonObject refused = new JsonObject((String) browser.eval(fetch("not-a-key-0123456789abcdef", false)));
      assertEquals(401, refused.getInteger("status"), refused.encode());
      assertTrue(new JsonObject(refused.getString("body")).containsKey("error"), "the page can read why: " + refused.encode());
    }
  }

  @Test
  void aPageFromAnotherOriginIsRefusedByTheBrowser() throws Exception {
    try (Chromium browser = Chromium.start(vertx, dir.resolve("other"))) {
      browser.call("Page.enable", new JsonObject());
      browser.call("Page.navigate", new JsonObject().put("url", origin(otherPage) + "/"));
      ConsoleBrowserTest.await(browser, "the page", "document.title === 'chat'");
      JsonObject r = new JsonObject((String) browser.eval(fetch(KEY, false)));
      assertTrue(r.getString("blocked", "").contains("Failed to fetch"), r.encode());
    }
  }
}
