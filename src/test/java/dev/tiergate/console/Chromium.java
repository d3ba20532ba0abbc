package dev.tiergate.console;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's {@code chromium}, headless, driven over the DevTools protocol through Vert.x's WebSocket
 * client: one page, its console and log, JavaScript evaluation and screenshots.
 */
final class Chromium implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://[^\\s]+)");

  private final Process process;
  private final WebSocketClient client;
  private final WebSocket page;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, Promise<JsonObject>> pending = new ConcurrentHashMap<>();
  private final List<Consumer<JsonObject>> listeners = new CopyOnWriteArrayList<>();

  private Chromium(Process process, WebSocketClient client, WebSocket page) {
    this.process = process;
    this.client = client;
    this.page = page;
    page.textMessageHandler(text -> {
      JsonObject m = new JsonObject(text);
      Integer id = m.getInteger("id");
      if (id != null) {
        Promise<JsonObject> p = pending.remove(id);
        if (p != null) {
          if (m.containsKey("error")) {
            p.fail(new IllegalStateException(m.getJsonObject("error").encode()));
          } else {
            p.complete(m.getJsonObject("result", new JsonObject()));
          }
        }
      } else {
        listeners.forEach(l -> l.accept(m));
      }
    });
  }

  static String find() {
    String env = System.getenv("CHROMIUM_BIN");
    if (env != null && new File(env).canExecute()) {
      return env;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : new String[] {"chromium", "chromium-browser"}) {
        File f = new File(dir, name);
        if (f.canExecute()) {
          return f.getPath();
        }
      }
    }
    return null;
  }

  /** As for prometheus: skipped without the binary, but a failure under {@code CI=true}, where {@code .ci/run} installs it. */
  static void assumeInstalled() {
    if (find() != null) {
      return;
    }
    String why = "no chromium on PATH (apt-get install -y chromium, or set CHROMIUM_BIN)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI=true, so this is an error, not a skip");
    }
    Assumptions.abort(why);
  }

  /** Starts the browser on a blank page (its own profile under {@code dir}) and attaches to that page. */
  static Chromium start(Vertx vertx, Path dir) throws IOException, InterruptedException {
    java.nio.file.Files.createDirectories(dir);
    Process p = new ProcessBuilder(find(), "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
        "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1400,1000", "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0", "--user-data-dir=" + dir.resolve("profile"), "about:blank")
        .redirectOutput(dir.resolve("chromium.out").toFile()).start();
    try {
      String browserWs = listening(p);
      URI u = URI.create(browserWs);
      String list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + u.getAuthority() + "/json/list"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
      JsonObject target = new JsonArray(list).stream().map(JsonObject.class::cast).filter(t -> "page".equals(t.getString("type")))
          .findFirst().orElseThrow(() -> new IllegalStateException("chromium has no page target: " + list));
      URI pageWs = URI.create(target.getString("webSocketDebuggerUrl"));
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(64 * 1024 * 1024)
          .setMaxMessageSize(64 * 1024 * 1024));
      WebSocket ws = await(client.connect(new WebSocketConnectOptions().setHost(pageWs.getHost()).setPort(pageWs.getPort())
          .setURI(pageWs.getRawPath())));
      return new Chromium(p, client, ws);
    } catch (IOException | RuntimeException | InterruptedException e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** Chromium prints its DevTools address on stderr once it listens. */
  private static String listening(Process p) throws IOException {
    BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String line;
    while (System.nanoTime() < deadline && (line = err.readLine()) != null) {
      seen.append(line).append('\n');
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        // keep draining stderr so the browser never blocks on a full pipe
        Thread drain = new Thread(() -> {
          try {
            err.transferTo(java.io.Writer.nullWriter());
          } catch (IOException ignored) {
            // the browser is gone
          }
        }, "chromium-stderr");
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new IllegalStateException("chromium did not open its DevTools port:\n" + seen);
  }

  /** Every protocol event (console messages, exceptions, log entries). */
  void onEvent(Consumer<JsonObject> listener) {
    listeners.add(listener);
  }

  JsonObject call(String method, JsonObject params) {
    int id = ids.incrementAndGet();
    Promise<JsonObject> p = Promise.promise();
    pending.put(id, p);
    page.writeTextMessage(new JsonObject().put("id", id).put("method", method).put("params", params).encode());
    return await(p.future());
  }

  /** The value of a JavaScript expression (awaited when it is a promise), as JSON. */
  Object eval(String expression) {
    JsonObject r = call("Runtime.evaluate", new JsonObject().put("expression", expression).put("returnByValue", true)
        .put("awaitPromise", true));
    if (r.containsKey("exceptionDetails")) {
      throw new IllegalStateException("the page threw: " + r.getJsonObject("exceptionDetails").encode());
    }
    return r.getJsonObject("result").getValue("value");
  }

  byte[] screenshot() {
    String data = call("Page.captureScreenshot", new JsonObject().put("format", "png").put("captureBeyondViewport", true))
        .getString("data");
    return java.util.Base64.getDecoder().decode(data);
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("chromium did not answer", e);
    }
  }

  @Override
  public void close() {
    try {
      page.close();
      client.close();
    } finally {
      // the browser's own helpers (zygote, renderer) go with it
      List<ProcessHandle> helpers = process.descendants().toList();
      process.destroy();
      helpers.forEach(ProcessHandle::destroy);
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
