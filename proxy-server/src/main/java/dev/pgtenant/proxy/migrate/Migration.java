package dev.pgtenant.proxy.migrate;

import dev.pgtenant.config.registry.RegistryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** One versioned SQL file, {@code V<version>__<description>.sql}, and the checksum of its text. */
public record Migration(int version, String description, String sql, String checksum) {

    private static final Pattern NAME = Pattern.compile("V(\\d{1,9})__([A-Za-z0-9_\\-]+)\\.sql");

    /** The migrations in {@code directory}, by version; other files are ignored, duplicate versions refused. */
    public static List<Migration> load(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new RegistryException("migration directory " + directory + " does not exist");
        }
        List<Migration> migrations = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.sorted().toList()) {
                Matcher name = NAME.matcher(file.getFileName().toString());
                if (!name.matches()) {
                    continue;
                }
                String sql = Files.readString(file, StandardCharsets.UTF_8);
                migrations.add(new Migration(Integer.parseInt(name.group(1)), name.group(2).replace('_', ' '), sql,
                        sha256(sql)));
            }
        } catch (IOException e) {
            throw new RegistryException("cannot read migrations in " + directory + ": " + e.getMessage(), e);
        }
        migrations.sort(Comparator.comparingInt(Migration::version));
        for (int i = 1; i < migrations.size(); i++) {
            if (migrations.get(i).version() == migrations.get(i - 1).version()) {
                throw new RegistryException("two migration files have version " + migrations.get(i).version());
            }
        }
        return migrations;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
