package dev.eryx.packages;

import static dev.eryx.packages.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.eryx.PythonPackages;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which wheel tags the guest (CPython 3.14 on wasm32-wasip1) accepts. */
class WheelTagsTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(
            strings = {
                "py3-none-any",
                "py2.py3-none-any",
                "py314-none-any",
                "py38-none-any",
                "cp314-none-any",
                "cp310.cp311-none-any",
                "py3-none-win_amd64.any"
            })
    void pureTagsAreAccepted(String tags) throws IOException {
        Path wheel = TestWheel.of("demo", "1.0").tags(tags).file("demo.py", "x = 1\n").write(dir);

        assertEquals("[demo 1.0]", PythonPackages.of(wheel).list().toString());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "cp312-cp312-manylinux_2_17_x86_64",
                "cp314-cp314-win_amd64",
                "py3-none-macosx_11_0_arm64",
                "cp38-abi3-any",
                "py2-none-any",
                "cp315-none-any",
                "py315-none-any",
                "pp310-none-any"
            })
    void otherTagsAreRefusedAsNative(String tags) throws IOException {
        TestWheel wheel = TestWheel.of("demo", "1.0").tags(tags).file("demo.py", "x = 1\n");
        Path file = wheel.write(dir);

        assertRefused(() -> PythonPackages.of(file), wheel.fileName(), "tag " + tags, "native");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo-1.0.whl", "demo-1.0-py3-none.whl", "demo-1.0-x-py3-none-any.whl"})
    void malformedNamesAreRefused(String name) throws IOException {
        Path file = TestWheel.of("demo", "1.0").file("demo.py", "").write(dir, name);

        assertRefused(() -> PythonPackages.of(file), name, "not a valid wheel file name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo-1.0-1-py3-none-any.whl", "Demo_Pkg-1.0-py3-none-any.whl"})
    void buildTagsAndEscapedNamesAreRead(String name) throws IOException {
        boolean escaped = name.startsWith("Demo");
        TestWheel wheel =
                TestWheel.of(escaped ? "Demo_Pkg" : "demo", "1.0")
                        .metadataName(escaped ? "Demo-Pkg" : "demo")
                        .file("demo.py", "");
        Path file = wheel.write(dir, name);

        assertEquals("1.0", PythonPackages.of(file).list().get(0).version());
    }
}
