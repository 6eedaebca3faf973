package dev.eryx.cli;

import dev.eryx.NetworkPolicy;
import java.nio.file.Files;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.Map;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Picocli converters; their messages end up in "Invalid value for option '--x': ...". */
final class Converters {
    private Converters() {}

    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A duration that must be one: {@code none} is refused. */
    static final class FiniteDurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d;
            try {
                d = Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
            if (d.equals(Durations.NONE)) {
                throw new TypeConversionException("'" + value + "': give a duration such as 30s");
            }
            return d;
        }
    }

    static final class FuelConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            long fuel;
            try {
                fuel = Long.parseLong(value.trim().replace("_", ""));
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a whole number");
            }
            if (fuel <= 0) {
                throw new TypeConversionException("'" + value + "' must be positive");
            }
            return fuel;
        }
    }

    /** {@code KEY=VALUE}; the value may contain '=' and be empty. */
    static final class EnvConverter implements ITypeConverter<Map.Entry<String, String>> {
        @Override
        public Map.Entry<String, String> convert(String value) {
            int eq = value.indexOf('=');
            if (eq < 0) {
                throw new TypeConversionException("'" + value + "' is not KEY=VALUE");
            }
            return new AbstractMap.SimpleImmutableEntry<>(
                    value.substring(0, eq), value.substring(eq + 1));
        }
    }

    /** An {@code allowHost} pattern, checked as the library checks it. */
    static final class HostConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                return NetworkPolicy.builder().allowHost(value).build().allowedHosts().get(0);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class SecretConverter implements ITypeConverter<SecretOption> {
        @Override
        public SecretOption convert(String value) {
            try {
                return SecretOption.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class VolumeConverter implements ITypeConverter<Volume> {
        @Override
        public Volume convert(String value) {
            Volume volume;
            try {
                volume = Volume.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
            if (!Files.isDirectory(volume.hostDir())) {
                throw new TypeConversionException(
                        "'" + value + "': no such host directory: " + volume.hostDir());
            }
            return volume;
        }
    }
}
