package dev.pgtenant.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every figure measured, by metric and target, one value per round; reported as medians. A failed
 * run is recorded as NaN, and a metric with any failed round reports as failed.
 */
final class Results {

    private final Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();

    void add(String metric, String target, double value) {
        values.computeIfAbsent(metric, m -> new LinkedHashMap<>()).computeIfAbsent(target, t -> new ArrayList<>()).add(value);
    }

    void fail(String metric, String target, String why) {
        add(metric, target, Double.NaN);
        failures.putIfAbsent(metric + "/" + target, why);
    }

    /** The median over rounds; NaN when it was never measured or any round failed. */
    double median(String metric, String target) {
        List<Double> list = values.getOrDefault(metric, Map.of()).get(target);
        if (list == null || list.isEmpty() || list.stream().anyMatch(v -> v.isNaN())) {
            return Double.NaN;
        }
        double[] sorted = list.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** Whether the metric was measured (or attempted) for the target at least once. */
    boolean measured(String metric, String target) {
        List<Double> list = values.getOrDefault(metric, Map.of()).get(target);
        return list != null && !list.isEmpty();
    }

    /** Every round's value in the order measured; empty when never measured. */
    List<Double> values(String metric, String target) {
        return values.getOrDefault(metric, Map.of()).getOrDefault(target, List.of());
    }

    /** Every round's value, for the raw figures of the report. */
    String rounds(String metric, String target) {
        List<Double> list = values.getOrDefault(metric, Map.of()).get(target);
        return list == null ? "" : Arrays.toString(list.stream().mapToDouble(Double::doubleValue).toArray());
    }

    Map<String, String> failures() {
        return failures;
    }

    Iterable<String> metrics() {
        return values.keySet();
    }

    Iterable<String> targets(String metric) {
        return values.getOrDefault(metric, Map.of()).keySet();
    }
}
