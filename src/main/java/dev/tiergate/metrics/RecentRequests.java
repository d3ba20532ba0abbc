package dev.tiergate.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The last N finished requests, for the console's charts: a ring of primitive columns (about 25
 * bytes a request, allocated once), so the page needs no Prometheus. A request's cost is one
 * uncontended lock and six array stores; the reader copies the window under the same lock and
 * computes percentiles outside it, off the event loop.
 *
 * <p>When more than N requests arrive within the window, the oldest fall out: the snapshot then says
 * from when it covers ({@code coveredMs}), and rates are computed over that span only.
 */
public final class RecentRequests {
  /** Tier names by index, as first seen (configured at start or added by a reload); at most {@link #MAX_TIERS}. */
  private final List<String> tiers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<String, Integer> index = new java.util.concurrent.ConcurrentHashMap<>();
  static final int MAX_TIERS = 1024;
  private final LongSupplier clock;
  private final long startedMillis;
  private final int mask;
  private final long[] at;
  private final short[] tier;
  private final float[] ttftMs;
  private final float[] decodeTps;
  private final float[] prefillTps;
  private final boolean[] ok;
  private long next;

  /**
   * @param tiers the configured tiers; a request of no tier (refused before routing) is not kept, one of a tier a reload
   *     added is
   * @param capacity requests kept, rounded up to a power of two
   * @param clock wall-clock milliseconds
   */
  public RecentRequests(List<String> tiers, int capacity, LongSupplier clock) {
    tiers.forEach(this::indexOf);
    this.clock = clock;
    this.startedMillis = clock.getAsLong();
    int size = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
    this.mask = size - 1;
    at = new long[size];
    tier = new short[size];
    ttftMs = new float[size];
    decodeTps = new float[size];
    prefillTps = new float[size];
    ok = new boolean[size];
  }

  public int capacity() {
    return mask + 1;
  }

  /** The tier's column value; names come from the configuration only (metrics label the rest {@code none}). */
  private Integer indexOf(String tier) {
    Integer i = index.get(tier);
    if (i != null || tier == null || tier.equals(GatewayMetrics.NONE)) {
      return i;
    }
    synchronized (tiers) {
      i = index.get(tier);
      if (i == null && tiers.size() < MAX_TIERS) {
        i = tiers.size();
        tiers.add(tier);
        index.put(tier, i);
      }
      return i;
    }
  }

  /** One finished request (an observer of {@link GatewayMetrics#onSample}). */
  public void add(Sample s) {
    Integer t = indexOf(s.tier());
    if (t == null) {
      return;
    }
    boolean gen = s.generative();
    float ttft = gen && s.ok() && s.ttftNanos() >= 0 ? s.ttftNanos() / 1e6f : Float.NaN;
    add(clock.getAsLong(), t, s.ok(), ttft, gen ? (float) s.decodeTps() : Float.NaN, gen ? (float) s.prefillTps() : Float.NaN);
  }

  synchronized void add(long atMillis, int tierIndex, boolean success, float ttft, float decode, float prefill) {
    int i = (int) (next++ & mask);
    at[i] = atMillis;
    tier[i] = (short) tierIndex;
    ok[i] = success;
    ttftMs[i] = ttft;
    decodeTps[i] = decode;
    prefillTps[i] = prefill;
  }

  /** The columns of the requests within the window, oldest first. */
  private record Copy(long[] at, short[] tier, boolean[] ok, float[] ttft, float[] decode, float[] prefill, boolean truncated) {}

  /** Appends are timed before they take the lock, so neighbours may be out of order by this much. */
  private static final long DISORDER_MS = 1_000;

  private synchronized Copy copy(long from) {
    long kept = Math.min(next, capacity());
    int n = 0;
    int inside = 0;
    while (n < kept && at[(int) ((next - 1 - n) & mask)] >= from - DISORDER_MS) {
      if (at[(int) ((next - 1 - n) & mask)] >= from) {
        inside++;
      }
      n++;
    }
    Copy c = new Copy(new long[inside], new short[inside], new boolean[inside], new float[inside], new float[inside],
        new float[inside], n == capacity() && next > capacity());
    int k = 0;
    for (int j = 0; j < n; j++) {
      int i = (int) ((next - n + j) & mask);
      if (at[i] < from) {
        continue;
      }
      c.at[k] = at[i];
      c.tier[k] = tier[i];
      c.ok[k] = ok[i];
      c.ttft[k] = ttftMs[i];
      c.decode[k] = decodeTps[i];
      c.prefill[k] = prefillTps[i];
      k++;
    }
    return c;
  }

  /**
   * Per tier over the last {@code spanMs}: requests, errors, request rate, TTFT p50/p95 (successful
   * generating requests), median decode and prefill tokens/s; and the same per bucket of
   * {@code bucketMs}, oldest first, with null where a bucket had no value. CPU work proportional to
   * the window: call it off the event loop.
   */
  public JsonObject window(long spanMs, long bucketMs) {
    return window(spanMs, bucketMs, List.copyOf(tiers));
  }

  /** The same for the named tiers (those in force after a reload), in that order. */
  public JsonObject window(long spanMs, long bucketMs, List<String> shown) {
    long now = clock.getAsLong();
    long from = now - spanMs;
    Copy c = copy(from);
    // With the ring overrun, only the span since the oldest kept request is known.
    long coveredFrom = c.truncated ? c.at[0] : Math.max(from, startedMillis);
    int buckets = (int) ((spanMs + bucketMs - 1) / bucketMs);
    long firstBucket = now - (long) buckets * bucketMs;
    JsonArray out = new JsonArray();
    for (String name : shown) {
      Integer t = index.get(name);
      out.add(tier(c, t == null ? -1 : t, now, coveredFrom, firstBucket, buckets, bucketMs).put("name", name));
    }
    return new JsonObject().put("now", now).put("spanMs", spanMs).put("bucketMs", bucketMs).put("firstBucket", firstBucket)
        .put("coveredMs", now - coveredFrom).put("truncated", c.truncated).put("capacity", capacity()).put("tiers", out);
  }

  private static JsonObject tier(Copy c, int t, long now, long coveredFrom, long firstBucket, int buckets, long bucketMs) {
    Stats all = new Stats(c.at.length);
    Stats[] per = new Stats[buckets];
    for (int k = 0; k < c.at.length; k++) {
      if (c.tier[k] != t) {
        continue;
      }
      all.add(c, k);
      int b = (int) Math.max(0, Math.min(buckets - 1, (c.at[k] - firstBucket) / bucketMs));
      if (per[b] == null) {
        per[b] = new Stats(16);
      }
      per[b].add(c, k);
    }
    JsonObject series = new JsonObject();
    String[] names = {"requests", "ttftP50", "ttftP95", "decodeTps", "prefillTps", "ratePerS"};
    for (String n : names) {
      series.put(n, new JsonArray());
    }
    for (int b = 0; b < buckets; b++) {
      Stats s = per[b] == null ? new Stats(0) : per[b];
      long start = firstBucket + (long) b * bucketMs;
      // The first bucket of a young gateway is partly before it started: its rate is over the part it saw.
      long seen = Math.min(bucketMs, Math.max(1, firstBucket + (long) (b + 1) * bucketMs - Math.max(start, coveredFrom)));
      series.getJsonArray("requests").add(s.requests);
      series.getJsonArray("ttftP50").add(s.percentile(s.ttft, s.ttftN, 0.50));
      series.getJsonArray("ttftP95").add(s.percentile(s.ttft, s.ttftN, 0.95));
      series.getJsonArray("decodeTps").add(s.percentile(s.decode, s.decodeN, 0.50));
      series.getJsonArray("prefillTps").add(s.percentile(s.prefill, s.prefillN, 0.50));
      series.getJsonArray("ratePerS").add(start + bucketMs <= coveredFrom ? null : round(s.requests * 1000.0 / seen));
    }
    double seconds = Math.max(1, now - coveredFrom) / 1000.0;
    return new JsonObject().put("requests", all.requests).put("errors", all.errors).put("ratePerS", round(all.requests / seconds))
        .put("ttftP50Ms", all.percentile(all.ttft, all.ttftN, 0.50)).put("ttftP95Ms", all.percentile(all.ttft, all.ttftN, 0.95))
        .put("decodeTps", all.percentile(all.decode, all.decodeN, 0.50))
        .put("prefillTps", all.percentile(all.prefill, all.prefillN, 0.50)).put("series", series);
  }

  private static Double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** The values of one tier in one span; arrays grow as needed. */
  private static final class Stats {
    int requests;
    int errors;
    float[] ttft;
    int ttftN;
    float[] decode;
    int decodeN;
    float[] prefill;
    int prefillN;

    Stats(int hint) {
      ttft = new float[Math.max(4, hint / 4)];
      decode = new float[ttft.length];
      prefill = new float[ttft.length];
    }

    void add(Copy c, int k) {
      requests++;
      if (!c.ok[k]) {
        errors++;
      }
      if (Float.isFinite(c.ttft[k])) {
        ttft = grow(ttft, ttftN);
        ttft[ttftN++] = c.ttft[k];
      }
      if (Float.isFinite(c.decode[k]) && c.decode[k] > 0) {
        decode = grow(decode, decodeN);
        decode[decodeN++] = c.decode[k];
      }
      if (Float.isFinite(c.prefill[k]) && c.prefill[k] > 0) {
        prefill = grow(prefill, prefillN);
        prefill[prefillN++] = c.prefill[k];
      }
    }

    private static float[] grow(float[] a, int n) {
      return n < a.length ? a : Arrays.copyOf(a, a.length * 2);
    }

    /** Nearest rank: the smallest value with at least {@code p} of the values at or below it; null when none. */
    Double percentile(float[] a, int n, double p) {
      if (n == 0) {
        return null;
      }
      Arrays.sort(a, 0, n);
      int rank = (int) Math.ceil(p * n);
      return round(a[Math.max(0, Math.min(n, rank) - 1)]);
    }
  }
}
