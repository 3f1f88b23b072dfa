package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.Registry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A {@code list} command: rows from the registry, printed as a table or as JSON. */
abstract class ListCommand implements Callable<Integer> {

    @Mixin
    RegistryOption registry;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    String output;

    /** The rows, each a map from column name to value, in column order. */
    abstract List<Map<String, Object>> rows(Registry registry);

    @Override
    public Integer call() throws Exception {
        List<Map<String, Object>> rows = rows(registry.load());
        List<String> columns = rows.isEmpty() ? List.of() : new ArrayList<>(rows.get(0).keySet());
        Output.print(output, rows, columns);
        return 0;
    }

    static Map<String, Object> row(Object... namesAndValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            row.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return row;
    }
}
