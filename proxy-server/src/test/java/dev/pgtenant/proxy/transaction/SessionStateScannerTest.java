package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SessionStateScannerTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "PREPARE q AS SELECT 1 | SQL PREPARE",
            "  prepare q (int) AS SELECT $1 | SQL PREPARE",
            "SELECT pg_advisory_lock(1) | a session advisory lock (pg_advisory_lock)",
            "select PG_TRY_ADVISORY_LOCK_SHARED(1, 2) | a session advisory lock (pg_try_advisory_lock_shared)",
            "DECLARE c CURSOR WITH HOLD FOR SELECT 1 | a WITH HOLD cursor",
            "CREATE TEMP TABLE t (x int) | a temporary object",
            "create temporary view v as select 1 | a temporary object",
            "CREATE GLOBAL TEMPORARY TABLE t (x int) | a temporary object",
            "LISTEN jobs | LISTEN",
            "SET work_mem = '64MB' | SET work_mem",
            "SET SESSION search_path TO a | SET search_path",
            "RESET statement_timeout | RESET statement_timeout",
            "RESET ALL | RESET ALL",
            "SET ROLE admin | SET ROLE",
            "SET SESSION AUTHORIZATION bob | SET AUTHORIZATION",
            "LOAD 'auto_explain' | LOAD",
            "SELECT 1; SET work_mem = 1 | SET work_mem",
            "/* comment; */ SET work_mem TO 1 | SET work_mem",
            "SELECT \"pg_advisory_lock\"(1) | a session advisory lock (pg_advisory_lock)",
            "SELECT \"set_config\" ('search_path', 'x', false) | set_config",
            "CREATE TABLE \"pg_temp\".t (x int) | a temporary object"})
    void findsSessionState(String sql, String expected) {
        assertThat(SessionStateScanner.sessionState(sql)).contains(expected);
        assertThat(SessionStateScanner.sessionState(toCheck(sql))).as("the relay's quick scan").contains(expected);
    }

    private static List<List<String>> toCheck(String sql) {
        byte[] bytes = sql.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return SessionStateScanner.statementsToCheck(bytes, 0, bytes.length);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "SELECT 1",
            "SET LOCAL work_mem = '1MB'",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SET application_name = 'x'",
            "SET TIME ZONE 'UTC'",
            "SET DateStyle TO ISO",
            "RESET client_encoding",
            "SELECT pg_advisory_xact_lock(1)",
            "SELECT 'pg_advisory_lock(1)'",
            "SELECT $$ PREPARE x AS SELECT 1 $$",
            "SELECT $tag$ LISTEN x; $tag$",
            "-- LISTEN x\\nSELECT 1",
            "SELECT \"pg_advisory_lock\" FROM t",
            "DECLARE c CURSOR FOR SELECT 1",
            "CREATE TABLE temp (x int)",
            "PREPARE TRANSACTION 'x'",
            "SELECT E'\\' ; PREPARE'"})
    void ignoresTransactionScopedOrQuotedText(String sql) {
        assertThat(SessionStateScanner.sessionState(sql.replace("\\n", "\n"))).isEmpty();
        assertThat(SessionStateScanner.sessionState(toCheck(sql.replace("\\n", "\n")))).isEmpty();
    }

    @Test
    void theQuickScanGivesNoStatementsForOrdinaryQueriesAndAllOfThemOtherwise() {
        assertThat(toCheck("SELECT abalance FROM pgbench_accounts WHERE aid = 1; UPDATE t SET x = 'LISTEN y'")).isEmpty();
        assertThat(toCheck("SELECT 1; discard ALL")).containsExactly(List.of(""), List.of("discard", "all"));
        assertThat(toCheck("\"set\" x; select 1")).isEqualTo(SessionStateScanner.statements("\"set\" x; select 1"));
    }

    @Test
    void onlyTheWordsAnyCheckLooksAtAreKept() {
        assertThat(SessionStateScanner.statements(
                "SELECT abalance FROM pgbench_accounts WHERE aid = 1; set search_path to x, y; "
                        + "select * into temp t from u; discard ALL"))
                .containsExactly(List.of("", "", "", "", "", ""), List.of("set", "search_path", "to", "x", ""),
                        List.of("", "into", "temp", "", "", ""), List.of("discard", "all"));
    }

    @Test
    void scansUtf8BytesWithCharactersOfSeveralBytes() {
        byte[] sql = "SELECT 'ñ; LISTEN x', größe FROM t; Listen \"Kanäle\"; SET straße = 1"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(SessionStateScanner.statements(sql, 0, sql.length)).containsExactly(
                List.of("", "", "", ""), List.of("listen", "\"kanäle\""), List.of("set", "straße"));
        assertThat(SessionStateScanner.sessionState(new String(sql, java.nio.charset.StandardCharsets.UTF_8)))
                .contains("LISTEN");
    }

    @Test
    void scansOnlyTheGivenRange() {
        byte[] sql = "LISTEN a\0SET work_mem = 1\0".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int second = "LISTEN a".length() + 1;
        assertThat(SessionStateScanner.statements(sql, second, sql.length - 1))
                .containsExactly(List.of("set", "work_mem"));
        assertThat(SessionStateScanner.statements(sql, 0, second - 1)).containsExactly(List.of("listen", "a"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT 'open", "SELECT E'ends in a backslash\\", "SELECT $tag$ open", "SELECT $",
            "/* open /* nested */", "SELECT \"open", "-- open", "SET", "\u00c3", "'", "$a", "e'"})
    void unterminatedTextEndsTheScanWithoutFailing(String sql) {
        byte[] bytes = sql.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(SessionStateScanner.statements(bytes, 0, bytes.length)).isNotEmpty();
        assertThat(SessionStateScanner.statements(sql)).isNotEmpty();
    }

    @Test
    void anyBytesAtAllScanWithoutFailingAndBothScansAgree() {
        byte[] alphabet = "'\"$-/*;\\eE_a1 \n\0xX".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        String[] words = {"listen ", "SET ", "into temp ", "pg_advisory_lock", "discard all", "declare c cursor with hold "};
        java.util.Random random = new java.util.Random(20261127);
        for (int round = 0; round < 5_000; round++) {
            byte[] sql = new byte[random.nextInt(40)];
            for (int i = 0; i < sql.length; i++) {
                sql[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
            }
            if (random.nextBoolean()) {
                // Words the checks look for, placed anywhere: inside literals and comments or not.
                byte[] word = words[random.nextInt(words.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                byte[] longer = java.util.Arrays.copyOf(sql, sql.length + word.length);
                int at = random.nextInt(sql.length + 1);
                System.arraycopy(sql, at, longer, at + word.length, sql.length - at);
                System.arraycopy(word, 0, longer, at, word.length);
                sql = longer;
            }
            int from = sql.length == 0 ? 0 : random.nextInt(sql.length);
            int to = from + (sql.length == from ? 0 : random.nextInt(sql.length - from + 1));
            List<List<String>> all = SessionStateScanner.statements(sql, from, to);
            List<List<String>> toCheck = SessionStateScanner.statementsToCheck(sql, from, to);
            assertThat(all).as("bytes %s", java.util.Arrays.toString(sql)).isNotEmpty();
            assertThat(toCheck).as("bytes %s", java.util.Arrays.toString(sql)).isIn(List.of(), all);
            assertThat(SessionStateScanner.sessionState(toCheck)).isEqualTo(SessionStateScanner.sessionState(all));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "SELECT abalance FROM pgbench_accounts WHERE aid = 1; | SELECT abalance FROM pgbench_accounts WHERE aid = 99999; | true",
            "1 | 23 | true",
            "SELECT 1.5e10, '7', x-3 /* 9 */ | SELECT 22.0e10, '123', x-45 /* 0 */ | true",
            "SELECT 1 | SELECT 1 | true",
            "SELECT t1 FROM x | SELECT t2 FROM x | false",
            "SELECT $a1$ 5 $a1$ | SELECT $a1$ 5 $a2$ | false",
            "SELECT $1 | SELECT $2 | false",
            "SELECT x_1 | SELECT x_2 | false",
            "SELECT 1e5 | SELECT 1e6 | false",
            "SELECT 1 | SELECT x | false",
            "SELECT 1 | SELECT 1; | false",
            "SELECT 1 | SELECT | false",
            "SELECT 1; SELECT 2 | SELECT 1; LISTEN 2 | false"})
    void theSameShapeDiffersOnlyInNumbers(String known, String sql, boolean same) {
        byte[] knownBytes = known.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] sqlBytes = sql.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(SessionStateScanner.sameShape(knownBytes, knownBytes.length, sqlBytes, sqlBytes.length)).isEqualTo(same);
        assertThat(SessionStateScanner.sameShape(sqlBytes, sqlBytes.length, knownBytes, knownBytes.length)).isEqualTo(same);
    }

    /**
     * The relay skips the scan for a Query of the same shape as one in which it found nothing: any
     * text of that shape, however its bytes came, must then have nothing to check either. Texts are
     * made of tokens where digits matter and where they do not, and then their digits, or one byte,
     * are changed.
     */
    @Test
    void aTextOfTheShapeOfOneWithNothingToCheckHasNothingToCheck() {
        String[] tokens = {"$x1$", "$x2$", "$1", "t1", "_2", "e'", "'", "E'\\", "\"", "--", "\n", "/*", "*/", ";", " ",
            " 1", "22", ".5", "-3", "(", "listen ", "set ", "into temp", "pg_advisory_lock", "\"pg_temp\".", "\u00e93"};
        java.util.Random random = new java.util.Random(20261129);
        int sameShapes = 0;
        for (int round = 0; round < 50_000; round++) {
            StringBuilder text = new StringBuilder();
            for (int count = random.nextInt(10) + 1; count > 0; count--) {
                text.append(tokens[random.nextInt(tokens.length)]);
            }
            byte[] known = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (!SessionStateScanner.statementsToCheck(known, 0, known.length).isEmpty()) {
                continue;
            }
            for (int variant = 0; variant < 4; variant++) {
                byte[] sql = variant == 3 ? withAnotherByte(known, random) : withOtherDigits(known, random);
                // As the relay keeps them: in arrays longer than the text, with other bytes after it.
                if (SessionStateScanner.sameShape(padded(known, random), known.length, padded(sql, random), sql.length)) {
                    sameShapes++;
                    assertThat(SessionStateScanner.statementsToCheck(sql, 0, sql.length))
                            .as("%s, of the shape of %s", new String(sql, java.nio.charset.StandardCharsets.UTF_8),
                                    text)
                            .isEmpty();
                }
            }
        }
        assertThat(sameShapes).as("texts found of the same shape").isGreaterThan(10_000);
    }

    private static byte[] padded(byte[] text, java.util.Random random) {
        byte[] longer = java.util.Arrays.copyOf(text, text.length + random.nextInt(8));
        for (int i = text.length; i < longer.length; i++) {
            longer[i] = (byte) ('0' + random.nextInt(10));
        }
        return longer;
    }

    /** {@code text} with one byte put in or changed, a digit as often as not. */
    private static byte[] withAnotherByte(byte[] text, java.util.Random random) {
        int at = random.nextInt(text.length + 1);
        byte b = (byte) (random.nextBoolean() ? '0' + random.nextInt(10) : random.nextInt(256));
        if (at < text.length && random.nextBoolean()) {
            byte[] changed = text.clone();
            changed[at] = b;
            return changed;
        }
        byte[] longer = new byte[text.length + 1];
        System.arraycopy(text, 0, longer, 0, at);
        longer[at] = b;
        System.arraycopy(text, at, longer, at + 1, text.length - at);
        return longer;
    }

    /** {@code text} with some of its runs of digits, wherever they are, replaced by others of 1 to 3 digits. */
    private static byte[] withOtherDigits(byte[] text, java.util.Random random) {
        java.io.ByteArrayOutputStream sql = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < text.length; ) {
            if (text[i] < '0' || text[i] > '9') {
                sql.write(text[i++]);
                continue;
            }
            int end = i;
            while (end < text.length && text[end] >= '0' && text[end] <= '9') {
                end++;
            }
            if (random.nextBoolean()) {
                for (int digits = random.nextInt(3) + 1; digits > 0; digits--) {
                    sql.write('0' + random.nextInt(10));
                }
            } else {
                sql.write(text, i, end - i);
            }
            i = end;
        }
        return sql.toByteArray();
    }
}
