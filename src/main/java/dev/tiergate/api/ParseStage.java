package dev.tiergate.api;

import dev.tiergate.errors.GatewayError;
import dev.tiergate.errors.GatewayError.Kind;
import io.vertx.core.Future;

/** The body's facts in one validating pass, and the client's tier hints from headers and model name. */
final class ParseStage implements Stage {
  private final Services services;
  /** The parser of the generation last seen on this event loop (its chars-per-token prior). */
  private Generation parserGen;
  private FactsParser parser;

  ParseStage(Services services) {
    this.services = services;
  }

  @Override
  public Future<Void> apply(Exchange x) {
    if (x.body == null || x.body.length() == 0) {
      throw GatewayError.invalid("The request body is empty; send a JSON object.", null);
    }
    Generation gen = services.generation();
    x.gen = gen;
    if (gen != parserGen) {
      parser = new FactsParser(gen.config().routing().charsPerToken());
      parserGen = gen;
    }
    RequestFacts parsed = parser.parse(x.endpoint, x.body);
    // The configured ratio is only the prior: what the engines reported for earlier prompts decides.
    long learned = gen.fleet().estimate(parsed.mix());
    x.facts = parsed.withPromptTokens((int) Math.min(Integer.MAX_VALUE, learned));
    x.hints = Hints.read(x.request.headers(), x.facts.model(), gen.config().routing());
    if (gen.config().routing().rejectUnknownModels() && x.hints.tier() == null && !knownModel(gen, x.facts.model())) {
      throw GatewayError.of(Kind.MODEL_NOT_FOUND, "The model '" + x.facts.model() + "' does not exist; see GET /v1/models.", "model");
    }
    return Future.succeededFuture();
  }

  private static boolean knownModel(Generation gen, String model) {
    return model == null || gen.fleet().all().stream()
        .anyMatch(b -> model.equals(b.effectiveModel()) || b.servedModels().contains(model));
  }
}
