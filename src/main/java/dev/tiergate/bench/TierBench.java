package dev.tiergate.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tiergate bench tiers}: measures each tier the way the seed's bench does (streamed, with usage),
 * one tier at a time, warm-ups excluded, repeats summarized by median and spread; then names per tier the
 * axis it wins. Runs on the caller's thread (never an event loop): each call is awaited in turn, because
 * concurrent calls would measure the batch, not the tier.
 */
public final class TierBench {
  /** What to run. Depths are prompt sizes in tokens for the prefill axes. */
  public record Plan(List<Integer> depths, int repeats, int warmups, int ttftMaxTokens, int decodeMaxTokens,
      long callTimeoutMs) {
    public static Plan full() {
      return new Plan(List.of(10_000, 90_000), 3, 1, 8, 256, 900_000);
    }

    /** Under a minute against the demo's deliberately slow sims (≈1.5–2.4K tok/s prefill, 60–80 tok/s decode). */
    public static Plan quick() {
      return new Plan(List.of(2_000, 5_000), 2, 1, 4, 48, 60_000);
    }

    int steps(int tiers) {
      return tiers * (warmups + repeats * (3 + depths.size()));
    }
  }

  /** One tier's measurements: axis name → summary of repeats, plus anything that went wrong. */
  public record TierResult(String tier, Map<String, Stats.Summary> axes, Map<String, Integer> depths,
      List<String> notes) {}

  /** The whole report. */
  public record Report(List<TierResult> tiers, List<Verdict.Axis> axes, Map<String, List<String>> wins) {}

  static final String TTFT = "TTFT ms";
  static final String PROSE = "decode prose t/s";
  static final String CODE = "decode code t/s";
  private static final Pattern LONG_AXIS = Pattern.compile("(TTFT|prefill)@(\\d+)K (?:ms|t/s)");
  private static final Pattern GATEWAY_WINDOW = Pattern.compile("context window[^(]*\\((\\d+) tokens\\)");
  private static final Pattern ENGINE_WINDOW = Pattern.compile("(?:maximum context length is|context length of|n_ctx[^0-9]{0,20})\\s*(\\d+)");

  private final HttpClient client;
  private final String baseUrl;
  private final Plan plan;
  private final PrintStream progressOut;
  private final SplittableRandom random = new SplittableRandom();
  private final Map<String, Integer> windows = new LinkedHashMap<>();
  private String engineModel;
  private boolean gatewayMode;

  public TierBench(Vertx vertx, String baseUrl, Plan plan, PrintStream progressOut) {
    this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(2));
    this.baseUrl = baseUrl.replaceAll("/+$", "").replaceAll("/v1$", "");
    this.plan = plan;
    this.progressOut = progressOut;
  }

  static String depthLabel(int tokens) {
    return "prefill@" + kilo(tokens) + "K t/s";
  }

  static String longTtftLabel(int tokens) {
    return "TTFT@" + kilo(tokens) + "K ms";
  }

  private static long kilo(int tokens) {
    return Math.max(1, Math.round(tokens / 1000.0));
  }

  /** A reader's title for one of {@link #axes}' names: "prefill@5K t/s" is "Prefill speed, 5K-token prompt". */
  static String title(String axis) {
    Matcher m = LONG_AXIS.matcher(axis);
    if (m.matches()) {
      return (m.group(1).equals("TTFT") ? "Time to first token, " : "Prefill speed, ") + m.group(2) + "K-token prompt";
    }
    return switch (axis) {
      case TTFT -> "Time to first token, short prompt";
      case PROSE -> "Decode speed, prose";
      case CODE -> "Decode speed, code";
      default -> axis;
    };
  }

  /**
   * The axes grouped for a chart, at most two a row: TTFT and prefill at the same prompt side by side (one
   * measurement in two units), the decode axes together, anything else on its own; in the order of {@code axes}.
   */
  static List<List<Verdict.Axis>> rows(List<Verdict.Axis> axes) {
    Map<String, List<Verdict.Axis>> groups = new LinkedHashMap<>();
    for (Verdict.Axis a : axes) {
      Matcher m = LONG_AXIS.matcher(a.name());
      String key = m.matches() ? m.group(2) + "K" : a.name().equals(PROSE) || a.name().equals(CODE) ? "decode" : a.name();
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(a);
    }
    List<List<Verdict.Axis>> rows = new ArrayList<>();
    for (List<Verdict.Axis> g : groups.values()) {
      for (int i = 0; i < g.size(); i += 2) {
        rows.add(g.subList(i, Math.min(g.size(), i + 2)));
      }
    }
    return rows;
  }

  /** The unit of one of {@link #axes}' names, in words. */
  static String unit(String axis) {
    return axis.endsWith(" ms") ? "milliseconds" : axis.endsWith(" t/s") ? "tokens per second" : "";
  }

  /**
   * The axes of a plan, in table order. TTFT at a long prompt is what a user waits, so it is shown; it is
   * not judged because prefill t/s at the same prompt is the same measurement per token, and a prompt clipped
   * to a smaller window would make a slow tier look fast in milliseconds.
   */
  public static List<Verdict.Axis> axes(Plan plan) {
    List<Verdict.Axis> a = new ArrayList<>();
    a.add(new Verdict.Axis(TTFT, false));
    plan.depths().forEach(d -> a.add(new Verdict.Axis(longTtftLabel(d), false, false)));
    plan.depths().forEach(d -> a.add(new Verdict.Axis(depthLabel(d), true)));
    a.add(new Verdict.Axis(PROSE, true));
    a.add(new Verdict.Axis(CODE, true));
    return a;
  }

  /** Runs the plan on the given tiers (null or empty: every tier the URL reports). */
  public Report run(List<String> wanted) {
    List<String> tiers = discover(wanted);
    Progress progress = new Progress(progressOut, plan.steps(tiers.size()));
    List<TierResult> results = new ArrayList<>();
    try {
      for (String tier : tiers) {
        results.add(measure(tier, progress));
      }
    } finally {
      progress.finish();
    }
    List<Verdict.Axis> axes = axes(plan);
    Map<Verdict.Axis, Map<String, Stats.Summary>> byAxis = new LinkedHashMap<>();
    for (Verdict.Axis a : axes) {
      Map<String, Stats.Summary> m = new LinkedHashMap<>();
      results.forEach(r -> m.put(r.tier(), r.axes().getOrDefault(a.name(), Stats.Summary.empty())));
      byAxis.put(a, m);
    }
    return new Report(results, axes, Verdict.wins(byAxis, tiers));
  }

  /** Tiers from the gateway's /v1/models ({@code tiergate.kind = tier}); an engine URL is one tier. */
  List<String> discover(List<String> wanted) {
    JsonObject models;
    try {
      models = await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(baseUrl + "/v1/models"))
          .compose(r -> r.send().compose(resp -> resp.body().map(b -> {
            if (resp.statusCode() != 200) {
              throw new IllegalStateException("GET /v1/models answered " + resp.statusCode());
            }
            return b.toJsonObject();
          }))), 10_000);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("cannot read " + baseUrl + "/v1/models: " + e.getMessage(), e);
    }
    JsonArray data = models.getJsonArray("data", new JsonArray());
    List<String> found = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      JsonObject m = data.getJsonObject(i);
      JsonObject tg = m.getJsonObject("tiergate");
      if (tg != null && "tier".equals(tg.getString("kind"))) {
        found.add(tg.getString("tier"));
      } else if (engineModel == null && tg == null) {
        engineModel = m.getString("id");
        Object len = m.getValue("max_model_len");
        if (len instanceof Number n) {
          windows.put("engine", n.intValue());
        }
      }
    }
    gatewayMode = !found.isEmpty();
    if (!gatewayMode) {
      if (engineModel == null) {
        throw new IllegalArgumentException(baseUrl + "/v1/models lists no model");
      }
      return List.of("engine");
    }
    if (wanted == null || wanted.isEmpty()) {
      return found;
    }
    for (String w : wanted) {
      if (!found.contains(w)) {
        throw new IllegalArgumentException("unknown tier '" + w + "'; the gateway serves " + String.join(", ", found));
      }
    }
    return wanted;
  }

  private TierResult measure(String tier, Progress progress) {
    List<String> notes = new ArrayList<>();
    Map<String, List<Double>> raw = new LinkedHashMap<>();
    Map<String, Integer> depths = new LinkedHashMap<>();
    for (int i = 0; i < plan.warmups(); i++) {
      progress.show(tier + " warm-up");
      call(tier, Prompts.salt(random) + Prompts.SHORT, plan.ttftMaxTokens(), notes);
      progress.step(tier + " warm-up");
    }
    for (int i = 0; i < plan.repeats(); i++) {
      progress.show(tier + " TTFT");
      ChatCall.Result r = call(tier, Prompts.salt(random) + Prompts.SHORT, plan.ttftMaxTokens(), notes);
      add(raw, TTFT, r == null ? Double.NaN : r.ttftMs());
      progress.step(tier + " TTFT");
    }
    for (int depth : plan.depths()) {
      String axis = depthLabel(depth);
      String ttftAxis = longTtftLabel(depth);
      int size = depth;
      for (int i = 0; i < plan.repeats(); i++) {
        progress.show(tier + " " + axis);
        size = clip(tier, size);
        ChatCall.Result r = call(tier, Prompts.longPrompt(size, random), 1, notes);
        if (r != null && r.status() == 400 && learnWindow(tier, r.error())) {
          size = clip(tier, size);
          r = call(tier, Prompts.longPrompt(size, random), 1, notes);
        }
        boolean ok = r != null && r.error() == null;
        add(raw, ttftAxis, ok ? r.ttftMs() : Double.NaN);
        add(raw, axis, ok ? r.prefillTps(size) : Double.NaN);
        if (r != null && r.promptTokens() > 0) {
          depths.put(ttftAxis, r.promptTokens());
          depths.put(axis, r.promptTokens());
        }
        progress.step(tier + " " + axis);
      }
      if (size < depth) {
        notes.add(axis + ": prompt clipped to " + size + " tokens (context window " + windows.get(tier) + ")");
      }
    }
    for (String[] kind : new String[][] {{PROSE, Prompts.PROSE}, {CODE, Prompts.CODE}}) {
      for (int i = 0; i < plan.repeats(); i++) {
        progress.show(tier + " " + kind[0]);
        ChatCall.Result r = call(tier, Prompts.salt(random) + kind[1], plan.decodeMaxTokens(), notes);
        add(raw, kind[0], r == null || r.error() != null ? Double.NaN : r.decodeTps());
        progress.step(tier + " " + kind[0]);
      }
    }
    Map<String, Stats.Summary> axes = new LinkedHashMap<>();
    raw.forEach((k, v) -> axes.put(k, Stats.summarize(v)));
    return new TierResult(tier, axes, depths, notes);
  }

  private static void add(Map<String, List<Double>> raw, String axis, double v) {
    raw.computeIfAbsent(axis, k -> new ArrayList<>()).add(v);
  }

  private int clip(String tier, int tokens) {
    Integer w = windows.get(tier);
    if (w == null) {
      return tokens;
    }
    // room for the chat template, the 4-chars-per-token guess being short, and the one output token
    int room = (int) (w * 0.95) - 256;
    return Math.max(16, Math.min(tokens, room));
  }

  /** Reads a context window out of a "too long" error; true when one was found. */
  boolean learnWindow(String tier, String message) {
    if (message == null) {
      return false;
    }
    for (Pattern p : new Pattern[] {GATEWAY_WINDOW, ENGINE_WINDOW}) {
      Matcher m = p.matcher(message);
      if (m.find()) {
        windows.put(tier, Integer.parseInt(m.group(1)));
        return true;
      }
    }
    return false;
  }

  /** One measured call; failures become notes and a null, so one bad call never ends the report. */
  private ChatCall.Result call(String tier, String text, int maxTokens, List<String> notes) {
    Map<String, String> headers = new LinkedHashMap<>();
    String model = engineModel;
    if (gatewayMode) {
      headers.put("x-tiergate-tier", tier);
      headers.put("x-tiergate-strict", "true");
      model = "tiergate/" + tier;
    }
    try {
      ChatCall.Result r = await(ChatCall.run(client, baseUrl, Prompts.chatBody(model, text, maxTokens), headers,
          plan.callTimeoutMs()), plan.callTimeoutMs() + 5_000);
      if (r.error() != null) {
        note(notes, "HTTP " + r.status() + ": " + r.error());
      } else if (gatewayMode && r.servedTier() != null && !r.servedTier().equals(tier)) {
        note(notes, "asked for " + tier + " but " + r.servedTier() + " answered");
        return null;
      }
      return r;
    } catch (RuntimeException e) {
      note(notes, "call failed: " + e.getMessage());
      return null;
    }
  }

  private static void note(List<String> notes, String n) {
    if (!notes.contains(n) && notes.size() < 20) {
      notes.add(n);
    }
  }

  static <T> T await(Future<T> f, long timeoutMs) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(String.valueOf(e.getCause().getMessage()), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out after " + timeoutMs + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public void close() {
    await(client.close(), 5_000);
  }
}
