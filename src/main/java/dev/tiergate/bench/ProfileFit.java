package dev.tiergate.bench;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code tiers[].profile} a tier's measurements imply, for the predictor to start from before
 * the gateway has learned rates of its own. Prefill follows rate(n) = P ÷ (1 + n ÷ H), so 1/rate is
 * linear in n: a least-squares line through the measured depths gives P (its intercept) and H.
 */
final class ProfileFit {
  private static final Pattern PREFILL = Pattern.compile("prefill@\\d+K t/s");

  private ProfileFit() {}

  /** The profile as config keys, or null when the tier produced neither a prefill nor a decode rate. */
  static JsonObject profile(TierBench.TierResult r) {
    List<double[]> points = new ArrayList<>();
    for (Map.Entry<String, Stats.Summary> e : r.axes().entrySet()) {
      Integer tokens = r.depths().get(e.getKey());
      double rate = e.getValue().median();
      if (PREFILL.matcher(e.getKey()).matches() && tokens != null && tokens > 0 && rate > 0) {
        points.add(new double[] {tokens, 1 / rate});
      }
    }
    JsonObject p = new JsonObject();
    fitPrefill(points, p);
    double decode = median(r, TierBench.PROSE);
    if (decode > 0) {
      p.put("decodeTps", Math.round(decode * 10) / 10.0);
    }
    double ttft = median(r, TierBench.TTFT);
    if (ttft > 0) {
      p.put("ttftBaseMs", Math.round(ttft));
    }
    return p.isEmpty() ? null : p;
  }

  private static void fitPrefill(List<double[]> points, JsonObject p) {
    if (points.isEmpty()) {
      return;
    }
    if (points.size() == 1) {
      p.put("prefillTps", Math.round(1 / points.get(0)[1]));
      return;
    }
    double mx = 0;
    double my = 0;
    for (double[] q : points) {
      mx += q[0];
      my += q[1];
    }
    mx /= points.size();
    my /= points.size();
    double sxy = 0;
    double sxx = 0;
    for (double[] q : points) {
      sxy += (q[0] - mx) * (q[1] - my);
      sxx += (q[0] - mx) * (q[0] - mx);
    }
    double slope = sxx > 0 ? sxy / sxx : 0;
    double intercept = my - slope * mx;
    if (slope <= 0 || intercept <= 0) {
      // The rate did not fall with length (or noise said otherwise): one flat rate, the mean.
      p.put("prefillTps", Math.round(1 / my));
      return;
    }
    p.put("prefillTps", Math.round(1 / intercept));
    p.put("prefillHalfRateTokens", Math.round(intercept / slope));
  }

  private static double median(TierBench.TierResult r, String axis) {
    Stats.Summary s = r.axes().get(axis);
    return s == null ? Double.NaN : s.median();
  }

  /** The profile as one line of YAML to paste under the tier. */
  static String yaml(JsonObject p) {
    StringBuilder sb = new StringBuilder("profile: { ");
    boolean first = true;
    for (String k : p.fieldNames()) {
      sb.append(first ? "" : ", ").append(k).append(": ").append(p.getValue(k));
      first = false;
    }
    return sb.append(" }").toString();
  }
}
