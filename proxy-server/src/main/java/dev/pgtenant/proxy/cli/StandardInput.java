package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.RegistryException;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Secrets from standard input or a terminal prompt, never from the command line. */
final class StandardInput {

    private StandardInput() {
    }

    /** The first line of standard input, without its line ending. */
    static String readSecret(String what) {
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null) {
                throw new RegistryException("expected the " + what + " on standard input, but it was empty");
            }
            return line;
        } catch (IOException e) {
            throw new RegistryException("cannot read the " + what + " from standard input: " + e.getMessage(), e);
        }
    }

    static String prompt(String text) {
        Console console = System.console();
        if (console == null) {
            throw new RegistryException("no terminal to prompt for a password: use --password-stdin");
        }
        char[] first = console.readPassword(text);
        char[] second = console.readPassword("Again: ");
        if (first == null || second == null || !java.util.Arrays.equals(first, second)) {
            throw new RegistryException("the passwords did not match");
        }
        return new String(first);
    }
}
