package dev.pgtenant.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Md5PasswordTest {

    @Test
    void storedFormIsMd5OfPasswordThenUser() {
        // Reference values computed independently: md5("secretalice"), then md5(hex + salt 01020304).
        assertThat(Md5Password.stored("alice", "secret")).isEqualTo("md54a0a68b43b6cd5cf266fa02f196e2371");
        assertThat(Md5Password.clientResponse("alice", "secret", new byte[] {1, 2, 3, 4}))
                .isEqualTo("md598a0412b9c31436fc53776e863350083");
        assertThat(Md5Password.isStoredForm(Md5Password.stored("alice", "secret"))).isTrue();
        assertThat(Md5Password.isStoredForm("md5XYZ")).isFalse();
    }

    @Test
    void serverAcceptsTheClientsResponseForTheSameSaltOnly() {
        byte[] salt = {1, 2, 3, 4};
        String stored = Md5Password.stored("alice", "secret");
        assertThat(Md5Password.verify(stored, salt, Md5Password.clientResponse("alice", "secret", salt))).isTrue();
        assertThat(Md5Password.verify(stored, salt, Md5Password.clientResponse("alice", "wrong", salt))).isFalse();
        assertThat(Md5Password.verify(stored, new byte[] {4, 3, 2, 1},
                Md5Password.clientResponse("alice", "secret", salt))).isFalse();
        assertThatThrownBy(() -> Md5Password.verify("plain", salt, "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
