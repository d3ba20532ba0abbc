package dev.tiergate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates a mixed workload from a seed: one Poisson arrival process per class (together a Poisson process at the
 * given rate), and for each arrival its prompt, output budget and headers. The same seed gives the same bytes, so
 * every configuration of a run is offered exactly the same work.
 */
public final class MixWorkload {
  /** The model every request names: "auto" leaves the choice of tier to the gateway. */
  static final String MODEL = "auto";
  static final String PRIORITY = "x-tiergate-priority";
  private static final String SYSTEM = "You are a coding agent working in a large repository. Read files with the "
      + "read_file tool, reason about what you read, and answer with the change you would make.";
  private static final JsonArray TOOLS = new JsonArray().add(new JsonObject().put("type", "function").put("function",
      new JsonObject().put("name", "read_file").put("description", "Read a file of the repository")
          .put("parameters", new JsonObject().put("type", "object")
              .put("properties", new JsonObject().put("path", new JsonObject().put("type", "string")))
              .put("required", new JsonArray().add("path")))));
  /** What an agent turn carries besides its history: the salted system message and the tools (a salt is ≤ 43 chars). */
  private static final int FIXED_CHARS = 43 + SYSTEM.length() + TOOLS.encode().length();

  private MixWorkload() {}

  /**
   * The workload of {@code durationS} seconds at {@code rate} requests per second (all classes together), sorted by
   * arrival. A class with a share above 0 that drew no arrival gets one at a seeded time, so every class is present.
   */
  public static List<MixRequest> generate(MixShape shape, long seed, int durationS, double rate) {
    if (durationS <= 0 || !(rate > 0)) {
      throw new IllegalArgumentException("duration and rate must be > 0");
    }
    SplittableRandom root = new SplittableRandom(seed);
    List<MixRequest> all = new ArrayList<>();
    for (MixClass c : MixClass.values()) {
      // split in a fixed order: each class's draws never depend on another class's count
      SplittableRandom times = root.split();
      SplittableRandom content = root.split();
      double share = shape.share(c);
      if (share <= 0) {
        continue;
      }
      List<Long> at = arrivals(times, rate * share, durationS);
      Sessions sessions = new Sessions(shape, content);
      for (long t : at) {
        all.add(switch (c) {
          case INTERACTIVE -> chat(c, t, shape, shape.interactivePrompt(), shape.interactiveOutput(), content);
          case BATCH -> chat(c, t, shape, shape.batchPrompt(), shape.batchOutput(), content);
          case AGENT -> sessions.next(t);
        });
      }
    }
    all.sort(Comparator.comparingLong(MixRequest::atMs));
    List<MixRequest> indexed = new ArrayList<>(all.size());
    for (MixRequest r : all) {
      indexed.add(new MixRequest(indexed.size(), r.kind(), r.atMs(), r.promptTokens(), r.maxTokens(), r.session(),
          r.turn(), r.body(), r.headers()));
    }
    return List.copyOf(indexed);
  }

  /** Arrival times in ms of a Poisson process: exponential gaps with mean 1 / rate. */
  static List<Long> arrivals(SplittableRandom r, double perSecond, int durationS) {
    List<Long> at = new ArrayList<>();
    double t = 0;
    while (true) {
      t += -Math.log(1.0 - r.nextDouble()) / perSecond;
      if (t >= durationS) {
        break;
      }
      at.add(Math.round(t * 1000));
    }
    if (at.isEmpty()) {
      at.add((long) (r.nextDouble() * durationS * 1000));
    }
    return at;
  }

  private static MixRequest chat(MixClass c, long at, MixShape shape, MixShape.Range prompt, MixShape.Range output,
      SplittableRandom r) {
    int tokens = Math.min(prompt.draw(r), shape.maxPromptTokens());
    int out = output.draw(r);
    String text = Prompts.longPrompt(tokens, r);
    return new MixRequest(-1, c, at, tokens(text.length()), out, 0, 0, Prompts.chatBody(MODEL, text, out), headers(c));
  }

  private static Map<String, String> headers(MixClass c) {
    return c.priority() == null ? Map.of() : Map.of(PRIORITY, c.priority());
  }

  static int tokens(long chars) {
    return (int) Math.ceil(chars / Prompts.CHARS_PER_TOKEN);
  }

  /**
   * Agent conversations taking turns: turn k resends the history of turns 1..k-1 (each a read_file call and the
   * file it returned) plus one more, so the context grows by one file per turn until it would pass the cap.
   */
  private static final class Sessions {
    private final MixShape shape;
    private final SplittableRandom r;
    private final Session[] open;
    private int arrivals;
    private int ids;

    Sessions(MixShape shape, SplittableRandom r) {
      this.shape = shape;
      this.r = r;
      this.open = new Session[shape.agentSessions()];
    }

    MixRequest next(long at) {
      int slot = arrivals++ % open.length;
      Session s = open[slot];
      int growth = shape.agentGrowth().draw(r);
      if (s == null || tokens(s.chars + FIXED_CHARS) + growth > Math.min(shape.agentMaxContext(), shape.maxPromptTokens())) {
        s = new Session(++ids);
        open[slot] = s;
        s.start(Math.min(shape.agentStart().draw(r), shape.maxPromptTokens()), r);
      } else {
        s.read(growth, r);
      }
      s.turns++;
      int out = shape.agentOutput().draw(r);
      // a fresh salt first: no engine's prefix cache may answer the resent history (the sims have none anyway)
      String system = Prompts.salt(r) + SYSTEM;
      JsonArray messages = new JsonArray().add(message("system", system)).addAll(s.history);
      JsonObject body = new JsonObject().put("model", MODEL).put("stream", true)
          .put("stream_options", new JsonObject().put("include_usage", true)).put("temperature", 0).put("max_tokens", out)
          .put("tools", TOOLS).put("messages", messages);
      return new MixRequest(-1, MixClass.AGENT, at, tokens(s.chars + system.length() + TOOLS.encode().length()), out,
          s.id, s.turns, body.encode(), Map.of());
    }
  }

  /** One conversation's history and its size in characters (message contents only, as the engines count it). */
  private static final class Session {
    final int id;
    final JsonArray history = new JsonArray();
    long chars;
    int turns;

    Session(int id) {
      this.id = id;
    }

    void start(int tokens, SplittableRandom r) {
      String task = "Find why the nightly export drops rows for accounts created on the last day of a month, and fix it.";
      history.add(message("user", task));
      chars += task.length();
      read(tokens - tokens(chars + FIXED_CHARS), r);
    }

    /** The assistant calls read_file and the tool answers with a file of about {@code tokens} tokens. */
    void read(int tokens, SplittableRandom r) {
      String callId = "call_" + id + "_" + history.size();
      String path = "src/export/module_" + history.size() + ".py";
      history.add(new JsonObject().put("role", "assistant").putNull("content").put("tool_calls", new JsonArray().add(
          new JsonObject().put("id", callId).put("type", "function").put("function",
              new JsonObject().put("name", "read_file").put("arguments", new JsonObject().put("path", path).encode())))));
      String file = Prompts.prose((int) Math.max(0, tokens * Prompts.CHARS_PER_TOKEN), r);
      history.add(new JsonObject().put("role", "tool").put("tool_call_id", callId).put("content", file));
      chars += file.length();
    }
  }

  private static JsonObject message(String role, String content) {
    return new JsonObject().put("role", role).put("content", content);
  }
}
