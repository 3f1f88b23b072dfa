package dev.pgtenant.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads {@link ProxyConfig} from a YAML or JSON file, then applies environment variables: every key
 * has one, {@code PGTENANT_} followed by its path in upper snake case ({@code pool.maxSize} is
 * {@code PGTENANT_POOL_MAX_SIZE}; a list is comma-separated). Durations are written {@code 500ms},
 * {@code 30s}, {@code 10m} or {@code 1h}.
 */
public final class ConfigLoader {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    private final ObjectMapper mapper;
    private final Function<String, String> environment;

    public ConfigLoader(Function<String, String> environment) {
        this.environment = environment;
        SimpleModule durations = new SimpleModule("durations");
        durations.addDeserializer(Duration.class, new JsonDeserializer<>() {
            @Override
            public Duration deserialize(JsonParser parser, DeserializationContext context) throws IOException {
                return parseDuration(parser.getValueAsString());
            }
        });
        durations.addSerializer(Duration.class, new JsonSerializer<>() {
            @Override
            public void serialize(Duration value, JsonGenerator generator, SerializerProvider provider) throws IOException {
                generator.writeString(formatDuration(value));
            }
        });
        this.mapper = new ObjectMapper(new YAMLFactory()).registerModule(durations)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    public ConfigLoader() {
        this(System::getenv);
    }

    /** Reads {@code file} (or only the defaults when {@code null}) and applies the environment. */
    public ProxyConfig load(Path file) {
        ObjectNode tree;
        try {
            tree = file == null ? JsonNodeFactory.instance.objectNode() : readTree(file);
        } catch (JsonProcessingException e) {
            throw new ConfigException("configuration file " + file + " is not valid: " + JsonProblems.describe(e),
                    JsonProblems.cause(e));
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        applyEnvironment(tree, mapper.valueToTree(ProxyConfig.DEFAULTS), "PGTENANT");
        try {
            return mapper.treeToValue(tree, ProxyConfig.class);
        } catch (JsonProcessingException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigException configProblem) {
                // A value's own check (a duration, say) does not know which key it was read for.
                String key = e instanceof JsonMappingException mapping ? JsonProblems.key(mapping) : null;
                throw key == null || configProblem.getMessage().startsWith(key) ? configProblem
                        : new ConfigException(key + ": " + configProblem.getMessage(), configProblem);
            }
            throw new ConfigException("invalid configuration: " + JsonProblems.describe(e), JsonProblems.cause(e));
        }
    }

    private ObjectNode readTree(Path file) throws IOException {
        JsonNode node = mapper.readTree(Files.readAllBytes(file));
        if (node == null || node.isMissingNode() || node.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!(node instanceof ObjectNode object)) {
            throw new ConfigException("configuration file " + file + " must hold a mapping of keys to values");
        }
        return object;
    }

    private void applyEnvironment(ObjectNode target, JsonNode defaults, String prefix) {
        for (Map.Entry<String, JsonNode> field : defaults.properties()) {
            String name = prefix + "_" + upperSnake(field.getKey());
            if (field.getValue().isObject()) {
                JsonNode existing = target.get(field.getKey());
                ObjectNode child = existing instanceof ObjectNode object ? object : target.putObject(field.getKey());
                applyEnvironment(child, field.getValue(), name);
                if (child.isEmpty() && existing == null) {
                    target.remove(field.getKey());
                }
                continue;
            }
            String value = environment.apply(name);
            if (value == null) {
                continue;
            }
            if (field.getValue().isArray()) {
                ArrayNode array = target.putArray(field.getKey());
                for (String item : value.split(",")) {
                    if (!item.isBlank()) {
                        array.add(item.trim());
                    }
                }
            } else {
                target.put(field.getKey(), value);
            }
        }
    }

    static String upperSnake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
    }

    public static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new ConfigException("duration \"" + text + "\" must be a number with ms, s, m, h or d");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    static String formatDuration(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 != 0 ? millis + "ms" : (millis / 1000) + "s";
    }

    /** The environment variable names, for documentation and error messages. */
    public List<String> environmentVariables() {
        List<String> names = new ArrayList<>();
        collect(mapper.valueToTree(ProxyConfig.DEFAULTS), "PGTENANT", names);
        return names;
    }

    private static void collect(JsonNode node, String prefix, List<String> names) {
        node.properties().forEach(field -> {
            String name = prefix + "_" + upperSnake(field.getKey());
            if (field.getValue().isObject()) {
                collect(field.getValue(), name, names);
            } else {
                names.add(name);
            }
        });
    }
}
