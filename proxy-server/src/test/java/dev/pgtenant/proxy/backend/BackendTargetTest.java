package dev.pgtenant.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.Secret;
import org.junit.jupiter.api.Test;

/** Targets decide which sessions share a pool: only the same server, database, role and secret may. */
class BackendTargetTest {

    private static final BackendTarget TARGET = new BackendTarget(new BackendAddress("db1", 5432), "orgdata_101",
            "org_101", Secret.ofValue("s3cret"));

    @Test
    void equalComponentsMakeEqualTargetsWhateverTheObjects() {
        BackendTarget copy = new BackendTarget(new BackendAddress(new String("db1"), 5432), new String("orgdata_101"),
                new String("org_101"), Secret.ofValue(new String("s3cret")));
        assertThat(copy).isEqualTo(TARGET);
        assertThat(copy.hashCode()).isEqualTo(TARGET.hashCode());
    }

    @Test
    void anyDifferentComponentMakesAnotherTarget() {
        assertThat(target("db2", 5432, "orgdata_101", "org_101", Secret.ofValue("s3cret"))).isNotEqualTo(TARGET);
        assertThat(target("db1", 5433, "orgdata_101", "org_101", Secret.ofValue("s3cret"))).isNotEqualTo(TARGET);
        assertThat(target("db1", 5432, "orgdata_102", "org_101", Secret.ofValue("s3cret"))).isNotEqualTo(TARGET);
        assertThat(target("db1", 5432, "orgdata_101", "org_102", Secret.ofValue("s3cret"))).isNotEqualTo(TARGET);
        assertThat(target("db1", 5432, "orgdata_101", "org_101", Secret.ofEnv("s3cret"))).isNotEqualTo(TARGET);
        assertThat(target("db1", 5432, "orgdata_101", "org_101", null)).isNotEqualTo(TARGET);
        assertThat(TARGET).isNotEqualTo(target("db1", 5432, "orgdata_101", "org_101", null));
    }

    private static BackendTarget target(String host, int port, String database, String user, Secret password) {
        return new BackendTarget(new BackendAddress(host, port), database, user, password);
    }
}
