package dev.pgtenant.proxy.transaction;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
    private static final String[][] WORDS_ANYWHERE = byLength(java.util.stream.Stream.concat(SESSION_LOCK_FUNCTIONS.stream(),
            java.util.stream.Stream.of("set_config", "pg_temp", "into", "temp", "temporary", "with", "hold", "zone"))
            .toArray(String[]::new));

    /** The functions looked for when called by a quoted name. */
    private static final String[][] QUOTED_FUNCTIONS = byLength(java.util.stream.Stream.concat(SESSION_LOCK_FUNCTIONS.stream(),
            java.util.stream.Stream.of("set_config")).toArray(String[]::new));
    private static final String[][] PG_TEMP = byLength("pg_temp");

    /** Leading words of a statement kept whatever they are: enough for CREATE OR REPLACE TEMP and SET SESSION x. */
    private static final int LEADING_WORDS = 4;

    /**
     * The first words of the statements whose next words are looked at ({@link #inspect} and the
     * relay's bookkeeping of DISCARD, DEALLOCATE and UNLISTEN). A statement that starts with any
     * other word keeps only the words of {@link #WORDS_ANYWHERE}: SELECT and DML, nearly every
     * statement, then cost no string per word.
     */
    private static final String[][] LEADING_KEYWORDS = byLength("prepare", "listen", "unlisten", "discard", "deallocate",
            "load", "declare", "create", "set", "reset");

    /** The words indexed by their length, so a word is compared only with those as long as it. */
    private static String[][] byLength(String... words) {
        int longest = Arrays.stream(words).mapToInt(String::length).max().orElse(0);
        String[][] table = new String[longest + 1][];
        for (int length = 0; length <= longest; length++) {
            int size = length;
            table[length] = Arrays.stream(words).filter(word -> word.length() == size).toArray(String[]::new);
        }
        return table;
    }

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
        // By index: an iterator per query is garbage unless the JIT happens to inline it away.
        for (int i = 0; i < statements.size(); i++) {
            Optional<String> found = inspect(statements.get(i));
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
        byte[] bytes = sql.getBytes(StandardCharsets.UTF_8);
        return statements(bytes, 0, bytes.length);
    }

    /**
     * The same for the UTF-8 text in {@code sql[from, to)}, as a Query or Parse carries it, so that
     * no string is decoded for it. Keywords are ASCII; every byte of a multi-byte character counts as
     * a letter, as in PostgreSQL's identifiers.
     */
    static List<List<String>> statements(byte[] sql, int from, int to) {
        return lex(sql, from, to, true);
    }

    /**
     * What the relay checks every Query and Parse with: {@link #statements} when any statement has a
     * word that a check looks at, and otherwise no statements at all. Nearly every statement is of the
     * second kind, and that is found in one pass that allocates nothing.
     */
    static List<List<String>> statementsToCheck(byte[] sql, int from, int to) {
        List<List<String>> none = lex(sql, from, to, false);
        return none != null ? none : lex(sql, from, to, true);
    }

    /**
     * Whether {@code sql[0, length)} has the shape of {@code known[0, knownLength)}: the same bytes
     * but for numbers, where a run of digits that starts the text or follows a byte that cannot be
     * part of a word or a dollar-quote tag (a letter, digit, {@code _}, {@code $} or a byte of a
     * multi-byte character) may be any other run of digits. The lexer reads such digits one by one,
     * inside literals and comments as outside them, asking at most whether a byte is a digit, never
     * which one nor how many follow, and they never start, end or belong to a word, a quote, a
     * comment or a tag: when {@link #statementsToCheck} finds nothing to check in one text, it finds
     * nothing in any other of its shape. A client that puts its values into the SQL, as pgbench and
     * drivers that interpolate on the client side do, sends one shape again and again.
     */
    static boolean sameShape(byte[] known, int knownLength, byte[] sql, int length) {
        int i = 0;
        int j = 0;
        while (true) {
            int mismatch = Arrays.mismatch(known, i, knownLength, sql, j, length);
            if (mismatch < 0) {
                return true;
            }
            // The bytes before the mismatch are equal: back up to where a number there began.
            int run = mismatch;
            while (run > 0 && isDigit(known[i + run - 1])) {
                run--;
            }
            int knownRun = i + run;
            int sqlRun = j + run;
            boolean startsANumber = knownRun == 0 || !continuesWord(known[knownRun - 1]);
            if (!startsANumber || knownRun >= knownLength || sqlRun >= length
                    || !isDigit(known[knownRun]) || !isDigit(sql[sqlRun])) {
                return false;
            }
            i = knownRun;
            while (i < knownLength && isDigit(known[i])) {
                i++;
            }
            j = sqlRun;
            while (j < length && isDigit(sql[j])) {
                j++;
            }
        }
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean continuesWord(byte b) {
        return isLetterOrDigit(b) || b == '_' || b == '$';
    }

    /**
     * The lexer. {@code collect}: returns the statements and their words. Otherwise returns an empty
     * list when no word would be kept, and null as soon as one would.
     */
    private static List<List<String>> lex(byte[] sql, int from, int to, boolean collect) {
        List<List<String>> statements = collect ? new ArrayList<>(1) : null;
        List<String> words = collect ? new ArrayList<>() : null;
        boolean firstWord = true;
        int i = from;
        while (i < to) {
            byte c = sql[i];
            if (c == ';') {
                if (collect) {
                    statements.add(words);
                    words = new ArrayList<>();
                }
                firstWord = true;
                i++;
            } else if (c == '-' && i + 1 < to && sql[i + 1] == '-') {
                while (i < to && sql[i] != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < to && sql[i + 1] == '*') {
                i = skipBlockComment(sql, i, to);
            } else if (c == '\'') {
                boolean escapes = i > from && (sql[i - 1] == 'e' || sql[i - 1] == 'E')
                        && (i - 2 < from || !isLetterOrDigit(sql[i - 2]));
                i = skipString(sql, i, to, escapes);
            } else if (c == '"') {
                int end = indexOf(sql, (byte) '"', i + 1, to);
                while (end >= 0 && end + 1 < to && sql[end + 1] == '"') {
                    end = indexOf(sql, (byte) '"', end + 2, to);
                }
                int stop = end < 0 ? to : end + 1;
                boolean looked = end > i && quotedNameChecked(sql, i + 1, end, stop, to);
                if (collect) {
                    words.add(looked ? lowerCase(sql, i + 1, end) : lowerCase(sql, i, stop));
                } else if (firstWord || looked) {
                    // A quoted first word keeps the statement's next words: only the full scan has those.
                    return null;
                }
                firstWord = false;
                i = stop;
            } else if (c == '$' && (i == from || !isLetterOrDigit(sql[i - 1]))) {
                i = skipDollarQuote(sql, i, to);
            } else if (isLetter(c) || c == '_') {
                int start = i;
                while (i < to && (isLetterOrDigit(sql[i]) || sql[i] == '_' || sql[i] == '$')) {
                    i++;
                }
                boolean kept = firstWord ? isOneOf(LEADING_KEYWORDS, sql, start, i)
                        : collect && words.size() < LEADING_WORDS && !words.get(0).isEmpty();
                boolean looked = kept || isOneOf(WORDS_ANYWHERE, sql, start, i);
                if (collect) {
                    words.add(looked ? lowerCase(sql, start, i) : "");
                } else if (looked) {
                    return null;
                }
                firstWord = false;
            } else {
                i++;
            }
        }
        if (!collect) {
            return List.of();
        }
        statements.add(words);
        return statements;
    }

    /**
     * Whether the quoted name in {@code sql[start, end)} is one the checks look for: a session-level
     * function called by its quoted name ({@code "pg_advisory_lock"(1)}), or {@code "pg_temp"}
     * qualifying a name. A quoted name elsewhere is a column or a table, not the function.
     */
    private static boolean quotedNameChecked(byte[] sql, int start, int end, int after, int to) {
        while (after < to && (sql[after] == ' ' || sql[after] == '\t' || sql[after] == '\n' || sql[after] == '\r')) {
            after++;
        }
        if (after == to) {
            return false;
        }
        return sql[after] == '(' ? isOneOf(QUOTED_FUNCTIONS, sql, start, end)
                : sql[after] == '.' && isOneOf(PG_TEMP, sql, start, end);
    }

    /** An ASCII letter, or a byte of a multi-byte UTF-8 character (negative as a Java byte). */
    private static boolean isLetter(byte b) {
        return b < 0 || (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
    }

    private static boolean isLetterOrDigit(byte b) {
        return isLetter(b) || b >= '0' && b <= '9';
    }

    private static String lowerCase(byte[] sql, int start, int end) {
        return new String(sql, start, end - start, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    }

    /** Whether {@code sql[start, end)} is one of {@code words} (lower-case ASCII, by length), in any case. */
    private static boolean isOneOf(String[][] words, byte[] sql, int start, int end) {
        int length = end - start;
        if (length >= words.length) {
            return false;
        }
        for (String word : words[length]) {
            int j = 0;
            while (j < length) {
                byte b = sql[start + j];
                if ((b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b) != word.charAt(j)) {
                    break;
                }
                j++;
            }
            if (j == length) {
                return true;
            }
        }
        return false;
    }

    private static int indexOf(byte[] sql, byte wanted, int from, int to) {
        for (int i = from; i < to; i++) {
            if (sql[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] sql, int at, int to, char first, char second) {
        return at + 1 < to && sql[at] == first && sql[at + 1] == second;
    }

    private static int skipBlockComment(byte[] sql, int start, int to) {
        int depth = 0;
        int i = start;
        while (i < to) {
            if (startsWith(sql, i, to, '/', '*')) {
                depth++;
                i += 2;
            } else if (startsWith(sql, i, to, '*', '/')) {
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

    private static int skipString(byte[] sql, int start, int to, boolean backslashEscapes) {
        int i = start + 1;
        while (i < to) {
            byte c = sql[i];
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == '\'') {
                if (i + 1 < to && sql[i + 1] == '\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return to;
    }

    /** Skips {@code $tag$...$tag$}; a lone {@code $1} parameter is a word-less token. */
    private static int skipDollarQuote(byte[] sql, int start, int to) {
        int tagEnd = start + 1;
        while (tagEnd < to && (isLetterOrDigit(sql[tagEnd]) || sql[tagEnd] == '_')) {
            tagEnd++;
        }
        if (tagEnd >= to || sql[tagEnd] != '$' || sql[start + 1] >= '0' && sql[start + 1] <= '9') {
            return tagEnd;
        }
        int tagLength = tagEnd + 1 - start;
        for (int at = tagEnd + 1; at + tagLength <= to; at++) {
            if (Arrays.equals(sql, at, at + tagLength, sql, start, tagEnd + 1)) {
                return at + tagLength;
            }
        }
        return to;
    }
}
