package dev.jobs.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The example server's data directory: the H2 database and the generated admin token, both the
 * owner's alone. Everything is created with its final permissions (the directory {@code rwx------},
 * each file {@code rw-------}), so there is no moment at which another user of the machine could
 * read it; the process's umask can only narrow them further. On a file system without POSIX
 * permissions (Windows) the files get the platform's defaults.
 */
final class DataDirectory {
    /** Where the admin token came from: given ones and saved ones are not printed again. */
    enum TokenSource {
        /** {@code JOBS_API_TOKEN}. */
        GIVEN,
        /** Read from the token file an earlier start wrote. */
        SAVED,
        /** Made now and written to the token file. */
        GENERATED
    }

    record ApiToken(String value, TokenSource source) {}

    private static final Set<PosixFilePermission> OWNER_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private final Path path;
    private final boolean posix;

    private DataDirectory(Path path, boolean posix) {
        this.path = path;
        this.posix = posix;
    }

    /** The directory, created for its owner alone if it does not exist yet. */
    static DataDirectory open(Path path) {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        try {
            if (!Files.isDirectory(path)) {
                Files.createDirectories(path, attributes(posix, OWNER_DIRECTORY));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the data directory " + path + " cannot be created: " + e.getMessage(), e);
        }
        return new DataDirectory(path, posix);
    }

    Path path() {
        return path;
    }

    Path tokenFile() {
        return path.resolve("api-token");
    }

    /**
     * A warning if others on this machine can reach into the directory, which the user chose and
     * the server leaves as it found it.
     */
    Optional<String> openToOthers() {
        if (!posix) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
            if (permissions.stream().anyMatch(OTHERS::contains)) {
                return Optional.of("the data directory " + path + " is open to other users ("
                        + PosixFilePermissions.toString(permissions) + "); run chmod 700 on it to keep the"
                        + " database and the token yours alone");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("the permissions of the data directory " + path + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * The JDBC URL of the H2 database here. Its file is created empty for the owner alone before
     * H2 first opens it, which H2 then fills, keeping the permissions.
     */
    String h2Url() {
        Path database = path.resolve("jobs.mv.db");
        try {
            Files.createFile(database, attributes(posix, OWNER_FILE));
        } catch (FileAlreadyExistsException e) {
            // An earlier start's database: kept as it is.
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the database file " + database + " cannot be created: " + e.getMessage(), e);
        }
        // The store closes the database on stop; H2's own exit hook would close it under running jobs.
        // H2's trace file is off: H2 would create it readable by others (the process's umask), and
        // it holds the statements that failed; the store logs each failure without its values.
        // H2 writes a commit to its file up to half a second later unless told otherwise
        // (WRITE_DELAY): a server killed in that half second would lose work it had recorded.
        return "jdbc:h2:file:" + path.resolve("jobs") + ";DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0;WRITE_DELAY=0";
    }

    /** The token given, else the one saved by an earlier start, else a new random one, saved. */
    ApiToken token(Optional<String> given) {
        if (given.isPresent()) {
            return new ApiToken(given.get(), TokenSource.GIVEN);
        }
        Path file = tokenFile();
        try {
            if (Files.exists(file)) {
                String saved = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (saved.length() >= Settings.MIN_TOKEN_LENGTH) {
                    return new ApiToken(saved, TokenSource.SAVED);
                }
            }
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            // Written whole to a file that is the owner's from its creation, then moved into place,
            // so the token file is never readable by others nor ever half-written.
            Path written = Files.createTempFile(path, "api-token", ".new", attributes(posix, OWNER_FILE));
            try {
                Files.writeString(written, token + System.lineSeparator(), StandardCharsets.UTF_8);
                Files.move(written, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(written);
            }
            return new ApiToken(token, TokenSource.GENERATED);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the API token file " + file + " cannot be read or written: " + e.getMessage(), e);
        }
    }

    private static FileAttribute<?>[] attributes(boolean posix, Set<PosixFilePermission> permissions) {
        return posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
                : new FileAttribute<?>[0];
    }
}
