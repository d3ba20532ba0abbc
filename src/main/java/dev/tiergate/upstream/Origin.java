package dev.tiergate.upstream;

import io.vertx.core.http.RequestOptions;

/**
 * A backend's base URL taken apart once (by Vert.x's own parser, so the result is the same), since
 * parsing an absolute URL on every request showed up in the non-streamed profile.
 */
record Origin(String host, int port, boolean ssl, String pathPrefix) {
  static Origin of(String url) {
    RequestOptions parsed = new RequestOptions().setAbsoluteURI(UpstreamCall.baseUrl(url) + "/");
    String uri = parsed.getURI();
    String prefix = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    return new Origin(parsed.getHost(), parsed.getPort(), Boolean.TRUE.equals(parsed.isSsl()), prefix);
  }

  RequestOptions target(RequestOptions options, String path) {
    return options.setHost(host).setPort(port).setSsl(ssl).setURI(pathPrefix + path);
  }
}
