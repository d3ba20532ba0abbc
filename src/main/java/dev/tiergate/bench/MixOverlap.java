package dev.tiergate.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Interactive decode while long prefills run: for each interactive stream, the spans of its decode (first to last
 * output event) during which an agent or batch request was prefilling on the same tier, and the stream's token rate
 * inside those spans. A long request prefills from when the gateway started it (sent + the time it was held) to its
 * first output; time it spent held in the gateway's queue (x-tiergate-queued-ms) does not slow anyone's decode.
 */
public final class MixOverlap {
  /** Spans shorter than this say more about where one token landed than about a rate; such streams are left out. */
  static final long MIN_OVERLAP_US = 2_000_000;

  /** One interactive stream's rate while prefills overlapped it. */
  public record Overlapped(int index, String tier, double overlapMs, double tokensPerS) {}

  private MixOverlap() {}

  public static List<Overlapped> rates(List<MixOutcome> outcomes) {
    return rates(outcomes, MIN_OVERLAP_US, true);
  }

  /** As {@link #rates(List)}, counting an agent or batch prompt prefilling on any tier. */
  public static List<Overlapped> ratesFleetWide(List<MixOutcome> outcomes) {
    return rates(outcomes, MIN_OVERLAP_US, false);
  }

  static List<Overlapped> rates(List<MixOutcome> outcomes, long minOverlapUs) {
    return rates(outcomes, minOverlapUs, true);
  }

  static List<Overlapped> rates(List<MixOutcome> outcomes, long minOverlapUs, boolean sameTier) {
    List<Overlapped> out = new ArrayList<>();
    for (MixOutcome o : outcomes) {
      if (o.kind() != MixClass.INTERACTIVE || o.tier() == null || o.firstUs() < 0 || o.outputUs().length < 2) {
        continue;
      }
      List<long[]> spans = merged(prefills(outcomes, sameTier ? o.tier() : null, o.firstUs(), o.lastUs()));
      long overlap = 0;
      int events = 0;
      for (long[] s : spans) {
        overlap += s[1] - s[0];
        events += eventsIn(o.outputUs(), s[0], s[1]);
      }
      if (overlap >= minOverlapUs) {
        out.add(new Overlapped(o.request().index(), o.tier(), overlap / 1000.0, events * o.tokensPerEvent() / (overlap / 1e6)));
      }
    }
    return out;
  }

  /** The prefill spans of long requests on {@code tier} (null: on any), clipped to [from, to]. */
  static List<long[]> prefills(List<MixOutcome> outcomes, String tier, long from, long to) {
    List<long[]> spans = new ArrayList<>();
    for (MixOutcome l : outcomes) {
      if (l.kind() == MixClass.INTERACTIVE || l.tier() == null || tier != null && !tier.equals(l.tier()) || l.firstUs() < 0
          || l.sentUs() < 0) {
        continue;
      }
      long start = l.sentUs() + (l.waitedMs() > 0 ? Math.round(l.waitedMs() * 1000) : 0);
      long a = Math.max(start, from);
      long b = Math.min(l.firstUs(), to);
      if (b > a) {
        spans.add(new long[] {a, b});
      }
    }
    return spans;
  }

  /** Overlapping spans joined, sorted by start: two prefills at once must not count the same second twice. */
  static List<long[]> merged(List<long[]> spans) {
    spans.sort(Comparator.comparingLong(s -> s[0]));
    List<long[]> out = new ArrayList<>();
    for (long[] s : spans) {
      long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && s[0] <= last[1]) {
        last[1] = Math.max(last[1], s[1]);
      } else {
        out.add(new long[] {s[0], s[1]});
      }
    }
    return out;
  }

  /** Output events after {@code a} and at or before {@code b}: the tokens that span produced. */
  static int eventsIn(long[] times, long a, long b) {
    int n = 0;
    for (long t : times) {
      if (t > a && t <= b) {
        n++;
      }
    }
    return n;
  }
}
