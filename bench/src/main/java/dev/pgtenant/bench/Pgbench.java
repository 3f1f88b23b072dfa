package dev.pgtenant.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs pgbench against a target and reads its summary and, when asked, its per-transaction log. */
final class Pgbench {

    /** What one pgbench run reported. {@code latenciesMicros} is sorted, empty without a log. */
    record Run(boolean completed, long transactions, long failed, double tps, double latencyAverageMillis,
               long[] latenciesMicros, String output) {

        /** The latency below which {@code fraction} of the transactions finished, in microseconds. */
        double percentileMicros(double fraction) {
            if (latenciesMicros.length == 0) {
                return Double.NaN;
            }
            int index = (int) Math.min(latenciesMicros.length - 1, Math.ceil(fraction * latenciesMicros.length) - 1);
            return latenciesMicros[Math.max(0, index)];
        }

        /** Whether every transaction succeeded and no client was aborted. */
        boolean clean() {
            return completed && failed == 0;
        }
    }

    private static final Pattern TRANSACTIONS = Pattern.compile("number of transactions actually processed: (\\d+)");
    private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
    /** With -C the line says "including reconnection times", else "without initial connection time". */
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\((?:without initial connection time|including reconnection times)\\)");
    private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

    private final String user;
    private final String password;
    private final Path workDirectory;

    Pgbench(String user, String password, Path workDirectory) {
        this.user = user;
        this.password = password;
        this.workDirectory = workDirectory;
    }

    /**
     * Runs {@code pgbench -n ARGS} for {@code duration} against the target; with {@code logLatencies},
     * reads every transaction's latency from pgbench's log.
     */
    Run run(Target target, Duration duration, boolean logLatencies, String... args) throws IOException, InterruptedException {
        Path logs = Files.createTempDirectory(workDirectory, "pgbench-log");
        List<String> command = new ArrayList<>(List.of("pgbench", "-h", "127.0.0.1", "-p", Integer.toString(target.port()),
                "-U", user, "-n", "-T", Long.toString(duration.toSeconds())));
        command.addAll(Arrays.asList(args));
        if (logLatencies) {
            command.add("-l");
            command.add("--log-prefix=" + logs.resolve("txn"));
        }
        command.add(target.database());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(logs.toFile());
        builder.environment().put("PGPASSWORD", password);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        boolean exited = process.waitFor(duration.toSeconds() + 300, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String text = new String(output, java.nio.charset.StandardCharsets.UTF_8);
        long[] latencies = logLatencies ? readLatencies(logs) : new long[0];
        deleteDirectory(logs);
        return parse(text, exited && process.exitValue() == 0, latencies);
    }

    static Run parse(String output, boolean completed, long[] latencies) {
        return new Run(completed, (long) number(TRANSACTIONS, output), (long) number(FAILED, output), number(TPS, output),
                number(LATENCY, output), latencies, output);
    }

    private static double number(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }

    /** pgbench -l writes "client transaction latency_us script epoch_s epoch_us" per transaction. */
    static long[] readLatencies(Path directory) throws IOException {
        List<long[]> chunks = new ArrayList<>();
        int total = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "txn*")) {
            for (Path file : files) {
                List<String> lines = Files.readAllLines(file);
                long[] chunk = new long[lines.size()];
                int count = 0;
                for (String line : lines) {
                    String[] fields = line.split(" ");
                    // A failed transaction has no latency but the word "failed" in its place.
                    if (fields.length >= 3 && !fields[2].isEmpty() && Character.isDigit(fields[2].charAt(0))) {
                        chunk[count++] = Long.parseLong(fields[2]);
                    }
                }
                chunks.add(Arrays.copyOf(chunk, count));
                total += count;
            }
        }
        long[] all = new long[total];
        int offset = 0;
        for (long[] chunk : chunks) {
            System.arraycopy(chunk, 0, all, offset, chunk.length);
            offset += chunk.length;
        }
        Arrays.sort(all);
        return all;
    }

    private static void deleteDirectory(Path directory) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                Files.delete(file);
            }
        }
        Files.delete(directory);
    }
}
