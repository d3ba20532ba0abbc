package dev.tiergate.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads YAML into {@link GatewayConfig}, substituting {@code ${VAR}} / {@code ${VAR:-default}} from
 * the environment, rejecting unknown keys, and validating everything before the gateway starts.
 */
public final class ConfigLoader {
  /** The demo configuration, embedded in the jar so {@code tiergate demo} runs from any folder. */
  public static final String DEMO_RESOURCE = "config/demo.yaml";
  /** The small-rig demo: one tier live at a time, engines started by the gateway. */
  public static final String SMALL_DEMO_RESOURCE = "config/demo-small.yaml";

  private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private final Function<String, String> env;

  public ConfigLoader(Function<String, String> env) {
    this.env = env;
  }

  public static ConfigLoader withSystemEnv() {
    return new ConfigLoader(System::getenv);
  }

  public GatewayConfig loadFile(Path path) {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(path.toString(), List.of("cannot read file: " + e.getMessage()));
    }
    return parse(path.toString(), text);
  }

  public GatewayConfig loadResource(String resource) {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new ConfigException(resource, List.of("not found on the classpath"));
      }
      return parse("classpath:" + resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ConfigException(resource, List.of("cannot read: " + e.getMessage()));
    }
  }

  public GatewayConfig parse(String source, String yaml) {
    String text = substitute(source, yaml);
    GatewayConfig config;
    try {
      config = mapper().readValue(text, GatewayConfig.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(source, List.of(describe(e)));
    } catch (JsonProcessingException e) {
      String msg = e.getOriginalMessage();
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
      if (msg != null && msg.startsWith("Duplicate field")) {
        throw new ConfigException(source, List.of(where + "duplicate key " + msg.substring("Duplicate field ".length())));
      }
      throw new ConfigException(source, List.of(where + "not valid YAML: " + withoutQuotedLines(msg)));
    }
    if (config == null) {
      throw new ConfigException(source, List.of("the file is empty"));
    }
    List<String> problems = new ConfigValidator(config).problems();
    if (!problems.isEmpty()) {
      throw new ConfigException(source, problems);
    }
    return config;
  }

  /**
   * Reads and checks {@code auth.keysFile} against the config it belongs to (its tiers, and the
   * names and keys given inline). Problems name the file and the entry's path, never a key.
   */
  public List<KeyConfig> loadKeysFile(GatewayConfig config) {
    String file = config.auth().keysFile();
    if (file == null) {
      return List.of();
    }
    String text;
    try {
      text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file, List.of("auth.keysFile: cannot read the keys file: " + e));
    }
    KeysFile parsed;
    try {
      parsed = mapper().readValue(substitute(file, text), KeysFile.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(file, List.of(describe(e)));
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
      throw new ConfigException(file, List.of(where + "not valid YAML: " + withoutQuotedLines(e.getOriginalMessage())));
    }
    List<KeyConfig> keys = parsed == null ? List.of() : parsed.keys();
    java.util.Set<String> names = new java.util.HashSet<>();
    java.util.Map<String, String> digests = new java.util.HashMap<>();
    List<String> ignored = new java.util.ArrayList<>();
    java.util.Set<String> tiers = new java.util.HashSet<>();
    config.tiers().forEach(t -> tiers.add(t.name()));
    ConfigValidator.keys("auth.keys", config.auth().keys(), tiers, ignored, names, digests);
    List<String> problems = new java.util.ArrayList<>();
    ConfigValidator.keys("keys", keys, tiers, problems, names, digests);
    if (!problems.isEmpty()) {
      throw new ConfigException(file, problems);
    }
    return keys;
  }

  private String substitute(String source, String yaml) {
    Matcher m = VAR.matcher(yaml);
    StringBuilder out = new StringBuilder(yaml.length());
    while (m.find()) {
      if (inComment(yaml, m.start())) {
        continue; // "# set ${API_KEY} first" documents a variable; it must not require one
      }
      String value = env.apply(m.group(1));
      if (value == null) {
        value = m.group(2);
      }
      if (value == null) {
        throw new ConfigException(
            source, List.of("environment variable " + m.group(1) + " is not set and has no default (${" + m.group(1) + ":-value})"));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Whether {@code at} is inside a YAML comment: after a {@code #} that starts its line or follows a space or tab,
   * outside quotes, on the same line. Block scalars ({@code |}, {@code >}) are not tracked: a {@code #} line inside
   * one counts as a comment here, so a variable on such a line is left as written.
   */
  static boolean inComment(String yaml, int at) {
    int line = yaml.lastIndexOf('\n', at - 1) + 1;
    char quote = 0;
    for (int i = line; i < at; i++) {
      char c = yaml.charAt(i);
      if (quote == 0) {
        if (c == '#' && (i == line || yaml.charAt(i - 1) == ' ' || yaml.charAt(i - 1) == '\t')) {
          return true;
        }
        if (c == '"' || c == '\'') {
          quote = c;
        }
      } else if (c == quote) {
        quote = 0; // '' inside single quotes closes and reopens: the state comes out the same
      } else if (c == '\\' && quote == '"') {
        i++;
      }
    }
    return false;
  }

  private static ObjectMapper mapper() {
    ObjectMapper m = new ObjectMapper(new YAMLFactory());
    m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    m.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    m.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    return m;
  }

  private static String describe(JsonMappingException e) {
    String path = path(e.getPath());
    if (e instanceof UnrecognizedPropertyException u) {
      String where = path.isEmpty() ? u.getPropertyName() : path;
      return where + ": unknown key '" + u.getPropertyName() + "' (known keys: " + u.getKnownPropertyIds() + ")";
    }
    String msg = e.getOriginalMessage();
    Throwable root = e.getCause();
    if (root instanceof IllegalArgumentException && root.getMessage() != null) {
      msg = root.getMessage();
    }
    if (msg != null && msg.startsWith("Duplicate field")) {
      msg = "duplicate key: " + msg;
    }
    int cut = msg == null ? -1 : msg.indexOf("\n at [Source");
    if (cut > 0) {
      msg = msg.substring(0, cut);
    }
    return (path.isEmpty() ? "(top level)" : path) + ": " + withoutQuotedLines(msg);
  }

  /**
   * The YAML parser quotes the offending line of the file (indented, with a caret under it); after
   * substitution that line may hold a key from the environment, so the quotes are left out. The
   * problem and its line and column stay.
   */
  static String withoutQuotedLines(String msg) {
    if (msg == null || msg.indexOf('\n') < 0) {
      return msg;
    }
    StringBuilder sb = new StringBuilder();
    for (String line : msg.split("\n")) {
      if (!line.startsWith(" ") || line.startsWith(" in '")) {
        sb.append(sb.length() == 0 ? "" : "\n").append(line);
      }
    }
    return sb.toString();
  }

  static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  /** Exposed for {@code check-config}: the environment a file would see. */
  public static ConfigLoader withEnv(Map<String, String> vars) {
    return new ConfigLoader(vars::get);
  }
}
