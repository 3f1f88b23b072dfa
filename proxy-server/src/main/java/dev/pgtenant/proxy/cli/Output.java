package dev.pgtenant.proxy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pgtenant.config.ConfigException;
import java.util.List;
import java.util.Map;

/** Prints rows as an aligned table for people or as JSON for scripts ({@code --output json}). */
final class Output {

    private Output() {
    }

    /** Fails unless {@code format} is text or json; commands check before doing their work. */
    static void checkFormat(String format) {
        if (!format.equals("text") && !format.equals("json")) {
            throw new ConfigException("--output must be text or json, not " + format);
        }
    }

    static void print(String format, List<Map<String, Object>> rows, List<String> columns) throws Exception {
        checkFormat(format);
        if (format.equals("json")) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
            return;
        }
        int[] widths = new int[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            widths[i] = columns.get(i).length();
            for (Map<String, Object> row : rows) {
                widths[i] = Math.max(widths[i], String.valueOf(row.get(columns.get(i))).length());
            }
        }
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            line.append(String.format("%-" + (widths[i] + 2) + "s", columns.get(i).toUpperCase(java.util.Locale.ROOT)));
        }
        System.out.println(line.toString().stripTrailing());
        for (Map<String, Object> row : rows) {
            line.setLength(0);
            for (int i = 0; i < columns.size(); i++) {
                line.append(String.format("%-" + (widths[i] + 2) + "s", row.get(columns.get(i))));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }
}
