package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SharedSettingsTest {

    @Test
    void equalSettingsGiveOneImmutableMap() {
        SharedSettings shared = new SharedSettings();
        Map<String, String> first = shared.share(new HashMap<>(Map.of("TimeZone", "UTC", "DateStyle", "ISO, MDY")));
        Map<String, String> second = shared.share(new HashMap<>(Map.of("DateStyle", "ISO, MDY", "TimeZone", "UTC")));
        assertThat(second).isSameAs(first).isEqualTo(Map.of("TimeZone", "UTC", "DateStyle", "ISO, MDY"));
        assertThat(shared.share(Map.of("TimeZone", "Asia/Tokyo"))).isNotSameAs(first);
        assertThatThrownBy(() -> first.put("TimeZone", "Asia/Tokyo")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aChangeToTheGivenMapDoesNotReachTheSharedOne() {
        SharedSettings shared = new SharedSettings();
        Map<String, String> given = new HashMap<>(Map.of("TimeZone", "UTC"));
        Map<String, String> kept = shared.share(given);
        given.put("TimeZone", "Asia/Tokyo");
        assertThat(kept).containsEntry("TimeZone", "UTC");
        assertThat(shared.share(Map.of("TimeZone", "UTC"))).isSameAs(kept);
    }

    @Test
    void pastTheBoundSettingsAreCopiedNotKept() {
        SharedSettings shared = new SharedSettings();
        for (int i = 0; i < SharedSettings.MAX_DISTINCT; i++) {
            shared.share(Map.of("application_name", "app " + i));
        }
        Map<String, String> late = shared.share(Map.of("application_name", "one too many"));
        assertThat(late).containsEntry("application_name", "one too many");
        assertThat(shared.share(Map.of("application_name", "one too many"))).isNotSameAs(late).isEqualTo(late);
        assertThat(shared.share(Map.of("application_name", "app 7"))).isSameAs(shared.share(Map.of("application_name", "app 7")));
    }
}
