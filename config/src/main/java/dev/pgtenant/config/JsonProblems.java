package dev.pgtenant.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.PropertyBindingException;
import java.util.stream.Collectors;

/**
 * What is wrong with a configuration or registry document, for an error message. Jackson's message
 * for a value of the wrong type quotes the value, and that value may be a password written where
 * {@code {value: ...}} belongs: such a problem names the field and the type it should have, never
 * the value, and the exception that quoted it is not kept as the cause.
 */
public final class JsonProblems {

    private JsonProblems() {
    }

    public static String describe(JsonProcessingException e) {
        String line = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
        if (quotesValue(e)) {
            MismatchedInputException mismatch = (MismatchedInputException) e;
            String type = mismatch.getTargetType() == null ? "another type" : mismatch.getTargetType().getSimpleName();
            return "the value of " + path(mismatch) + " is not of the right type (" + type + ")" + line;
        }
        return e.getOriginalMessage() + line;
    }

    /** The exception to keep as the cause: none when its message may quote a value. */
    public static Throwable cause(JsonProcessingException e) {
        return quotesValue(e) ? null : e;
    }

    /**
     * A value of the wrong type or format. Other mismatches (an unknown or a missing key, an empty
     * document) name only keys, and their own message says more.
     */
    private static boolean quotesValue(JsonProcessingException e) {
        return e instanceof InvalidFormatException
                || e instanceof MismatchedInputException && !(e instanceof PropertyBindingException)
                && e.getOriginalMessage() != null && e.getOriginalMessage().contains(" value (");
    }

    private static String path(JsonMappingException e) {
        String key = key(e);
        return key == null ? "the document" : key;
    }

    /** The dotted path of the key whose value {@code e} is about, such as {@code pool.idleTimeout}; null for the whole document. */
    public static String key(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(reference -> reference.getFieldName() != null ? reference.getFieldName() : "[" + reference.getIndex() + "]")
                .collect(Collectors.joining("."));
        return path.isEmpty() ? null : path;
    }
}
