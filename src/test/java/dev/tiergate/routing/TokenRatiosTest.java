package dev.tiergate.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The learned estimate: the configured ratio first, then what the engine counts, by kind of text, within bounds. */
class TokenRatiosTest {
  static TextMix prose(long chars) {
    return new TextMix(chars, 0, 0, 8, false);
  }

  static TextMix cjk(long chars) {
    return new TextMix(0, chars, 0, 8, false);
  }

  @Test
  void thePriorIsTheConfiguredRatio() {
    TokenRatios r = new TokenRatios(4.0);
    assertEquals(8 + 250, r.estimate(prose(1000)));
    assertEquals(8 + 250, r.estimate(new TextMix(400, 300, 300, 8, false)));
  }

  @Test
  void chineseTextIsLearnedWithinAFewRequests() {
    // A real llama-server counts about one token per Chinese character: four times the prior.
    TokenRatios r = new TokenRatios(4.0);
    double first = (double) r.estimate(cjk(2000)) / (2000 + 8);
    for (int i = 0; i < 3; i++) {
      r.learn(cjk(2000), 2000 + 8);
    }
    double after = (double) r.estimate(cjk(2000)) / (2000 + 8);
    assertTrue(first < 0.3, "the prior is ≈ 4× too low: " + first);
    assertEquals(1.0, after, 0.02, "learned: " + after);
    assertEquals(8 + 250, r.estimate(prose(1000)), "prose keeps its own ratio");
  }

  @Test
  void aMixLearnsEachKindFromVariedTraffic() {
    // Truth: prose 5 chars/token (long English words), code 2 chars/token.
    TokenRatios r = new TokenRatios(4.0);
    for (int i = 0; i < 60; i++) {
      long prose = 1000 + (i % 5) * 800;
      long code = 4000 - (i % 5) * 700;
      r.learn(new TextMix(prose, 0, code, 0, false), prose / 5 + code / 2);
    }
    double[] cpt = r.charsPerToken();
    assertEquals(5.0, cpt[0], 0.4, "prose");
    assertEquals(2.0, cpt[2], 0.2, "code");
  }

  @Test
  void oneOddRequestMovesTheRatioABoundedStep() {
    TokenRatios r = new TokenRatios(4.0);
    for (int i = 0; i < 20; i++) {
      r.learn(prose(4000), 8 + 1000);
    }
    long before = r.estimate(prose(4000));
    r.learn(prose(4000), 8 + 100_000); // a template the gateway never saw, a runaway count
    long after = r.estimate(prose(4000));
    assertTrue(after <= before * 1.25, "a count 100× off moves the estimate a bounded step: " + before + " -> " + after);
    for (int i = 0; i < 200; i++) {
      r.learn(prose(4000), 8 + 100_000);
    }
    assertEquals(0.5, r.charsPerToken()[0], 1e-9, "never below half a character per token");
  }

  @Test
  void shortPromptsMediaAndUncountedRequestsTeachNothing() {
    TokenRatios r = new TokenRatios(4.0);
    r.learn(prose(TokenRatios.MIN_LEARN_CHARS - 1), 1000);
    r.learn(new TextMix(4000, 0, 0, 8, true), 5000);
    r.learn(prose(4000), 8);
    assertEquals(0, r.samples());
    assertEquals(8 + 1000, r.estimate(prose(4000)));
  }

  @Test
  void poolingWeighsEachBackendByWhatItLearnedFrom() {
    TokenRatios a = new TokenRatios(4.0);
    TokenRatios b = new TokenRatios(4.0);
    TokenRatios fresh = new TokenRatios(4.0);
    for (int i = 0; i < 3; i++) {
      a.learn(cjk(1000), 8 + 1000); // a: one token per character
    }
    b.learn(cjk(1000), 8 + 500); // b: two characters per token
    TokenRatios pooled = TokenRatios.pooled(4.0, List.of(a, b, fresh));
    double perChar = (pooled.estimate(cjk(1000)) - 8) / 1000.0;
    assertEquals((3 * 1.0 + 0.5) / 4, perChar, 0.02, "three requests say 1.0, one says 0.5");
    assertEquals(4, pooled.samples());
    assertEquals(8 + 250, TokenRatios.pooled(4.0, List.of(fresh)).estimate(cjk(1000)), "nothing learned: the prior");
  }
}
