package dev.pgtenant.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.SharedDatabase;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouterTest {

    private static final ScramVerifier VERIFIER = ScramVerifier.fromPassword("x");
    private static final Registry REGISTRY = Registry.EMPTY
            .withOrganization(org("1"))
            .withOrganization(org("2"))
            .withOrganization(org("3"))
            .withSharedDatabase(new SharedDatabase("main", new BackendLogin(null, "app_main", "reader", null)))
            .withSharedDatabase(new SharedDatabase("billing", new BackendLogin(null, "billing", "reader", null)))
            .withUser(new User("alice", VERIFIER, "1", Set.of("2"), Set.of("main"), false));
    private static final Router ROUTER = new Router(List.of("app"));

    private static Organization org(String id) {
        return new Organization(id, new BackendLogin(null, "orgdata_" + id, "orgdata_" + id, null));
    }

    @ParameterizedTest
    @CsvSource(nullValues = "NULL", value = {
            "main, shared main",
            "orgdata_1, org 1",
            "orgdata_2, org 2",
            "'', org 1",
            "NULL, org 1",
            "alice, org 1",
            "app, org 1",
            "orgdata_3, refused",
            "billing, refused",
            "orgdata_4, refused",
            "postgres, refused",
            "APP, refused",
            "pgtenant, refused"})
    void rules(String database, String expected) {
        User alice = REGISTRY.user("alice").orElseThrow();
        RoutingDecision decision = ROUTER.route(REGISTRY, alice, database);
        String actual = decision instanceof RoutingDecision.ToOrganization o ? "org " + o.organization().id()
                : decision instanceof RoutingDecision.ToSharedDatabase s ? "shared " + s.database().name() : "refused";
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void anAliasIsTheConfigurationsOwnCopy() {
        String asked = new String("app".toCharArray());
        assertThat(ROUTER.alias(asked)).isEqualTo("app").isNotSameAs(asked);
        String other = new String("orgdata_1".toCharArray());
        assertThat(ROUTER.alias(other)).isSameAs(other);
    }

    @Test
    void refusalsReadTheSameWhetherOrNotTheDatabaseExists() {
        User alice = REGISTRY.user("alice").orElseThrow();
        String existing = ((RoutingDecision.Refused) ROUTER.route(REGISTRY, alice, "orgdata_3")).message();
        String missing = ((RoutingDecision.Refused) ROUTER.route(REGISTRY, alice, "orgdata_9")).message();
        assertThat(existing.replace("orgdata_3", "X")).isEqualTo(missing.replace("orgdata_9", "X"));
    }

    @Test
    void userWhoseHomeOrganizationIsGoneIsRefused() {
        User ghost = new User("ghost", VERIFIER, "42", Set.of(), Set.of(), false);
        assertThat(ROUTER.route(REGISTRY, ghost, "app")).isInstanceOf(RoutingDecision.Refused.class);
    }
}
