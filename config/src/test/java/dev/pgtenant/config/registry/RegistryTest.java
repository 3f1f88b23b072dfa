package dev.pgtenant.config.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.auth.ScramVerifier;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules a registry snapshot keeps whatever store it came from. */
class RegistryTest {

    private static final ScramVerifier VERIFIER = ScramVerifier.fromPassword("secret");
    private static final BackendAddress DB1 = BackendAddress.parse("postgresql://db1:5432");

    private static Organization org(String id) {
        return new Organization(id, new BackendLogin(DB1, "orgdata_" + id, "orgdata_" + id, Secret.ofEnv("PW")));
    }

    @Test
    void removingAnOrganizationRemovesItsUsersAndEveryGrantOfIt() {
        Registry registry = Registry.EMPTY.withOrganization(org("101")).withOrganization(org("102"))
                .withSharedDatabase(new SharedDatabase("main", new BackendLogin(DB1, "app", "app_reader", null)))
                .withUser(new User("alice", VERIFIER, "101", Set.of("102"), Set.of("main"), true))
                .withUser(new User("bob", VERIFIER, "102", Set.of("101"), Set.of("main"), false))
                .withUser(new User("carol", VERIFIER, "102", Set.of(), Set.of(), false));

        Registry without = registry.withoutOrganization("101");

        assertThat(without.organization("101")).isEmpty();
        assertThat(without.user("alice")).as("a user whose home it was").isEmpty();
        User bob = without.user("bob").orElseThrow();
        assertThat(bob.orgs()).as("a grant of it").isEmpty();
        assertThat(bob.databases()).containsExactly("main");
        assertThat(without.user("carol")).contains(registry.user("carol").orElseThrow());
        assertThat(without.withOrganization(org("101")).users()).as("a new organization of the same id inherits no one")
                .noneMatch(user -> user.mayAccessOrg("101"));
        assertThatThrownBy(() -> without.withoutOrganization("101"))
                .isInstanceOf(RegistryException.class).hasMessage("organization 101 does not exist");
    }

    @Test
    void aSharedDatabaseThatIsAnOrganizationsDatabaseIsRefused() {
        SharedDatabase orgData = new SharedDatabase("main", new BackendLogin(new BackendAddress("db1", 5432), "orgdata_101",
                "app_reader", null));
        assertThatThrownBy(() -> Registry.EMPTY.withOrganization(org("101")).withSharedDatabase(orgData))
                .isInstanceOf(RegistryException.class)
                .hasMessageContainingAll("shared database main", "organization 101", "orgdata_101", "postgresql://db1:5432");
        assertThatThrownBy(() -> Registry.EMPTY.withSharedDatabase(orgData).withOrganization(org("101")))
                .as("in whichever order they are added")
                .isInstanceOf(RegistryException.class).hasMessageContaining("organization 101");

        Organization embedded = new Organization("7", new BackendLogin(null, "orgdata_7", "orgdata_7", null));
        assertThatThrownBy(() -> Registry.EMPTY.withOrganization(embedded)
                .withSharedDatabase(new SharedDatabase("seven", new BackendLogin(null, "orgdata_7", "reader", null))))
                .isInstanceOf(RegistryException.class)
                .hasMessageContainingAll("shared database seven", "organization 7", "the embedded backend");

        // Another name for the same server, or a replica: the same data.
        SharedDatabase sameNameElsewhere = new SharedDatabase("main", new BackendLogin(BackendAddress.parse("postgresql://db1-alias"),
                "orgdata_101", "app_reader", null));
        assertThatThrownBy(() -> Registry.EMPTY.withOrganization(org("101")).withSharedDatabase(sameNameElsewhere))
                .isInstanceOf(RegistryException.class)
                .hasMessageContainingAll("shared database main", "postgresql://db1-alias:5432", "organization 101");
        SharedDatabase otherName = new SharedDatabase("main", new BackendLogin(BackendAddress.parse("postgresql://db1"),
                "reports", "app_reader", null));
        assertThat(Registry.EMPTY.withOrganization(org("101")).withSharedDatabase(otherName).sharedDatabase("main"))
                .contains(otherName);
    }
}
