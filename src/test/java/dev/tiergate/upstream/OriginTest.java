package dev.tiergate.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pre-parsed origin addresses exactly what parsing the whole URL per request did. */
class OriginTest {
  @ParameterizedTest
  @ValueSource(strings = {
      "http://127.0.0.1:8000", "http://127.0.0.1:8000/", "http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/",
      "https://gpu-box.lan", "https://gpu-box.lan:8443/v1", "http://[::1]:9000/v1", "http://gpu-box:8080/llm/fast/v1",
      "http://gpu-box/llm/fast"})
  void sameTargetAsAnAbsoluteUri(String url) {
    for (String path : new String[] {"/v1/chat/completions", "/v1/completions"}) {
      RequestOptions expected = new RequestOptions().setAbsoluteURI(UpstreamCall.baseUrl(url) + path);
      RequestOptions actual = Origin.of(url).target(new RequestOptions(), path);
      assertEquals(expected.getHost(), actual.getHost(), url);
      assertEquals(expected.getPort(), actual.getPort(), url);
      assertEquals(expected.isSsl(), actual.isSsl(), url);
      assertEquals(expected.getURI(), actual.getURI(), url);
    }
  }
}
