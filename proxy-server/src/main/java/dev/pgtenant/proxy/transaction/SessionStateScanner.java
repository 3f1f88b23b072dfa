package dev.pgtenant.proxy.transaction;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Finds SQL that leaves state in the backend session beyond the transaction, which transaction
 * pooling cannot carry to another backend: SQL {@code PREPARE}, session advisory locks,
 * {@code WITH HOLD} cursors, temporary objects, {@code LISTEN}, {@code LOAD}, and {@code SET} or
 * {@code RESET} of a setting the proxy does not track. A light lexer, not a parser: it skips
 * comments, string and dollar-quoted literals and quoted identifiers, splits statements on
 * top-level semicolons and looks at their leading keywords.
 */
public final class SessionStateScanner {

    /**
     * Settings the server reports with ParameterStatus when they change: the proxy sees every change
     * and re-applies them when the client moves to another backend, so they need no pinning.
     */
    static final Set<String> REPORTED_SETTINGS = Set.of("application_name", "client_encoding", "datestyle",
            "intervalstyle", "timezone", "standard_conforming_strings");

    private static final Set<String> SESSION_LOCK_FUNCTIONS = Set.of("pg_advisory_lock", "pg_advisory_lock_shared",
            "pg_try_advisory_lock", "pg_try_advisory_lock_shared");

    /** The same, matched without regard to case and without allocating: this runs for every transaction. */
    private static final Set<String> REPORTED_ANY_CASE = caseInsensitive(REPORTED_SETTINGS);

    /**
     * The words {@link #inspect} looks for beyond a statement's first few: every other word past
     * those is left out of the word list (as an empty placeholder, keeping positions), which spares
     * a string per word of ordinary queries.
     */
    private static final String[] WORDS_ANYWHERE = java.util.stream.Stream.concat(SESSION_LOCK_FUNCTIONS.stream(),
            java.util.stream.Stream.of("set_config", "pg_temp", "into", "temp", "temporary", "with", "hold", "zone"))
            .toArray(String[]::new);

    /** Leading words of a statement kept whatever they are: enough for CREATE OR REPLACE TEMP and SET SESSION x. */
    private static final int LEADING_WORDS = 4;

    /**
     * The first words of the statements whose next words are looked at ({@link #inspect} and the
     * relay's bookkeeping of DISCARD, DEALLOCATE and UNLISTEN). A statement that starts with any
     * other word keeps only the words of {@link #WORDS_ANYWHERE}: SELECT and DML, nearly every
     * statement, then cost no string per word.
     */
    private static final String[] LEADING_KEYWORDS = {"prepare", "listen", "unlisten", "discard", "deallocate", "load",
            "declare", "create", "set", "reset"};

    private static Set<String> caseInsensitive(Set<String> words) {
        Set<String> set = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(words);
        return java.util.Collections.unmodifiableSet(set);
    }

    /** Whether the server reports this setting's changes with ParameterStatus. */
    public static boolean isReported(String name) {
        return REPORTED_ANY_CASE.contains(name);
    }

    private SessionStateScanner() {
    }

    /** What in {@code sql} needs its session, for messages; empty when nothing does. */
    public static Optional<String> sessionState(String sql) {
        return sessionState(statements(sql));
    }

    /** The same, for statements already split by {@link #statements}. */
    static Optional<String> sessionState(List<List<String>> statements) {
        for (List<String> statement : statements) {
            Optional<String> found = inspect(statement);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> inspect(List<String> words) {
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (SESSION_LOCK_FUNCTIONS.contains(word)) {
                return Optional.of("a session advisory lock (" + word + ")");
            }
            if (word.equals("set_config")) {
                return Optional.of("set_config");
            }
            if (word.equals("pg_temp")) {
                return Optional.of("a temporary object");
            }
            if (word.equals("into") && i + 1 < words.size()
                    && (words.get(i + 1).equals("temp") || words.get(i + 1).equals("temporary"))) {
                return Optional.of("a temporary object");
            }
        }
        if (words.isEmpty()) {
            return Optional.empty();
        }
        String first = words.get(0);
        String second = words.size() > 1 ? words.get(1) : "";
        switch (first) {
            case "prepare":
                return second.equals("transaction") ? Optional.empty() : Optional.of("SQL PREPARE");
            case "listen":
                return Optional.of("LISTEN");
            case "discard":
                return Optional.of("DISCARD");
            case "deallocate":
                return Optional.of("SQL DEALLOCATE");
            case "load":
                return Optional.of("LOAD");
            case "declare":
                for (int i = 1; i + 1 < words.size(); i++) {
                    if (words.get(i).equals("with") && words.get(i + 1).equals("hold")) {
                        return Optional.of("a WITH HOLD cursor");
                    }
                }
                return Optional.empty();
            case "create":
                int at = second.equals("global") || second.equals("local") || second.equals("or") ? 2 : 1;
                if (second.equals("or") && words.size() > 3) {
                    at = 3;
                }
                String modifier = words.size() > at ? words.get(at) : "";
                return modifier.equals("temp") || modifier.equals("temporary")
                        ? Optional.of("a temporary object") : Optional.empty();
            case "set":
            case "reset":
                return setting(first, words);
            default:
                return Optional.empty();
        }
    }

    private static Optional<String> setting(String command, List<String> words) {
        int at = 1;
        String next = words.size() > at ? words.get(at) : "";
        if (command.equals("set")) {
            if (next.equals("local") || next.equals("transaction")) {
                return Optional.empty();
            }
            if (next.equals("session")) {
                at++;
                next = words.size() > at ? words.get(at) : "";
                if (next.equals("characteristics")) {
                    return Optional.of("SET SESSION CHARACTERISTICS");
                }
            }
        }
        if (next.isEmpty() || next.equals("all") || next.equals("role") || next.equals("authorization")
                || next.equals("session")) {
            return Optional.of(command.toUpperCase(Locale.ROOT) + " " + next.toUpperCase(Locale.ROOT));
        }
        String name = next.replace("\"", "");
        if (name.equals("time") && words.size() > at + 1 && words.get(at + 1).equals("zone")) {
            name = "timezone";
        }
        return REPORTED_SETTINGS.contains(name) ? Optional.empty()
                : Optional.of(command.toUpperCase(Locale.ROOT) + " " + name);
    }

    /**
     * The statements of {@code sql}, each as its words in lower case, literals and comments left out;
     * a word no check looks for is an empty placeholder: any word not of {@link #WORDS_ANYWHERE} past
     * a statement's leading words, and all of them in a statement not led by {@link #LEADING_KEYWORDS}.
     */
    static List<List<String>> statements(String sql) {
        List<List<String>> statements = new ArrayList<>();
        List<String> words = new ArrayList<>();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (c == ';') {
                statements.add(words);
                words = new ArrayList<>();
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = skipBlockComment(sql, i);
            } else if (c == '\'') {
                boolean escapes = i > 0 && (sql.charAt(i - 1) == 'e' || sql.charAt(i - 1) == 'E')
                        && (i < 2 || !Character.isLetterOrDigit(sql.charAt(i - 2)));
                i = skipString(sql, i, escapes);
            } else if (c == '"') {
                int end = sql.indexOf('"', i + 1);
                while (end >= 0 && end + 1 < n && sql.charAt(end + 1) == '"') {
                    end = sql.indexOf('"', end + 2);
                }
                int stop = end < 0 ? n : end + 1;
                words.add(sql.substring(i, stop).toLowerCase(Locale.ROOT));
                i = stop;
            } else if (c == '$' && (i == 0 || !Character.isLetterOrDigit(sql.charAt(i - 1)))) {
                i = skipDollarQuote(sql, i);
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '$')) {
                    i++;
                }
                boolean kept = words.isEmpty() ? isOneOf(LEADING_KEYWORDS, sql, start, i)
                        : words.size() < LEADING_WORDS && !words.get(0).isEmpty();
                words.add(kept || isOneOf(WORDS_ANYWHERE, sql, start, i) ? sql.substring(start, i).toLowerCase(Locale.ROOT) : "");
            } else {
                i++;
            }
        }
        statements.add(words);
        return statements;
    }

    private static boolean isOneOf(String[] words, String sql, int start, int end) {
        int length = end - start;
        for (String word : words) {
            if (word.length() == length && sql.regionMatches(true, start, word, 0, length)) {
                return true;
            }
        }
        return false;
    }

    private static int skipBlockComment(String sql, int start) {
        int depth = 0;
        int i = start;
        while (i < sql.length()) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return i;
    }

    private static int skipString(String sql, int start, boolean backslashEscapes) {
        int i = start + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == '\'') {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return i;
    }

    /** Skips {@code $tag$...$tag$}; a lone {@code $1} parameter is a word-less token. */
    private static int skipDollarQuote(String sql, int start) {
        int tagEnd = start + 1;
        while (tagEnd < sql.length() && (Character.isLetterOrDigit(sql.charAt(tagEnd)) || sql.charAt(tagEnd) == '_')) {
            tagEnd++;
        }
        if (tagEnd >= sql.length() || sql.charAt(tagEnd) != '$' || Character.isDigit(sql.charAt(start + 1))) {
            return tagEnd;
        }
        String tag = sql.substring(start, tagEnd + 1);
        int end = sql.indexOf(tag, tagEnd + 1);
        return end < 0 ? sql.length() : end + tag.length();
    }
}
