package dev.pgtenant.protocol.auth;

import dev.pgtenant.protocol.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A SCRAM message's comma-separated {@code x=value} attributes, with the strict checks every message
 * needs: the required attributes first and in order, none repeated, values well formed.
 */
final class ScramAttributes {

    record Attribute(char name, String value) {
    }

    private final List<Attribute> attributes;

    private ScramAttributes(List<Attribute> attributes) {
        this.attributes = attributes;
    }

    /** Parses {@code text}; the first attributes must be exactly {@code required}, in that order. */
    static ScramAttributes parse(String text, String required) {
        List<Attribute> attributes = new ArrayList<>(4);
        // One bit per letter rather than a set of boxed characters: every login parses two of these messages.
        long seen = 0;
        int start = 0;
        while (true) {
            int end = text.indexOf(',', start);
            String part = end < 0 ? text.substring(start) : text.substring(start, end);
            if (part.length() < 2 || part.charAt(1) != '=' || !isAttributeName(part.charAt(0))) {
                throw ScramException.malformed("expected an attribute of the form x=value but got \""
                        + abbreviate(part) + "\"");
            }
            char name = part.charAt(0);
            long bit = bitOf(name);
            if ((seen & bit) != 0) {
                throw ScramException.malformed("attribute '" + name + "' is repeated");
            }
            seen |= bit;
            attributes.add(new Attribute(name, part.substring(2)));
            if (end < 0) {
                break;
            }
            start = end + 1;
        }
        for (int i = 0; i < required.length(); i++) {
            char expected = required.charAt(i);
            if (i >= attributes.size() || attributes.get(i).name() != expected) {
                if ((seen & bitOf('m')) != 0) {
                    throw ScramException.malformed("the mandatory extension m= is not supported");
                }
                throw ScramException.malformed("attribute '" + expected + "' is missing or out of order");
            }
        }
        return new ScramAttributes(attributes);
    }

    private static long bitOf(char letter) {
        return 1L << (letter >= 'a' ? letter - 'a' : 26 + letter - 'A');
    }

    String get(int index) {
        return attributes.get(index).value();
    }

    Attribute last() {
        return attributes.get(attributes.size() - 1);
    }

    int size() {
        return attributes.size();
    }

    /** A nonce: printable ASCII except the comma (RFC 5802 "printable"). */
    static String nonce(String value) {
        if (value.isEmpty()) {
            throw ScramException.malformed("the nonce is empty");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7E || c == ',') {
                throw ScramException.malformed("the nonce contains an invalid character");
            }
        }
        return value;
    }

    static byte[] base64(String value, String what) {
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw ScramException.malformed(what + " is not valid base64");
        }
    }

    /** Decodes a message's bytes as UTF-8, refusing invalid sequences rather than replacing them. */
    static String text(ByteString message) {
        if (message == null) {
            throw ScramException.malformed("the message is missing");
        }
        byte[] bytes = message.toByteArray();
        if (isAscii(bytes)) {
            // What clients send: ASCII is valid UTF-8, and decodes without a decoder made for it.
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ScramException.malformed("the message is not valid UTF-8");
        }
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    static ByteString bytes(String message) {
        return ByteString.copyOf(message.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean isAttributeName(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static String abbreviate(String part) {
        return part.length() <= 20 ? part : part.substring(0, 20) + "...";
    }
}
