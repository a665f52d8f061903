package io.nibble;

import org.junit.jupiter.api.Test;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's embedded example, extracted from the README itself, compiles and runs. */
class ReadmeExampleTest {

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        Path readme = findReadme();
        String text = Files.readString(readme);
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(text);
        assertTrue(m.find(), "README.md has no java example");
        String source = m.group(1);
        assertTrue(source.contains("class ReadmeExample"), "the example must be the ReadmeExample class");

        Path dir = Files.createTempDirectory("readme-example");
        Path file = dir.resolve("ReadmeExample.java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String classes = Path.of(Nibble.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-cp", classes, "-d", dir.toString(), file.toString());
        assertEquals(0, rc, () -> "README example does not compile:\n" + diagnostics);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {dir.toUri().toURL()},
                Nibble.class.getClassLoader())) {
            Method main = loader.loadClass("ReadmeExample").getMethod("main", String[].class);
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("hello -> world"), printed);
        assertTrue(printed.contains("keys: 1"), printed);
    }

    private static Path findReadme() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("README.md")) && Files.exists(p.resolve("nibble"))) {
                return p.resolve("README.md");
            }
        }
        throw new AssertionError("README.md not found above " + Path.of("").toAbsolutePath());
    }
}
