package dev.pgtenant.protocol;

/**
 * The SQLSTATE codes pgtenant itself reports to clients. Codes relayed from a backend are passed
 * through as text and never need to be listed here.
 */
public enum SqlState {
    CONNECTION_EXCEPTION("08000"),
    CONNECTION_FAILURE("08006"),
    UNABLE_TO_ESTABLISH_CONNECTION("08001"),
    PROTOCOL_VIOLATION("08P01"),
    FEATURE_NOT_SUPPORTED("0A000"),
    INVALID_PARAMETER_VALUE("22023"),
    INVALID_AUTHORIZATION_SPECIFICATION("28000"),
    INVALID_PASSWORD("28P01"),
    INVALID_CATALOG_NAME("3D000"),
    INSUFFICIENT_PRIVILEGE("42501"),
    SYNTAX_ERROR("42601"),
    INSUFFICIENT_RESOURCES("53000"),
    TOO_MANY_CONNECTIONS("53300"),
    PROGRAM_LIMIT_EXCEEDED("54000"),
    QUERY_CANCELED("57014"),
    ADMIN_SHUTDOWN("57P01"),
    CANNOT_CONNECT_NOW("57P03"),
    INTERNAL_ERROR("XX000");

    private final String code;

    SqlState(String code) {
        this.code = code;
    }

    /** The five-character code as it appears in the {@code C} field of an ErrorResponse. */
    public String code() {
        return code;
    }

    @Override
    public String toString() {
        return code;
    }
}
