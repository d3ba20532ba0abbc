package dev.tiergate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tiergate.config.ConfigLoader;
import dev.tiergate.config.GatewayConfig;
import dev.tiergate.config.KeyConfig;
import dev.tiergate.config.LimitsConfig;
import dev.tiergate.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deploy files agree with the gateway they deploy: ports, probe paths, drain and grace times,
 * the config they carry (it loads, keys file included), the Redis they point at, and the files
 * Grafana and Prometheus are given.
 */
class DeployFilesTest {
  static final Path K8S = Path.of("deploy/kubernetes");
  static final Path COMPOSE = Path.of("deploy/compose");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final ServerConfig DEFAULTS = ServerConfig.defaults();

  @TempDir
  Path dir;

  /** Every document of every manifest, by kind and name. */
  static Map<String, JsonNode> manifests() throws IOException {
    Map<String, JsonNode> out = new HashMap<>();
    try (var files = Files.list(K8S)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        for (JsonNode doc : YAML.readValues(YAML.getFactory().createParser(p.toFile()), JsonNode.class).readAll()) {
          if (doc != null && doc.has("kind")) {
            out.put(doc.get("kind").asText() + "/" + doc.at("/metadata/name").asText(), doc);
          }
        }
      }
    }
    return out;
  }

  static JsonNode port(JsonNode container, String name) {
    for (JsonNode p : container.get("ports")) {
      if (p.get("name").asText().equals(name)) {
        return p;
      }
    }
    throw new AssertionError("no port named " + name);
  }

  GatewayConfig load(String yaml, Path keysFile) {
    String text = yaml.replaceAll("keysFile: \\S+", "keysFile: \"" + keysFile + "\"");
    return ConfigLoader.withEnv(Map.of("REDIS_PASSWORD", "pw")).parse("deploy", text);
  }

  @Test
  void kubernetesManifestsMatchTheGatewaysConfig() throws Exception {
    Map<String, JsonNode> m = manifests();
    JsonNode deployment = m.get("Deployment/tiergate");
    JsonNode pod = deployment.at("/spec/template/spec");
    JsonNode c = pod.at("/containers/0");
    JsonNode secret = m.get("Secret/tiergate-keys");
    Path keys = dir.resolve("keys.yaml");
    Files.writeString(keys, secret.at("/stringData/keys.yaml").asText());
    String configText = m.get("ConfigMap/tiergate-config").at("/data/tiergate.yaml").asText();
    GatewayConfig config = load(configText, keys);
    String keysFile = YAML.readTree(configText).at("/auth/keysFile").asText();
    List<KeyConfig> fileKeys = ConfigLoader.withEnv(Map.of()).loadKeysFile(config);
    assertTrue(fileKeys.stream().anyMatch(k -> k.role() == KeyConfig.Role.ADMIN), "an admin key to reach status and reload");

    assertEquals(DEFAULTS.port(), config.server().port(), "the shipped config keeps the default port");
    assertEquals(config.server().port(), port(c, "http").get("containerPort").asInt());
    assertEquals(config.metrics().port(), port(c, "metrics").get("containerPort").asInt());
    assertEquals(String.valueOf(config.metrics().port()), deployment.at("/spec/template/metadata/annotations/prometheus.io~1port").asText());
    assertEquals(config.metrics().path(), deployment.at("/spec/template/metadata/annotations/prometheus.io~1path").asText());
    assertEquals("/ready", c.at("/readinessProbe/httpGet/path").asText());
    assertEquals("http", c.at("/readinessProbe/httpGet/port").asText());
    assertEquals("/health", c.at("/livenessProbe/httpGet/path").asText());
    assertEquals("http", c.at("/livenessProbe/httpGet/port").asText());
    assertEquals(List.of("serve", "--config", "/etc/tiergate/tiergate.yaml"), YAML.convertValue(c.get("args"), List.class));

    assertEquals(DEFAULTS.drainMs(), config.server().drainMs(), "the shipped config keeps the default drain");
    JsonNode preStop = c.at("/lifecycle/preStop/exec/command");
    assertEquals("sleep", preStop.get(0).asText());
    long preStopSeconds = preStop.get(1).asLong();
    long grace = pod.get("terminationGracePeriodSeconds").asLong();
    long needed = preStopSeconds + config.server().drainMs() / 1000 + 5;
    assertTrue(grace >= needed && grace <= needed + 30,
        "grace " + grace + " s must cover preStop " + preStopSeconds + " s + drain " + config.server().drainMs() + " ms + 5 s to exit");

    assertEquals(256L * 1024 * 1024, bytes(c.at("/resources/requests/memory").asText()), "requests: the measured peak RSS, rounded up");
    assertTrue(bytes(c.at("/resources/limits/memory").asText()) >= 2 * 196L * 1024 * 1024, "limit: twice the RSS at 1,000 streams");

    JsonNode service = m.get("Service/tiergate");
    Map<String, String> targets = new HashMap<>();
    service.at("/spec/ports").forEach(p -> targets.put(p.get("name").asText(), p.get("targetPort").asText()));
    assertEquals(Map.of("http", "http", "metrics", "metrics"), targets);
    assertEquals(deployment.at("/spec/selector/matchLabels"), service.at("/spec/selector"));
    assertEquals(deployment.at("/spec/selector/matchLabels"), m.get("PodDisruptionBudget/tiergate").at("/spec/selector/matchLabels"));
    assertEquals("tiergate", m.get("HorizontalPodAutoscaler/tiergate").at("/spec/scaleTargetRef/name").asText());
    assertTrue(m.get("HorizontalPodAutoscaler/tiergate").at("/spec/minReplicas").asInt()
        > m.get("PodDisruptionBudget/tiergate").at("/spec/minAvailable").asInt(), "a disruption never takes the last replica");

    LimitsConfig limits = config.auth().limits();
    assertEquals(LimitsConfig.Store.REDIS, limits.store());
    URI redis = URI.create(limits.redis());
    JsonNode redisService = m.get("Service/" + redis.getHost());
    assertNotNull(redisService, "a Service named like the config's Redis host " + redis.getHost());
    assertEquals(redis.getPort(), redisService.at("/spec/ports/0/port").asInt());
    assertEquals("redis-password", c.at("/env/0/valueFrom/secretKeyRef/key").asText());
    assertTrue(redis.getUserInfo().contains("pw"), "the password comes from the Secret through the environment");

    List<String> mounts = new ArrayList<>();
    c.get("volumeMounts").forEach(v -> mounts.add(v.get("mountPath").asText()));
    assertTrue(mounts.contains("/etc/tiergate") && mounts.contains(Path.of(keysFile).getParent().toString()),
        "the config and the keys file are where the config says: " + mounts);

    List<String> listed = YAML.convertValue(YAML.readTree(K8S.resolve("kustomization.yaml").toFile()).get("resources"), List.class);
    try (var files = Files.list(K8S)) {
      assertEquals(files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("kustomization.yaml")).sorted().toList(),
          listed.stream().sorted().toList(), "kustomization lists every manifest");
    }
  }

  @Test
  void composeRunsTheGatewayPrometheusAndGrafanaWithTheShippedDashboard() throws Exception {
    JsonNode compose = YAML.readTree(COMPOSE.resolve("compose.yaml").toFile());
    Path keys = dir.resolve("keys.yaml");
    Files.copy(COMPOSE.resolve("keys.example.yaml"), keys);
    GatewayConfig config = load(Files.readString(COMPOSE.resolve("tiergate.yaml")), keys);
    assertTrue(ConfigLoader.withEnv(Map.of()).loadKeysFile(config).size() >= 1);
    JsonNode gw = compose.at("/services/tiergate");
    assertEquals(config.server().port() + ":" + config.server().port(), gw.at("/ports/0").asText());
    assertEquals(List.of("serve", "--config", "/etc/tiergate/tiergate.yaml"), YAML.convertValue(gw.get("command"), List.class));
    long stopGrace = Long.parseLong(gw.get("stop_grace_period").asText().replace("s", ""));
    assertTrue(stopGrace * 1000 >= config.server().drainMs() + 5_000, "compose waits out the drain before SIGKILL");
    List<String> volumes = YAML.convertValue(gw.get("volumes"), List.class);
    assertTrue(volumes.contains("./tiergate.yaml:/etc/tiergate/tiergate.yaml:ro"));
    assertTrue(volumes.contains("./keys.yaml:" + "/etc/tiergate/keys.yaml:ro"));

    JsonNode prometheus = YAML.readTree(COMPOSE.resolve("prometheus.yml").toFile());
    assertEquals("tiergate:" + config.metrics().port(), prometheus.at("/scrape_configs/0/static_configs/0/targets/0").asText());
    assertEquals(config.metrics().path(), prometheus.at("/scrape_configs/0/metrics_path").asText());

    JsonNode datasources = YAML.readTree(Path.of("grafana/provisioning/datasources").toFile().listFiles()[0]);
    URI prom = URI.create(datasources.at("/datasources/0/url").asText());
    assertNotNull(compose.at("/services").get(prom.getHost()), "Grafana's datasource is the compose Prometheus");
    assertEquals(prom.getPort() + ":" + prom.getPort(), compose.at("/services/" + prom.getHost() + "/ports/0").asText());
    String dashboardsPath = YAML.readTree(Path.of("grafana/provisioning/dashboards").toFile().listFiles()[0])
        .at("/providers/0/options/path").asText();
    boolean dashboardsMounted = false;
    for (JsonNode v : compose.at("/services/grafana/volumes")) {
      String[] parts = v.asText().split(":");
      assertTrue(Files.exists(COMPOSE.resolve(parts[0]).normalize()), "grafana mounts a file the repo has: " + parts[0]);
      dashboardsMounted |= parts[1].equals(dashboardsPath) && Files.exists(COMPOSE.resolve(parts[0]).resolve("tiergate.json"));
    }
    assertTrue(dashboardsMounted, "the shipped dashboard is where the provisioning looks: " + dashboardsPath);
  }

  static long bytes(String quantity) {
    if (quantity.endsWith("Mi")) {
      return Long.parseLong(quantity.substring(0, quantity.length() - 2)) * 1024 * 1024;
    }
    if (quantity.endsWith("Gi")) {
      return Long.parseLong(quantity.substring(0, quantity.length() - 2)) * 1024 * 1024 * 1024;
    }
    throw new AssertionError("unexpected quantity " + quantity);
  }
}
