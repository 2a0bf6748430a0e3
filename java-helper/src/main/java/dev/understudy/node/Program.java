package dev.understudy.node;

import dev.understudy.cli.BadInputException;
import dev.understudy.common.Command;
import dev.understudy.config.Section;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A program an adapter runs (a node's console, a lite client, an operator's command): an argv from the config,
 * run without a shell and killed with its children at its timeout. Errors name {@code name}, the program, the
 * exit code and the end of its stderr.
 */
public record Program(String name, List<String> argv, Duration timeout, Map<String, String> env) {
    public Program {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    /** The argv at {@code key} of {@code s}: required, and its program an absolute path (no shell, no PATH lookup). */
    public static Program fromConfig(Section s, String key, String name, Duration timeout, Map<String, String> env)
            throws BadInputException {
        List<String> argv = s.strings(key);
        if (argv.isEmpty()) {
            throw s.error(key, "is required: the command (argv list) for " + name);
        }
        if (!argv.get(0).startsWith("/")) {
            throw s.error(key, "the program must be an absolute path (no shell, no PATH lookup), got '" + argv.get(0) + "'");
        }
        return new Program(name, argv, timeout, env);
    }

    /** Where an answer came from, for error messages: the name and the program. */
    public String source() {
        return name + " (" + argv.get(0) + ")";
    }

    /** Runs the argv followed by {@code args}, with {@code {key}} placeholders in the configured argv replaced. */
    public Command.Result result(List<String> args, Map<String, String> placeholders) throws NodeException {
        List<String> full = new ArrayList<>();
        for (String a : argv) {
            for (Map.Entry<String, String> v : placeholders.entrySet()) {
                a = a.replace("{" + v.getKey() + "}", v.getValue());
            }
            full.add(a);
        }
        full.addAll(args);
        try {
            return Command.run(full, env, timeout);
        } catch (Command.Failure e) {
            throw NodeException.unavailable(name + ": " + e.getMessage(), e);
        }
    }

    /** The error for an exit code the caller does not accept. */
    public NodeException failed(Command.Result r) {
        return NodeException.unavailable(source() + " exited " + r.exit() + (r.stderrTail().isEmpty() ? "" : ": " + r.stderrTail()), null);
    }

    /** As {@link #result}; its stdout on exit 0, an error otherwise. */
    public String output(List<String> args, Map<String, String> placeholders) throws NodeException {
        Command.Result r = result(args, placeholders);
        if (r.exit() != 0) {
            throw failed(r);
        }
        return r.stdout();
    }

    /** Runs it with {@code args} appended; its stdout on exit 0, an error otherwise. */
    public String output(String... args) throws NodeException {
        return output(List.of(args), Map.of());
    }
}
