package dev.jobs.queue.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One of the queue's Lua scripts, run by its SHA-1 digest. A Redis that restarted, failed over or
 * was flushed of its scripts answers NOSCRIPT; the script is then sent whole, which also caches it
 * there again.
 */
final class Script {
    private final String name;
    private final String source;
    private final ScriptOutputType output;
    private volatile String digest;

    private Script(String name, String source, ScriptOutputType output) {
        this.name = name;
        this.source = source;
        this.output = output;
    }

    static Script load(String name, ScriptOutputType output) {
        try (InputStream in = Script.class.getResourceAsStream(name + ".lua")) {
            if (in == null) {
                throw new IllegalStateException("script " + name + ".lua is missing from the jobs-queue-redis jar");
            }
            return new Script(name, new String(in.readAllBytes(), StandardCharsets.UTF_8), output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read script " + name + ".lua", e);
        }
    }

    <T> T run(RedisClusterCommands<String, String> commands, List<String> keys, List<String> args) {
        String[] keyArray = keys.toArray(String[]::new);
        String[] argArray = args.toArray(String[]::new);
        if (digest == null) {
            digest = commands.digest(source);
        }
        try {
            return commands.evalsha(digest, output, keyArray, argArray);
        } catch (RedisNoScriptException e) {
            return commands.eval(source, output, keyArray, argArray);
        }
    }

    @Override
    public String toString() {
        return name + ".lua";
    }
}
