package dev.pgtenant.proxy.transaction;

import dev.pgtenant.proxy.session.SessionParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The SQL that brings a backend's settings in line with the client that takes it: a transaction
 * pooling client may land on a backend that the last client left with other settings.
 */
final class SettingsSql {

    private SettingsSql() {
    }

    /**
     * The simple query that makes a backend's settings this client's, or {@code null} when they
     * already are: RESET of each setting applied for an earlier client from its startup packet that
     * this one did not ask for, and set_config of each of this client's startup settings and reported
     * parameters the backend has otherwise. Runs for most transactions of a client whose settings
     * differ from its neighbours', so nothing is allocated until a difference is found.
     *
     * @param applied    the startup settings applied on the backend for earlier clients
     * @param parameters the parameters the backend has reported
     * @param startup    this client's startup settings that the server does not report
     * @param reported   the reported parameters this client has been told
     */
    static String toMatch(Map<String, String> applied, Map<String, String> parameters,
                          Map<String, String> startup, Map<String, String> reported) {
        StringBuilder resets = null;
        for (String name : applied.keySet()) {
            if (!startup.containsKey(name)) {
                resets = resets == null ? new StringBuilder() : resets;
                resets.append("RESET \"").append(name.replace("\"", "\"\"")).append("\";");
            }
        }
        List<String> sets = null;
        for (Map.Entry<String, String> setting : startup.entrySet()) {
            if (!setting.getValue().equals(applied.get(setting.getKey()))) {
                sets = sets == null ? new ArrayList<>() : sets;
                sets.add(SessionParameters.setConfig(setting.getKey(), setting.getValue()));
            }
        }
        for (Map.Entry<String, String> setting : reported.entrySet()) {
            if (!setting.getValue().equals(parameters.get(setting.getKey()))) {
                sets = sets == null ? new ArrayList<>() : sets;
                sets.add(SessionParameters.setConfig(setting.getKey(), setting.getValue()));
            }
        }
        if (resets == null && sets == null) {
            return null;
        }
        return (resets == null ? "" : resets.toString()) + (sets == null ? "" : "SELECT " + String.join(", ", sets));
    }
}
