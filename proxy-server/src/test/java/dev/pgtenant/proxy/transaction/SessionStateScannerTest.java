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
            "/* comment; */ SET work_mem TO 1 | SET work_mem"})
    void findsSessionState(String sql, String expected) {
        assertThat(SessionStateScanner.sessionState(sql)).contains(expected);
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
    }

    @Test
    void onlyTheWordsAnyCheckLooksAtAreKept() {
        assertThat(SessionStateScanner.statements(
                "SELECT abalance FROM pgbench_accounts WHERE aid = 1; set search_path to x, y; "
                        + "select * into temp t from u; discard ALL"))
                .containsExactly(List.of("", "", "", "", "", ""), List.of("set", "search_path", "to", "x", ""),
                        List.of("", "into", "temp", "", "", ""), List.of("discard", "all"));
    }
}
