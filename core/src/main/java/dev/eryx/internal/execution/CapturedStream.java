package dev.eryx.internal.execution;

import dev.eryx.internal.net.secrets.Redactor;
import dev.eryx.internal.net.secrets.SecretSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * One guest output stream of one execution: keeps the raw bytes for the result and streams decoded
 * text to a listener and the bytes themselves to a byte listener as they arrive. Decoding is
 * incremental so a UTF-8 sequence split across two writes still decodes to one character; invalid
 * bytes become U+FFFD.
 */
final class CapturedStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Consumer<String> listener;
    private final Consumer<byte[]> bytesListener;
    private final OutputBudget budget;
    private final CharsetDecoder decoder;
    private final CharBuffer chars = CharBuffer.allocate(8192);
    private ByteBuffer carry = ByteBuffer.allocate(0);

    /**
     * Where guest bytes go first: the secrets' redactor (matching across writes), then {@link
     * #accept}; the same as {@link #sink} when the sandbox has no secrets.
     */
    private final OutputStream redacting;

    private final OutputStream sink =
            new OutputStream() {
                @Override
                public void write(int b) {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    accept(b, off, len);
                }
            };

    CapturedStream(Consumer<String> listener, Consumer<byte[]> bytesListener, OutputBudget budget) {
        this(listener, bytesListener, budget, SecretSet.none().redactor());
    }

    CapturedStream(
            Consumer<String> listener,
            Consumer<byte[]> bytesListener,
            OutputBudget budget,
            Redactor redactor) {
        this.redacting = redactor.wrap(sink);
        this.listener = listener;
        this.bytesListener = bytesListener;
        this.budget = budget;
        this.decoder =
                listener == null
                        ? null
                        : StandardCharsets.UTF_8
                                .newDecoder()
                                .onMalformedInput(CodingErrorAction.REPLACE)
                                .onUnmappableCharacter(CodingErrorAction.REPLACE);
    }

    /**
     * Accepts guest bytes, keeping what fits the budget; the rest is dropped (see {@link
     * OutputBudget}).
     */
    void write(byte[] data, int offset, int length) {
        try {
            redacting.write(data, offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the sink does not throw
        }
    }

    private void accept(byte[] data, int offset, int length) {
        int granted = budget.take(length);
        bytes.write(data, offset, granted);
        if (bytesListener != null && granted > 0) {
            bytesListener.accept(Arrays.copyOfRange(data, offset, offset + granted));
        }
        if (decoder != null && granted > 0) {
            stream(data, offset, granted, false);
        }
    }

    /** Flushes any partial character to the listener and returns everything written. */
    byte[] finish() {
        try {
            redacting.close(); // what the redactor held back as a possible partial match
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (decoder != null) {
            stream(new byte[0], 0, 0, true);
        }
        return bytes.toByteArray();
    }

    private void stream(byte[] data, int offset, int length, boolean endOfInput) {
        ByteBuffer in;
        if (carry.hasRemaining()) {
            in = ByteBuffer.allocate(carry.remaining() + length);
            in.put(carry).put(data, offset, length).flip();
        } else {
            in = ByteBuffer.wrap(data, offset, length);
        }
        while (true) {
            boolean overflow = decoder.decode(in, chars, endOfInput).isOverflow();
            if (endOfInput && !overflow) {
                decoder.flush(chars);
            }
            emit();
            if (!overflow) {
                break;
            }
        }
        carry = ByteBuffer.allocate(in.remaining()).put(in).flip();
        if (endOfInput) {
            decoder.reset();
        }
    }

    private void emit() {
        chars.flip();
        if (chars.hasRemaining()) {
            listener.accept(chars.toString());
        }
        chars.clear();
    }
}
