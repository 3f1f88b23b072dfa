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

    /** The whole machine's CPU time so far, all cores: {total, idle} in clock ticks, from /proc/stat. */
    static long[] machineTicks() {
        return machineTicks(read(Path.of("/proc/stat")));
    }

    /**
     * {total, idle} of the first ("cpu") line of a /proc/stat text: idle counts the time no process
     * wanted a core (idle and iowait); steal, the hypervisor's, counts in the total only.
     */
    static long[] machineTicks(String procStat) {
        String first = procStat.lines().findFirst().orElse("");
        String[] fields = first.trim().split("\\s+");
        if (fields.length < 6 || !fields[0].equals("cpu")) {
            throw new IllegalStateException("not a /proc/stat cpu line: " + first);
        }
        long total = 0;
        // user nice system idle iowait irq softirq steal; guest time is already in user and nice.
        for (int i = 1; i < Math.min(fields.length, 9); i++) {
            total += Long.parseLong(fields[i]);
        }
        return new long[] {total, Long.parseLong(fields[4]) + Long.parseLong(fields[5])};
    }

    /** The share of the machine's CPU time, in percent, that was idle between two {@link #machineTicks}. */
    static double idlePercent(long[] before, long[] after) {
        long total = after[0] - before[0];
        return total <= 0 ? 0 : 100.0 * (after[1] - before[1]) / total;
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

    /**
     * Resident bytes of a JVM outside its Java heap (code, metaspace, collector structures, thread
     * stacks, direct buffers): VmRSS less the resident pages of the heap's address range. The
     * committed heap says nothing here: when the collector gives heap back it may be pages that were
     * never resident, which would make a growth of RSS minus committed heap count what never was.
     * The C library's heap is trimmed first: memory freed by the JVM's own work, such as the JIT
     * compiler's arenas, stays resident there until trimmed, and would count as what the clients hold.
     */
    static long residentOutsideHeapBytes(long pid) throws IOException, InterruptedException {
        try {
            jcmd(pid, "System.trim_native_heap");
        } catch (IOException e) {
            // Java 17 before 17.0.9 has no such command: the figure then counts what the C library retains.
        }
        long[] heap = heapRange(jcmd(pid, "GC.heap_info"));
        return residentOutside(Files.readString(Path.of("/proc", Long.toString(pid), "smaps")), heap[0], heap[1]);
    }

    /** The lowest and highest address of the heap ranges {@code [0x..., 0x...)} in {@code GC.heap_info}. */
    static long[] heapRange(String heapInfo) {
        java.util.regex.Matcher range = java.util.regex.Pattern.compile("\\[(0x[0-9a-f]+),(?: 0x[0-9a-f]+,)? (0x[0-9a-f]+)\\)")
                .matcher(heapInfo);
        long low = Long.MAX_VALUE;
        long high = 0;
        while (range.find()) {
            low = Math.min(low, Long.parseUnsignedLong(range.group(1).substring(2), 16));
            high = Math.max(high, Long.parseUnsignedLong(range.group(2).substring(2), 16));
        }
        if (high == 0) {
            throw new IllegalStateException("no heap address range in GC.heap_info");
        }
        return new long[] {low, high};
    }

    /** The Rss of every mapping in {@code smaps} that does not lie within {@code [low, high)}. */
    static long residentOutside(String smaps, long low, long high) {
        long total = 0;
        boolean inHeap = false;
        for (String line : smaps.split("\n")) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inHeap = start >= low && end <= high;
            } else if (line.startsWith("Rss:") && !inHeap) {
                total += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return total;
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
