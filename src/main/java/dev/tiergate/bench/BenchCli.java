package dev.tiergate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code tiergate bench tiers|stream}: a client of the gateway (or of an engine), never a part of it. */
public final class BenchCli {
  static final String USAGE = """
      usage: tiergate bench <command> [options]

        tiers --url URL [--tiers fast,max,prefill] [--quick] [--repeats N] [--depths 10000,90000]
              [--decode-tokens N] [--json FILE] [--csv FILE] [--svg FILE] [--html FILE] [--publish GATEWAY_URL]
            per-tier trade-space: TTFT at a short prompt, prefill tok/s and TTFT at long prompts (fresh salt
            per request; TTFT there is shown, not judged), decode tok/s on prose and code; median ±half-range
            over repeats; names the axis each tier wins. URL is a tiergate gateway (tiers from GET /v1/models) or one engine. --svg draws the
            trade-space as a chart with the verdict; --html is a standalone page with that chart and the table.
            --publish POSTs the JSON report to a gateway's status page (/tiergate/report; an admin key from the
            environment variable TIERGATE_ADMIN_KEY when the gateway has keys).
            Exits 1 when a tier produced no value at all, naming it and its errors on stderr.
        swap --url URL [--tier max] [--back fast] [--waiters 1000] [--pid PID]
            against a gateway whose group holds both tiers: trigger to first token of a strict request that
            needs a swap (with the swap's phases as the gateway recorded them), then WAITERS strict requests
            for the tier at once, all of which must be answered by it; --pid samples the gateway's RSS.
        stream --url URL [--direct URL] [--streams N] [--duration S] [--warmup S] [--ramp S]
               [--max-tokens N] [--read-delay-ms MS] [--sim-decode-tps X] [--stall-ms MS] [--pid PID] [--model M] [--json FILE]
            N concurrent streaming chats for S seconds (plus warm-up); with --direct the same load runs
            first against the engine, and the table shows what the gateway adds. Needs sims started with
            --stamp-events for the relay delay. --pid samples that process's CPU and RSS. The model
            defaults to the first one GET /v1/models lists. Exits 1 when a stream failed or stalled.
        mix [--duration S] [--seed N] [--rate R] [--configs rr,rule,predicted] [--json FILE] [--quick] [--drain S]
            one seeded mixed workload (interactive chats, agent turns with growing 20-60k contexts, ~100k batch
            prefills; Poisson arrivals at R requests/s) replayed against three gateway configurations, each on
            fresh in-process simulators calibrated like the demo: round-robin, the static length rule, predicted
            TTFT routing with admission control (predicted-completion: the same, ranked by the whole answer).
            Per class TTFT p50/p95/p99, interactive decode while long prefills run, goodput per tier,
            queued/rejected/lost; --quick takes under 2 minutes. Exits 1 when a request got no status or a
            configuration did not start.
      """;

  private BenchCli() {}

  public static void main(String[] args) {
    main(args, null);
  }

  /** With the rig that starts {@code bench mix}'s configurations (the app's; null: {@code mix} is unavailable). */
  public static void main(String[] args, MixBench.Rig rig) {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
      System.out.print(USAGE);
      return;
    }
    Map<String, String> flags = flags(Arrays.copyOfRange(args, 1, args.length));
    int code;
    switch (args[0]) {
      case "tiers" -> code = tiers(flags, System.out, System.err);
      case "stream" -> code = stream(flags);
      case "swap" -> code = swap(flags);
      case "mix" -> code = mix(flags, rig, System.out, System.err);
      default -> throw new IllegalArgumentException("bench: unknown command '" + args[0] + "'\n\n" + USAGE);
    }
    System.exit(code);
  }

  /** {@code --k v}, {@code --k=v} and bare switches ({@code --quick}). */
  static Map<String, String> flags(String[] args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("bench: unexpected argument '" + a + "'\n\n" + USAGE);
      }
      int eq = a.indexOf('=');
      if (eq > 0) {
        out.put(a.substring(2, eq), a.substring(eq + 1));
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        out.put(a.substring(2), args[++i]);
      } else {
        out.put(a.substring(2), "true");
      }
    }
    return out;
  }

  static TierBench.Plan plan(Map<String, String> f) {
    TierBench.Plan p = f.containsKey("quick") ? TierBench.Plan.quick() : TierBench.Plan.full();
    List<Integer> depths = p.depths();
    if (f.containsKey("depths")) {
      depths = new ArrayList<>();
      for (String d : f.get("depths").split(",")) {
        depths.add(positive("depths", d.trim()));
      }
    }
    int repeats = f.containsKey("repeats") ? positive("repeats", f.get("repeats")) : p.repeats();
    int decode = f.containsKey("decode-tokens") ? positive("decode-tokens", f.get("decode-tokens")) : p.decodeMaxTokens();
    return new TierBench.Plan(List.copyOf(depths), repeats, p.warmups(), p.ttftMaxTokens(), decode, p.callTimeoutMs());
  }

  /** Runs {@code bench tiers}: the report on {@code out}, progress and failures on {@code err}; returns the exit status. */
  static int tiers(Map<String, String> f, PrintStream out, PrintStream err) {
    known(f, "url", "tiers", "quick", "repeats", "depths", "decode-tokens", "json", "csv", "svg", "html", "publish");
    String url = required(f, "url");
    List<String> tiers = f.containsKey("tiers") ? Arrays.stream(f.get("tiers").split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList() : List.of();
    TierBench.Plan plan = plan(f);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      TierBench bench = new TierBench(vertx, url, plan, err);
      TierBench.Report report = bench.run(tiers);
      bench.close();
      out.print(TierReport.table(report));
      String caption = caption(url, plan, Instant.now());
      String json = TierReport.json(report).put("caption", caption).encodePrettily();
      write(f.get("json"), json);
      write(f.get("csv"), TierReport.csv(report));
      write(f.get("svg"), TierChart.svg(report, caption));
      write(f.get("html"), TierPage.html(report, caption));
      // A requested tier that measured nothing is a failed run even when the others went fine: a script
      // comparing tiers must not read a half-empty report as a result.
      List<String> failures = new ArrayList<>(TierReport.failures(report));
      if (f.containsKey("publish")) {
        String problem = publish(f.get("publish"), json, System.getenv("TIERGATE_ADMIN_KEY"));
        if (problem == null) {
          err.println("report published to " + f.get("publish"));
        } else {
          failures.add(problem);
        }
      }
      failures.forEach(err::println);
      return failures.isEmpty() ? 0 : 1;
    } finally {
      TierBench.await(vertx.close(), 10_000);
    }
  }

  /** The plan {@code bench mix} runs: full or quick, with the command line's overrides. */
  static MixPlan mixPlan(Map<String, String> f) {
    MixPlan p = f.containsKey("quick") ? MixPlan.quick() : MixPlan.full();
    List<String> configs = p.configs();
    if (f.containsKey("configs")) {
      configs = Arrays.stream(f.get("configs").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
      for (String c : configs) {
        if (!MixPlan.KNOWN.contains(c)) {
          throw new IllegalArgumentException("bench mix: unknown configuration '" + c + "' (known: "
              + String.join(", ", MixPlan.KNOWN) + ")");
        }
      }
    }
    double rate = p.rate();
    if (f.containsKey("rate")) {
      try {
        rate = Double.parseDouble(f.get("rate"));
      } catch (NumberFormatException e) {
        rate = -1;
      }
      if (!(rate > 0) || rate > 1000) {
        throw new IllegalArgumentException("bench mix: --rate expects requests per second in (0, 1000], got '" + f.get("rate") + "'");
      }
    }
    long seed = p.seed();
    if (f.containsKey("seed")) {
      try {
        seed = Long.parseLong(f.get("seed").trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bench mix: --seed expects an integer, got '" + f.get("seed") + "'", e);
      }
    }
    int duration = intFlag(f, "duration", p.durationS());
    if (duration < 1 || duration > 3_600) {
      throw new IllegalArgumentException("bench mix: --duration expects 1 to 3600 seconds");
    }
    p = p.with(seed, duration, rate, configs);
    return f.containsKey("drain") ? p.withShape(p.shape(), intFlag(f, "drain", p.drainS()), p.probeTokens()) : p;
  }

  /** Runs {@code bench mix}: tables on {@code out}, progress and failures on {@code err}; returns the exit status. */
  static int mix(Map<String, String> f, MixBench.Rig rig, PrintStream out, PrintStream err) {
    known(f, "duration", "seed", "rate", "configs", "json", "quick", "drain");
    if (rig == null) {
      throw new IllegalArgumentException("bench mix: run it as `tiergate bench mix` (it starts simulators and gateways)");
    }
    MixPlan plan = mixPlan(f);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      MixBench.Run run = MixBench.run(rig, plan, vertx, err);
      out.print(MixReport.table(run));
      write(f.get("json"), MixReport.json(run).encodePrettily());
      List<String> failures = MixReport.failures(run);
      failures.forEach(err::println);
      return failures.isEmpty() ? 0 : 1;
    } finally {
      TierBench.await(vertx.close(), 10_000);
    }
  }

  /** What a chart read later, away from the terminal, needs to say about its run. */
  static String caption(String url, TierBench.Plan plan, Instant when) {
    String depths = plan.depths().stream().map(d -> String.format(Locale.ROOT, "%,d", d)).collect(Collectors.joining(" and "));
    return "Measured against " + url + " at " + DateTimeFormatter.ISO_INSTANT.format(when.truncatedTo(ChronoUnit.SECONDS))
        + "; " + plan.repeats() + " repeats per cell after " + plan.warmups() + " warm-up call(s) per tier; long prompts of "
        + depths + " tokens; decodes of " + plan.decodeMaxTokens() + " tokens.";
  }

  private static int swap(Map<String, String> f) {
    known(f, "url", "tier", "back", "waiters", "pid");
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      SwapBench.Report r = SwapBench.run(vertx, required(f, "url"), f.getOrDefault("tier", "max"), f.getOrDefault("back", "fast"),
          intFlag(f, "waiters", 1000), f.containsKey("pid") ? Long.parseLong(f.get("pid")) : -1, System.err);
      SwapBench.print(r, System.out);
      boolean lost = r.servedByTier() != r.waiters();
      if (lost) {
        System.err.println("bench swap: " + (r.waiters() - r.servedByTier()) + " waiter(s) not answered by the tier: " + r.statuses());
      }
      return lost ? 1 : 0;
    } finally {
      vertx.close();
    }
  }

  private static int stream(Map<String, String> f) {
    known(f, "url", "direct", "streams", "duration", "warmup", "ramp", "max-tokens", "read-delay-ms", "sim-decode-tps",
        "stall-ms", "pid", "json", "model");
    String url = required(f, "url");
    int streams = intFlag(f, "streams", 100);
    StreamBench.Options o = new StreamBench.Options(streams, intFlag(f, "duration", 20), intFlag(f, "warmup", 3),
        intFlag(f, "ramp", 2), intFlag(f, "max-tokens", 100), intFlag(f, "read-delay-ms", 0),
        f.containsKey("sim-decode-tps") ? Double.valueOf(f.get("sim-decode-tps")) : null, intFlag(f, "stall-ms", 5000),
        f.containsKey("pid") ? Long.parseLong(f.get("pid")) : -1, f.get("model"));
    if (streams > 20_000 || o.durationS() > 3_600) {
      throw new IllegalArgumentException("bench stream: at most 20000 streams and 3600 s");
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      StreamBench bench = new StreamBench(vertx, o);
      List<StreamBench.ArmResult> arms = new ArrayList<>();
      if (f.containsKey("direct")) {
        System.err.println("bench stream: direct arm, " + streams + " streams for " + o.durationS() + " s");
        arms.add(bench.run("direct", f.get("direct"), -1));
      }
      System.err.println("bench stream: gateway arm, " + streams + " streams for " + o.durationS() + " s");
      arms.add(bench.run("gateway", url, o.pid()));
      System.out.print(StreamReport.table(arms));
      write(f.get("json"), StreamReport.json(arms).encodePrettily());
      // Slow-consumer runs complete nothing by design (streams are cut at the end), so the verdict is
      // whether any stream failed or stalled, plus that something was relayed at all.
      return arms.stream().allMatch(a -> a.failed() == 0 && a.stalled() == 0 && a.eventsPerS() > 0) ? 0 : 1;
    } finally {
      TierBench.await(vertx.close(), 10_000);
    }
  }

  private static void known(Map<String, String> f, String... names) {
    List<String> ok = List.of(names);
    for (String k : f.keySet()) {
      if (!ok.contains(k)) {
        throw new IllegalArgumentException("bench: unknown option --" + k + "\n\n" + USAGE);
      }
    }
  }

  private static String required(Map<String, String> f, String name) {
    String v = f.get(name);
    if (v == null || v.equals("true")) {
      throw new IllegalArgumentException("bench: --" + name + " is required");
    }
    if (!v.startsWith("http://") && !v.startsWith("https://")) {
      throw new IllegalArgumentException("bench: --" + name + " must be an http(s) URL, got '" + v + "'");
    }
    return v;
  }

  private static int intFlag(Map<String, String> f, String name, int dflt) {
    return f.containsKey(name) ? positive(name, f.get(name)) : dflt;
  }

  static int positive(String name, String v) {
    try {
      int i = Integer.parseInt(v.trim());
      if (i < 0) {
        throw new NumberFormatException();
      }
      return i;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bench: --" + name + " expects a non-negative integer, got '" + v + "'");
    }
  }

  /**
   * POSTs the report to {@code <gateway>/tiergate/report}; the key (admin) comes from the environment so it never shows in
   * {@code ps}. Returns null on success, else what went wrong.
   */
  static String publish(String gateway, String json, String key) {
    String base = gateway.endsWith("/") ? gateway.substring(0, gateway.length() - 1) : gateway;
    java.net.http.HttpRequest.Builder req;
    try {
      req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/tiergate/report"))
          .timeout(java.time.Duration.ofSeconds(30)).header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json));
    } catch (IllegalArgumentException e) {
      return "publish: '" + gateway + "' is not a URL: " + e.getMessage();
    }
    if (key != null && !key.isBlank()) {
      req.header("Authorization", "Bearer " + key.trim());
    }
    try {
      java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(req.build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? null : "publish: " + base + "/tiergate/report answered " + r.statusCode() + ": " + r.body();
    } catch (IOException e) {
      return "publish: cannot reach " + base + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "publish: interrupted";
    }
  }

  private static void write(String file, String text) {
    if (file == null) {
      return;
    }
    try {
      Files.writeString(Path.of(file), text);
    } catch (IOException e) {
      throw new IllegalArgumentException("bench: cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
