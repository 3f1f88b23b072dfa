package dev.pgtenant.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and resident memory of a process, read from /proc (Linux). */
final class ProcessStats {

    /** Clock ticks per second of /proc/PID/stat times: USER_HZ, which Linux fixes at 100 for user space. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessStats() {
    }

    /** User plus system CPU seconds the process has used so far, all threads included. */
    static double cpuSeconds(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name may hold spaces and parentheses; the fields after its closing one are fixed.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long utime = Long.parseLong(fields[11]);
        long stime = Long.parseLong(fields[12]);
        return (utime + stime) / TICKS_PER_SECOND;
    }

    /** Resident set size in bytes (VmRSS). */
    static long residentBytes(long pid) {
        for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + pid);
    }

    /**
     * Bytes of live objects in a JVM's heap, after the full collection that {@code jcmd
     * GC.class_histogram} runs first. Heap pages a JVM has touched once stay resident, so its RSS
     * does not grow when new objects fill them: what a new client costs it shows here.
     */
    static long liveHeapBytes(long pid) throws IOException, InterruptedException {
        return histogramTotalBytes(jcmd(pid, "GC.class_histogram"));
    }

    /** Bytes of heap a JVM has committed: resident once used, whether live objects or garbage fill it. */
    static long committedHeapBytes(long pid) throws IOException, InterruptedException {
        return heapInfoTotalBytes(jcmd(pid, "GC.heap_info"));
    }

    /** The committed total of {@code GC.heap_info}: {@code garbage-first heap   total 81920K, used 22747K ...}. */
    static long heapInfoTotalBytes(String heapInfo) {
        java.util.regex.Matcher total = java.util.regex.Pattern.compile("heap\\s+total (\\d+)K").matcher(heapInfo);
        if (!total.find()) {
            throw new IllegalStateException("no heap total in GC.heap_info");
        }
        return Long.parseLong(total.group(1)) * 1024;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Path output = Files.createTempFile("pgtenant-jcmd", ".txt");
        try {
            Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException("jcmd " + pid + " " + command + " did not finish within 2 minutes");
            }
            if (process.exitValue() != 0) {
                throw new IOException("jcmd " + pid + " " + command + " failed: " + Files.readString(output).strip());
            }
            return Files.readString(output);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** The byte count of the histogram's closing line, {@code Total <instances> <bytes>}. */
    static long histogramTotalBytes(String histogram) {
        for (String line : histogram.split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length == 3 && fields[0].equals("Total")) {
                return Long.parseLong(fields[2]);
            }
        }
        throw new IllegalStateException("no Total line in the class histogram");
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
