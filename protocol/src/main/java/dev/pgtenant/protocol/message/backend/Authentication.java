package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** The Authentication* family ('R'): one record per request code. */
public sealed interface Authentication extends BackendMessage {

    int OK = 0;
    int KERBEROS_V5 = 2;
    int CLEARTEXT_PASSWORD = 3;
    int MD5_PASSWORD = 5;
    int GSS = 7;
    int GSS_CONTINUE = 8;
    int SSPI = 9;
    int SASL = 10;
    int SASL_CONTINUE = 11;
    int SASL_FINAL = 12;

    int code();

    @Override
    default byte type() {
        return 'R';
    }

    @Override
    default void writeBody(ByteBuf out) {
        out.writeInt(code());
        writeData(out);
    }

    default void writeData(ByteBuf out) {
    }

    static Authentication decode(MessageReader in) {
        int code = in.readInt();
        return switch (code) {
            case OK -> new Ok();
            case KERBEROS_V5 -> new KerberosV5();
            case CLEARTEXT_PASSWORD -> new CleartextPassword();
            case MD5_PASSWORD -> new Md5Password(in.readBytes(4));
            case GSS -> new Gss();
            case GSS_CONTINUE -> new GssContinue(in.readRest());
            case SSPI -> new Sspi();
            case SASL -> new Sasl(readMechanisms(in));
            case SASL_CONTINUE -> new SaslContinue(in.readRest());
            case SASL_FINAL -> new SaslFinal(in.readRest());
            default -> throw in.malformed("unknown authentication request code " + code);
        };
    }

    private static List<String> readMechanisms(MessageReader in) {
        List<String> mechanisms = new ArrayList<>();
        for (String name = in.readCString(); !name.isEmpty(); name = in.readCString()) {
            mechanisms.add(name);
        }
        return mechanisms;
    }

    record Ok() implements Authentication {
        @Override
        public int code() {
            return OK;
        }
    }

    record KerberosV5() implements Authentication {
        @Override
        public int code() {
            return KERBEROS_V5;
        }
    }

    record CleartextPassword() implements Authentication {
        @Override
        public int code() {
            return CLEARTEXT_PASSWORD;
        }
    }

    /** Asks for an MD5 password hashed with this four-byte salt. */
    record Md5Password(ByteString salt) implements Authentication {
        public Md5Password {
            if (salt.length() != 4) {
                throw new IllegalArgumentException("an MD5 salt has 4 bytes, not " + salt.length());
            }
        }

        @Override
        public int code() {
            return MD5_PASSWORD;
        }

        @Override
        public void writeData(ByteBuf out) {
            salt.writeTo(out);
        }
    }

    record Gss() implements Authentication {
        @Override
        public int code() {
            return GSS;
        }
    }

    record GssContinue(ByteString data) implements Authentication {
        @Override
        public int code() {
            return GSS_CONTINUE;
        }

        @Override
        public void writeData(ByteBuf out) {
            data.writeTo(out);
        }
    }

    record Sspi() implements Authentication {
        @Override
        public int code() {
            return SSPI;
        }
    }

    /** Starts a SASL exchange, listing the mechanisms the server accepts in order of preference. */
    record Sasl(List<String> mechanisms) implements Authentication {
        public Sasl {
            mechanisms = List.copyOf(mechanisms);
            mechanisms.forEach(m -> {
                MessageWriter.requireCString(m, "mechanism");
                if (m.isEmpty()) {
                    throw new IllegalArgumentException("a mechanism name must not be empty");
                }
            });
        }

        @Override
        public int code() {
            return SASL;
        }

        @Override
        public void writeData(ByteBuf out) {
            mechanisms.forEach(m -> MessageWriter.writeCString(out, m));
            out.writeByte(0);
        }
    }

    record SaslContinue(ByteString data) implements Authentication {
        @Override
        public int code() {
            return SASL_CONTINUE;
        }

        @Override
        public void writeData(ByteBuf out) {
            data.writeTo(out);
        }
    }

    record SaslFinal(ByteString data) implements Authentication {
        @Override
        public int code() {
            return SASL_FINAL;
        }

        @Override
        public void writeData(ByteBuf out) {
            data.writeTo(out);
        }
    }
}
