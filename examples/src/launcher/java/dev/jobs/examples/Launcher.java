package dev.jobs.examples;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * The jar's entry point, compiled for old Java versions on purpose: the engine needs Java 21, but
 * {@code java} on a machine's path may be older while a newer JDK is installed beside it. On Java
 * 21 or newer it runs the server in this process; on an older one it runs the jar again with the
 * newest JDK it finds ({@code JAVA_HOME}, then the usual install folders), or says what to install.
 */
public final class Launcher {
    private static final int NEEDED = 21;
    private static final String SERVER = "dev.jobs.examples.ExampleServer";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (feature(System.getProperty("java.specification.version")) >= NEEDED) {
            Method main = Class.forName(SERVER).getMethod("main", String[].class);
            main.invoke(null, (Object) args);
            return;
        }
        String java = newerJava();
        if (java == null) {
            System.err.println("jobs-example-server: needs Java " + NEEDED + " or newer, and this is Java "
                    + System.getProperty("java.version") + "; install a JDK " + NEEDED
                    + "+ or point JAVA_HOME at one");
            System.exit(1);
        }
        System.err.println(
                "jobs-example-server: Java " + System.getProperty("java.version") + " is too old; running on " + java);
        List<String> command = new ArrayList<String>();
        command.add(java);
        command.add("-jar");
        command.add(new File(Launcher.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .getPath());
        for (String arg : args) {
            command.add(arg);
        }
        final Process child = new ProcessBuilder(command).inheritIO().start();
        // A stop sent to this process (SIGTERM) reaches the server too, which then stops gracefully.
        Runtime.getRuntime().addShutdownHook(new Thread(new Runnable() {
            @Override
            public void run() {
                child.destroy();
                try {
                    child.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        System.exit(child.waitFor());
    }

    /** The newest {@code bin/java} of Java 21 or newer: JAVA_HOME first, then the usual folders. */
    private static String newerJava() {
        String home = System.getenv("JAVA_HOME");
        if (home != null && version(new File(home)) >= NEEDED) {
            return new File(home, "bin/java").getPath();
        }
        File best = null;
        int bestVersion = 0;
        for (String folder :
                new String[] {"/usr/lib/jvm", "/usr/java", "/opt/java", "/Library/Java/JavaVirtualMachines"}) {
            File[] jdks = new File(folder).listFiles();
            if (jdks == null) {
                continue;
            }
            for (File jdk : jdks) {
                File candidate = new File(jdk, "Contents/Home").isDirectory() ? new File(jdk, "Contents/Home") : jdk;
                int version = version(candidate);
                if (version >= NEEDED && version > bestVersion) {
                    best = candidate;
                    bestVersion = version;
                }
            }
        }
        return best == null ? null : new File(best, "bin/java").getPath();
    }

    /** A JDK's feature version from its {@code release} file; 0 when it has none or is not a JDK. */
    private static int version(File home) {
        File release = new File(home, "release");
        if (!release.isFile() || !new File(home, "bin/java").canExecute()) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(release.toPath())) {
                if (line.startsWith("JAVA_VERSION=")) {
                    return feature(line.substring("JAVA_VERSION=".length()).replace("\"", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    /** 17 from "17.0.9", 8 from "1.8.0_392". */
    private static int feature(String version) {
        String[] parts = version.split("[._+-]");
        try {
            int first = Integer.parseInt(parts[0]);
            return first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
