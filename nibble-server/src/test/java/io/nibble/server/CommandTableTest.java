package io.nibble.server;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.models.command.CommandDetail;
import io.lettuce.core.models.command.CommandDetailParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The command table as clients see it (COMMAND and its subcommands, arity and subcommand errors), the statistics
 * kept per command and per error code (INFO commandstats and errorstats), and the slow log.
 */
class CommandTableTest {
    /** Every command is slow enough for this log, which keeps the newest 4 entries. */
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2, config -> {
        config.slowlogLogSlowerThan = 0;
        config.slowlogMaxLen = 4;
    });

    private static Jedis client() {
        return SERVER.client();
    }

    private static ProtocolCommand raw(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return () -> bytes;
    }

    /** Sends a command and returns its reply, or the error's message. */
    private static Object call(Jedis j, String name, String... args) {
        try {
            return j.sendCommand(raw(name), args);
        } catch (JedisDataException e) {
            return e.getMessage();
        }
    }

    @Test
    void everyCommandInTheTableIsServedWithoutDroppingTheConnection() {
        List<String> skipped = List.of("shutdown", "quit", "client|kill", "monitor");
        int served = 0;
        try (Jedis j = client()) {
            for (CommandTable.Command c : CommandTable.commands()) {
                List<CommandTable.Command> variants = c.isContainer()
                        ? new ArrayList<>(c.subcommands().values()) : List.of(c);
                for (CommandTable.Command v : variants) {
                    if (skipped.contains(v.fullName())) {
                        continue;
                    }
                    List<String> args = new ArrayList<>();
                    if (c.isContainer()) {
                        args.add(v.name());
                    }
                    while (args.size() + 1 < Math.abs(v.arity())) {
                        args.add("1");
                    }
                    try {
                        call(j, c.name(), args.toArray(String[]::new));
                    } catch (JedisConnectionException e) {
                        fail(v.fullName() + " " + args + " closed the connection", e);
                    }
                    if (v.name().equals("MULTI")) {
                        call(j, "DISCARD");
                    }
                    served++;
                }
            }
            assertEquals("PONG", j.ping(), "the connection survived every command");
        }
        assertTrue(served > 70, "covers commands and subcommands: " + served);
    }

    /**
     * Random argument lists for every command and subcommand, of every length around its arity: whatever a client
     * sends, it gets a reply (an error at worst) and its connection stays open.
     */
    @Test
    void randomArgumentsNeverBreakTheConnection() {
        // These end, change or block connections by design (WAIT, CLIENT PAUSE); their own tests cover them.
        List<String> skipped = List.of("shutdown", "quit", "client|kill", "reset", "monitor", "client|reply", "wait",
                "client|pause");
        List<CommandTable.Command> targets = new ArrayList<>();
        for (CommandTable.Command c : CommandTable.commands()) {
            targets.addAll(c.isContainer() ? c.subcommands().values() : List.of(c));
        }
        targets.removeIf(c -> skipped.contains(c.fullName()));
        String[] pool = {"k", "k2", "0", "1", "-1", "2", "10", "-100", "99999999999999999999", "1.5", "x", "",
            "NX", "XX", "GT", "LT", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "PERSIST", "MATCH", "COUNT",
            "TYPE", "string", "*", "BIT", "BYTE", "IDX", "LEN", "MINMATCHLEN", "WITHMATCHLEN", "REPLACE", "DB",
            "AND", "NOT", "ID", "ADDR", "SAMPLES", "FILTERBY", "ACLCAT", "PATTERN", "get", "client|list",
            "ON", "OFF", "maxmemory", "LIB-NAME", "\u0000", "é"};
        java.util.Random random = new java.util.Random(42);
        try (Jedis j = client()) {
            for (int i = 0; i < 3000; i++) {
                CommandTable.Command c = targets.get(random.nextInt(targets.size()));
                int length = Math.max(1, Math.abs(c.arity()) + random.nextInt(5) - 2);
                List<String> args = new ArrayList<>();
                String top = c.fullName().contains("|") ? c.fullName().substring(0, c.fullName().indexOf('|')) : null;
                if (top != null) {
                    args.add(c.name());
                }
                while (args.size() + 1 < length) {
                    args.add(pool[random.nextInt(pool.length)]);
                }
                String name = top != null ? top : c.name();
                try {
                    call(j, name, args.toArray(String[]::new));
                } catch (JedisConnectionException e) {
                    fail(name + " " + args + " closed the connection", e);
                }
                if (name.equals("MULTI")) {
                    call(j, "DISCARD");
                }
            }
            assertEquals("PONG", j.ping());
        }
    }

    @Test
    void commandInfoAsLettuceParsesIt() {
        RedisClient redis = RedisClient.create("redis://127.0.0.1:" + SERVER.port());
        try (StatefulRedisConnection<String, String> connection = redis.connect()) {
            List<CommandDetail> all = CommandDetailParser.parse(connection.sync().command());
            assertEquals(CommandTable.commands().size(), all.size());
            assertEquals(all.size(), connection.sync().commandCount().intValue());
            CommandDetail mset = CommandDetailParser.parse(connection.sync().commandInfo("mset")).get(0);
            assertEquals("mset", mset.getName());
            assertEquals(-3, mset.getArity());
            assertEquals(1, mset.getFirstKeyPosition());
            assertEquals(-1, mset.getLastKeyPosition());
            assertEquals(2, mset.getKeyStepCount());
            assertTrue(mset.getFlags().contains(CommandDetail.Flag.WRITE));
            assertTrue(mset.getFlags().contains(CommandDetail.Flag.DENYOOM));
            CommandDetail get = CommandDetailParser.parse(connection.sync().commandInfo("GET")).get(0);
            assertTrue(get.getFlags().contains(CommandDetail.Flag.READONLY));
            assertTrue(get.getFlags().contains(CommandDetail.Flag.FAST));
        } finally {
            redis.shutdown();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void commandSubcommandsAnswerAsRedisDoes() {
        try (Jedis j = client()) {
            List<Object> info = (List<Object>) call(j, "COMMAND", "INFO", "client|list", "nosuch");
            assertEquals(2, info.size());
            List<Object> clientList = (List<Object>) info.get(0);
            assertEquals("client|list", text(clientList.get(0)));
            assertEquals(-2L, clientList.get(1));
            assertNull(info.get(1), "an unknown name answers nil");

            List<Object> client = (List<Object>) ((List<Object>) call(j, "COMMAND", "INFO", "client")).get(0);
            List<Object> subs = (List<Object>) client.get(9);
            assertTrue(subs.stream().anyMatch(s -> text(((List<Object>) s).get(0)).equals("client|setname")));

            List<String> keys = ((List<Object>) call(j, "COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"))
                    .stream().map(CommandTableTest::text).toList();
            assertEquals(List.of("a", "b"), keys);
            assertEquals(List.of("k"), ((List<Object>) call(j, "COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k"))
                    .stream().map(CommandTableTest::text).toList());
            assertEquals("ERR The command has no key arguments", call(j, "COMMAND", "GETKEYS", "PING"));
            assertEquals("ERR Invalid command specified", call(j, "COMMAND", "GETKEYS", "NOSUCH", "x"));
            assertEquals("ERR Invalid number of arguments specified for command",
                    call(j, "COMMAND", "GETKEYS", "GET"));

            List<String> names = ((List<Object>) call(j, "COMMAND", "LIST")).stream()
                    .map(CommandTableTest::text).toList();
            assertTrue(names.containsAll(List.of("get", "set", "client|list", "config|get", "slowlog|get")));
            List<String> strings = ((List<Object>) call(j, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"))
                    .stream().map(CommandTableTest::text).toList();
            assertTrue(strings.contains("incrbyfloat") && !strings.contains("del"), strings.toString());
            assertEquals(List.of("getdel", "getex"), ((List<Object>) call(j, "COMMAND", "LIST", "FILTERBY",
                    "PATTERN", "get[de]*")).stream().map(CommandTableTest::text).sorted().toList());

            List<Object> docs = (List<Object>) call(j, "COMMAND", "DOCS", "get", "nosuch");
            assertEquals(2, docs.size(), "unknown names are left out");
            assertEquals("get", text(docs.get(0)));
            List<String> fields = ((List<Object>) docs.get(1)).stream().map(CommandTableTest::text).toList();
            assertEquals("Returns the string value of a key.", fields.get(fields.indexOf("summary") + 1));
            assertEquals("string", fields.get(fields.indexOf("group") + 1));

            assertFalse(((List<Object>) call(j, "COMMAND", "HELP")).isEmpty());
            assertFalse(((List<Object>) call(j, "CLIENT", "HELP")).isEmpty());
            assertFalse(((List<Object>) call(j, "CONFIG", "HELP")).isEmpty());
        }
    }

    @Test
    void unknownSubcommandsAndWrongArityAreRefusedInRedisWords() {
        try (Jedis j = client()) {
            assertEquals("ERR unknown subcommand 'nope'. Try CLIENT HELP.", call(j, "CLIENT", "nope"));
            assertEquals("ERR wrong number of arguments for 'client' command", call(j, "CLIENT"));
            assertEquals("ERR wrong number of arguments for 'client|setname' command",
                    call(j, "CLIENT", "SETNAME"));
            assertEquals("ERR wrong number of arguments for 'get' command", call(j, "GET", "a", "b"));
            assertTrue(text(call(j, "NOSUCH", "x")).startsWith("ERR unknown command 'NOSUCH'"));
        }
    }

    @Test
    void aRefusedCommandInsideMultiAbortsTheTransaction() {
        try (Jedis j = client()) {
            assertEquals("OK", text(call(j, "MULTI")));
            assertEquals("QUEUED", text(call(j, "SET", "k", "v")));
            assertEquals("ERR wrong number of arguments for 'get' command", call(j, "GET"));
            assertEquals("ERR Command not allowed inside a transaction", call(j, "SHUTDOWN"));
            assertEquals("EXECABORT Transaction discarded because of previous errors.", call(j, "EXEC"));
            assertNull(j.get("k"), "nothing of an aborted transaction ran");
        }
    }

    @Test
    void infoCountsCallsFailuresRejectionsAndErrorCodes() {
        try (Jedis j = client()) {
            j.configResetStat();
            j.set("n", "1");
            j.set("s", "text");
            for (int i = 0; i < 5; i++) {
                j.incr("n");
            }
            assertThrows(JedisDataException.class, () -> j.incr("s"));
            call(j, "INCR");
            call(j, "NOSUCH");
            Map<String, String> stats = fields(j.info("commandstats"), "cmdstat_");
            assertTrue(stats.get("incr").startsWith("calls=6,"), stats.get("incr"));
            assertTrue(stats.get("incr").endsWith(",rejected_calls=1,failed_calls=1"), stats.get("incr"));
            assertTrue(stats.get("set").startsWith("calls=2,"), stats.get("set"));
            assertTrue(stats.get("config|resetstat").startsWith("calls=1,"), stats.get("config|resetstat"));
            assertNull(stats.get("get"), "only commands that ran are listed");

            Map<String, String> errors = fields(j.info("errorstats"), "errorstat_");
            assertEquals("count=3", errors.get("ERR"), "INCR on text, INCR without a key, an unknown command");
            assertTrue(j.info("stats").contains("total_error_replies:3\r\n"), j.info("stats"));
            assertFalse(j.info().contains("# Commandstats"), "the default INFO leaves commandstats out");
            assertTrue(j.info("everything").contains("cmdstat_incr:"));
            String two = text(call(j, "INFO", "server", "clients"));
            assertTrue(two.contains("# Server") && two.contains("# Clients") && !two.contains("# Memory"));

            j.configResetStat();
            assertTrue(fields(j.info("errorstats"), "errorstat_").isEmpty());
            assertNull(fields(j.info("commandstats"), "cmdstat_").get("incr"));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theSlowLogKeepsTheNewestEntriesWithShortenedArguments() {
        try (Jedis j = client()) {
            j.clientSetname("logger");
            assertEquals("OK", text(call(j, "SLOWLOG", "RESET")));
            String big = "x".repeat(200);
            j.set("big", big);
            String[] many = new String[40];
            Arrays.fill(many, "k");
            j.exists(many);
            j.get("last");
            // RESET logged itself after clearing; SET, EXISTS and GET followed; LEN answers before it is logged.
            assertEquals(4L, call(j, "SLOWLOG", "LEN"));

            List<Object> entries = (List<Object>) call(j, "SLOWLOG", "GET", "-1");
            assertEquals(4, entries.size(), "only the newest slowlog-max-len entries stay: RESET fell off");
            List<Object> newest = (List<Object>) entries.get(0);
            assertEquals(6, newest.size());
            assertEquals(List.of("SLOWLOG", "LEN"), arguments(newest));
            assertTrue(text(newest.get(4)).startsWith("127.0.0.1:"));
            assertEquals("logger", text(newest.get(5)));
            long newestId = (Long) newest.get(0);
            assertEquals(newestId - 1, (Long) ((List<Object>) entries.get(1)).get(0), "newest first, ids in order");
            assertEquals(List.of("GET", "last"), arguments((List<Object>) entries.get(1)));

            List<String> exists = arguments((List<Object>) entries.get(2));
            assertEquals(SlowLog.MAX_ARGUMENTS, exists.size());
            assertEquals("... (10 more arguments)", exists.get(SlowLog.MAX_ARGUMENTS - 1));
            assertEquals("x".repeat(SlowLog.MAX_ARGUMENT_BYTES) + "... (72 more bytes)",
                    arguments((List<Object>) entries.get(3)).get(2));

            assertEquals(1, ((List<Object>) call(j, "SLOWLOG", "GET", "1")).size());
            assertEquals("ERR count should be greater than or equal to -1", call(j, "SLOWLOG", "GET", "-2"));
            call(j, "SLOWLOG", "RESET");
            assertEquals(1L, call(j, "SLOWLOG", "LEN"), "only the RESET itself");
            call(j, "AUTH", "default", "a-password");
            call(j, "HELLO", "2", "AUTH", "default", "another-password", "SETNAME", "logger");
            List<Object> last = (List<Object>) call(j, "SLOWLOG", "GET", "2");
            List<String> hello = arguments((List<Object>) last.get(0));
            List<String> auth = arguments((List<Object>) last.get(1));
            assertEquals(List.of("HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "logger"), hello);
            assertEquals(List.of("AUTH", "(redacted)", "(redacted)"), auth, "passwords never reach the slow log");
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> arguments(List<Object> entry) {
        return ((List<Object>) entry.get(3)).stream().map(CommandTableTest::text).toList();
    }

    private static Map<String, String> fields(String info, String prefix) {
        Map<String, String> found = new java.util.HashMap<>();
        Matcher m = Pattern.compile(Pattern.quote(prefix) + "([^:]+):(\\S+)").matcher(info);
        while (m.find()) {
            found.put(m.group(1), m.group(2));
        }
        return found;
    }

    private static String text(Object reply) {
        assertNotNull(reply);
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply.toString();
    }
}
