package dev.tiergate.routing;

/**
 * Tokens per character for each kind of text (prose, CJK, code), learned from the prompt tokens an
 * engine reports. It is a small recursive least-squares fit: each request contributes one equation
 * (its characters of each kind times the ratios = the tokens beyond the known ones), weighted the
 * same whatever its length and forgotten slowly, so a backend's recent traffic decides; the
 * configured ratio is a weak prior that holds for kinds of text not yet seen. Bounded: a count
 * more than 4× off the current estimate counts as 4× (a template the gateway does not see, a
 * truncated prompt), and a ratio stays between 0.5 and 12 characters per token. Thread-safe.
 */
public final class TokenRatios {
  /** Below this many characters the template's overhead, not the text, makes up the count. */
  public static final long MIN_LEARN_CHARS = 256;
  static final double MIN_TPC = 1 / 12.0;
  static final double MAX_TPC = 2.0;
  /** How much older requests still count: about the last 50 decide. */
  static final double FORGET = 0.98;
  /** The prior's weight, in requests: enough to hold an unseen kind, too little to resist the first real count. */
  static final double PRIOR = 0.05;
  static final double MAX_ERROR = 4.0;

  private final double prior;
  /** The normal equations' data part: sum of x·xᵀ and of x·y over the requests seen (x = shares, y = tokens per char). */
  private final double[] xx = new double[9];
  private final double[] xy = new double[3];
  private final double[] tpc = new double[3];
  private long samples;

  public TokenRatios(double charsPerToken) {
    this.prior = clamp(1 / charsPerToken);
    java.util.Arrays.fill(tpc, prior);
  }

  /** The prompt's tokens by these ratios. */
  public synchronized long estimate(TextMix m) {
    return m.fixedTokens() + (long) Math.ceil(m.prose() * tpc[0] + m.cjk() * tpc[1] + m.code() * tpc[2]);
  }

  /** The engine counted {@code actual} prompt tokens for a request of this mix. */
  public synchronized void learn(TextMix m, long actual) {
    long chars = m.chars();
    if (m.media() || chars < MIN_LEARN_CHARS || actual <= m.fixedTokens()) {
      return;
    }
    double[] x = {(double) m.prose() / chars, (double) m.cjk() / chars, (double) m.code() / chars};
    double expected = x[0] * tpc[0] + x[1] * tpc[1] + x[2] * tpc[2];
    double y = (double) (actual - m.fixedTokens()) / chars;
    y = Math.max(expected / MAX_ERROR, Math.min(expected * MAX_ERROR, y));
    for (int i = 0; i < 3; i++) {
      xy[i] = FORGET * xy[i] + x[i] * y;
      for (int j = 0; j < 3; j++) {
        xx[3 * i + j] = FORGET * xx[3 * i + j] + x[i] * x[j];
      }
    }
    samples++;
    solve(xx, xy);
  }

  /** Ratios from the data plus the prior (a ridge toward the configured ratio). */
  private void solve(double[] dataXx, double[] dataXy) {
    double[] a = dataXx.clone();
    double[] b = dataXy.clone();
    for (int i = 0; i < 3; i++) {
      a[4 * i] += PRIOR;
      b[i] += PRIOR * prior;
    }
    double[] s = solve3(a, b);
    for (int i = 0; i < 3; i++) {
      tpc[i] = clamp(s[i]);
    }
  }

  /** Cramer's rule; the prior keeps the matrix well away from singular. */
  private static double[] solve3(double[] a, double[] b) {
    double det = det(a);
    double[] out = new double[3];
    for (int c = 0; c < 3; c++) {
      double[] m = a.clone();
      for (int r = 0; r < 3; r++) {
        m[3 * r + c] = b[r];
      }
      out[c] = det(m) / det;
    }
    return out;
  }

  private static double det(double[] m) {
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  }

  public synchronized long samples() {
    return samples;
  }

  /** Characters per token for prose, CJK and code, for the status page. */
  public synchronized double[] charsPerToken() {
    return new double[] {1 / tpc[0], 1 / tpc[1], 1 / tpc[2]};
  }

  /** Several backends' data in one fit: every tier serves the same model, so one tokenizer. */
  public static TokenRatios pooled(double charsPerToken, Iterable<TokenRatios> all) {
    TokenRatios out = new TokenRatios(charsPerToken);
    double[] sumXx = new double[9];
    double[] sumXy = new double[3];
    for (TokenRatios r : all) {
      synchronized (r) {
        for (int i = 0; i < 9; i++) {
          sumXx[i] += r.xx[i];
        }
        for (int i = 0; i < 3; i++) {
          sumXy[i] += r.xy[i];
        }
        out.samples += r.samples;
      }
    }
    if (out.samples > 0) {
      out.solve(sumXx, sumXy);
    }
    return out;
  }

  private static double clamp(double v) {
    return Double.isFinite(v) ? Math.max(MIN_TPC, Math.min(MAX_TPC, v)) : MAX_TPC;
  }
}
