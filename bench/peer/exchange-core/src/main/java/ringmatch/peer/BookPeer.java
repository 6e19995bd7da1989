package ringmatch.peer;

import exchange.core2.collections.objpool.ObjectsPool;
import exchange.core2.core.common.CoreSymbolSpecification;
import exchange.core2.core.common.MatcherEventType;
import exchange.core2.core.common.MatcherTradeEvent;
import exchange.core2.core.common.OrderAction;
import exchange.core2.core.common.OrderType;
import exchange.core2.core.common.SymbolType;
import exchange.core2.core.common.cmd.CommandResultCode;
import exchange.core2.core.common.cmd.OrderCommand;
import exchange.core2.core.common.cmd.OrderCommandType;
import exchange.core2.core.common.config.LoggingConfiguration;
import exchange.core2.core.orderbook.IOrderBook;
import exchange.core2.core.orderbook.OrderBookDirectImpl;
import exchange.core2.core.orderbook.OrderBookEventsHelper;
import exchange.core2.core.orderbook.OrderBookNaiveImpl;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs a pre-built book-peer command stream (the binary format in README.md, written by
 * bench/peer/stream.ts) through exchange-core order books and prints one JSON line with the time
 * per command and what the book did (trades, non-success result codes, the final book), so that
 * both the speed and the outcome can be compared with ringmatch. WARMUP fresh books run the
 * whole stream one after another (the last REPS of them timed: {@code sequential_ns_per_cmd});
 * then REPS fresh books walk the stream side by side in turns of TURN commands, the order of the
 * books changing every turn, and each book's time is the sum of its turns ({@code ns_per_cmd}),
 * the way bench/peer/turns.ts runs ringmatch's books.
 *
 * <p>Usage: {@code java -cp target/classes:target/lib/* ringmatch.peer.BookPeer STREAM_FILE REPS WARMUP [direct|naive [TURN]]}
 *
 * <p>Exit codes: 0 ok; 1 a rep's outcome differed from the first rep's, or the book failed;
 * 2 bad arguments or a missing or malformed stream file.
 */
public final class BookPeer {

    static final int MAGIC = 0x53504D52; // the bytes "RMPS" read as a little-endian u32
    static final int VERSION = 1;
    static final int HEADER_BYTES = 16;
    static final int RECORD_BYTES = 48;

    static final int T_PLACE_GTC = 0;
    static final int T_PLACE_IOC = 1;
    static final int T_CANCEL = 2;
    static final int T_MOVE = 3;
    static final int T_REDUCE = 4;

    static final int SYMBOL = 1;
    /** Reserve (risk cap) of every bid: high enough that no move of a bid is refused for it. */
    static final long BID_RESERVE = Long.MAX_VALUE / 4;

    private static final String USAGE =
            "usage: java -cp target/classes:target/lib/* ringmatch.peer.BookPeer STREAM_FILE REPS WARMUP [direct|naive [TURN]]";

    /** A failure reported as one line on stderr, with an exit code. */
    static final class Fail extends Exception {
        final int code;

        Fail(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    /** The stream's records, column by column, as read from the file. */
    static final class Stream {
        int count;
        byte[] type;
        byte[] side;
        long[] orderId;
        long[] uid;
        long[] price;
        long[] size;
    }

    /** Counts by name as a JSON object, in the map's order (result codes here and in PipelinePeer). */
    static String countsJson(Map<String, Long> counts) {
        final StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            if (sb.length() > 1) sb.append(',');
            sb.append('"').append(e.getKey()).append("\":").append(e.getValue());
        }
        return sb.append('}').toString();
    }

    /** What one rep did; every rep of the same stream must produce the same. */
    static final class Outcome {
        long trades;
        long tradeVolume;
        long rejectEvents;
        long rejectVolume;
        final TreeMap<String, Long> results = new TreeMap<>();
        int askOrders;
        int bidOrders;
        long askVolume;
        long bidVolume;

        String resultsJson() {
            return countsJson(results);
        }

        String finalJson() {
            return "{\"askOrders\":" + askOrders + ",\"bidOrders\":" + bidOrders
                    + ",\"askVolume\":" + askVolume + ",\"bidVolume\":" + bidVolume + "}";
        }

        String signature() {
            return "trades=" + trades + " trade_volume=" + tradeVolume + " reject_events=" + rejectEvents
                    + " reject_volume=" + rejectVolume + " results=" + resultsJson() + " final=" + finalJson();
        }
    }

    public static void main(String[] args) {
        try {
            System.out.println(run(args));
        } catch (Fail f) {
            System.err.println("book-peer: " + f.getMessage());
            System.exit(f.code);
        } catch (Throwable t) {
            System.err.println("book-peer: failed: " + t);
            System.exit(1);
        }
    }

    static String run(String[] args) throws Fail {
        if (args.length < 3 || args.length > 5) throw new Fail(2, USAGE);
        final Path file = Path.of(args[0]);
        final int reps = parseCount(args[1], "REPS", 1);
        final int warmup = parseCount(args[2], "WARMUP", 0);
        final String impl = args.length >= 4 ? args[3] : "direct";
        final int turn = args.length == 5 ? parseCount(args[4], "TURN", 1) : 100_000;
        if (!impl.equals("direct") && !impl.equals("naive")) {
            throw new Fail(2, "unknown implementation '" + impl + "' (direct or naive); " + USAGE);
        }

        final Stream stream = readStream(file);
        final OrderCommand[] cmds = buildCommands(stream);
        final CoreSymbolSpecification spec = CoreSymbolSpecification.builder()
                .symbolId(SYMBOL)
                .type(SymbolType.CURRENCY_EXCHANGE_PAIR)
                .baseCurrency(1)
                .quoteCurrency(2)
                .baseScaleK(1)
                .quoteScaleK(1)
                .takerFee(0)
                .makerFee(0)
                .build();

        final List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        final boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        final com.sun.management.OperatingSystemMXBean sunOs =
                os instanceof com.sun.management.OperatingSystemMXBean ? (com.sun.management.OperatingSystemMXBean) os : null;

        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final boolean threadCpu = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();

        // Warm-up: fresh books one after another over the whole stream; the last REPS are timed.
        final int sequentialReps = Math.min(reps, warmup);
        final double[] sequentialNs = new double[sequentialReps];
        String firstSignature = null;
        for (int rep = 0; rep < warmup; rep++) {
            reset(stream, cmds, 0, stream.count);
            final IOrderBook book = newBook(impl, spec);
            final long t0 = System.nanoTime();
            for (final OrderCommand cmd : cmds) {
                cmd.resultCode = IOrderBook.processCommand(book, cmd);
            }
            final long t1 = System.nanoTime();
            if (rep >= warmup - sequentialReps) {
                sequentialNs[rep - (warmup - sequentialReps)] = stream.count == 0 ? 0 : (double) (t1 - t0) / stream.count;
            }
            final Outcome outcome = new Outcome();
            tally(cmds, 0, stream.count, outcome);
            firstSignature = agree(finish(outcome, book).signature(), firstSignature, "warm-up rep " + (rep + 1));
        }

        // The measured runs: REPS fresh books in turns. gc/jit/cpu/wall: one window over all the
        // turns, the untimed resets and tallies between them included (process CPU time moves in
        // 10 ms ticks on Linux: one window keeps that error to one tick). thread CPU: the main
        // thread's, summed over the timed loops only.
        final IOrderBook[] books = new IOrderBook[reps];
        final Outcome[] outcomes = new Outcome[reps];
        final long[] turnNs = new long[reps];
        for (int k = 0; k < reps; k++) {
            books[k] = newBook(impl, spec);
            outcomes[k] = new Outcome();
        }
        final long gc0 = gcMillis(gcs);
        final long jit0 = jitTimed ? jit.getTotalCompilationTime() : 0;
        final long cpu0 = sunOs != null ? sunOs.getProcessCpuTime() : 0;
        final long wall0 = System.nanoTime();
        long threadCpuNs = 0;
        for (int from = 0, t = 0; from < stream.count; from += turn, t++) {
            final int to = (int) Math.min((long) from + turn, stream.count);
            for (int j = 0; j < reps; j++) {
                // turn t starts at book t mod REPS; odd turns go backwards
                final int k = t % 2 == 0 ? (t + j) % reps : ((t - j) % reps + reps) % reps;
                reset(stream, cmds, from, to);
                final IOrderBook book = books[k];
                final long tc0 = threadCpu ? threads.getCurrentThreadCpuTime() : 0;
                final long t0 = System.nanoTime();
                for (int i = from; i < to; i++) {
                    final OrderCommand cmd = cmds[i];
                    cmd.resultCode = IOrderBook.processCommand(book, cmd);
                }
                final long t1 = System.nanoTime();
                if (threadCpu) threadCpuNs += threads.getCurrentThreadCpuTime() - tc0;
                turnNs[k] += t1 - t0;
                tally(cmds, from, to, outcomes[k]);
            }
        }
        final long wallNs = System.nanoTime() - wall0;
        final long cpuNs = sunOs != null ? sunOs.getProcessCpuTime() - cpu0 : 0;
        final long jitMs = jitTimed ? jit.getTotalCompilationTime() - jit0 : 0;
        final long gcMs = gcMillis(gcs) - gc0;
        final double[] nsPerCmd = new double[reps];
        Outcome outcome = null;
        for (int k = 0; k < reps; k++) {
            nsPerCmd[k] = stream.count == 0 ? 0 : (double) turnNs[k] / stream.count;
            outcome = finish(outcomes[k], books[k]);
            firstSignature = agree(outcome.signature(), firstSignature, "run " + (k + 1) + " in turns");
        }

        final double[] sorted = nsPerCmd.clone();
        Arrays.sort(sorted);
        final double median = sorted.length % 2 == 1
                ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;


        return "{\"impl\":\"" + impl + "\""
                + ",\"commands\":" + stream.count
                + ",\"reps\":" + reps
                + ",\"warmup\":" + warmup
                + ",\"turn\":" + turn
                + ",\"ns_per_cmd\":" + numbers(nsPerCmd)
                + ",\"sequential_ns_per_cmd\":" + numbers(sequentialNs)
                + ",\"median_ns_per_cmd\":" + num(median)
                + ",\"min_ns_per_cmd\":" + num(sorted[0])
                + ",\"max_ns_per_cmd\":" + num(sorted[sorted.length - 1])
                + ",\"trades\":" + outcome.trades
                + ",\"results\":" + outcome.resultsJson()
                + ",\"final\":" + outcome.finalJson()
                + ",\"gc_ms\":" + gcMs
                + ",\"jit_ms\":" + (jitTimed ? Long.toString(jitMs) : "null")
                + ",\"cpu_ms\":" + (sunOs != null ? num(cpuNs / 1e6) : "null")
                + ",\"wall_ms\":" + num(wallNs / 1e6)
                + ",\"java\":\"" + jsonEscape(System.getProperty("java.version", "")) + "\""
                + ",\"trade_volume\":" + outcome.tradeVolume
                + ",\"reject_events\":" + outcome.rejectEvents
                + ",\"reject_volume\":" + outcome.rejectVolume
                + ",\"thread_cpu_ms\":" + (threadCpu ? num(threadCpuNs / 1e6) : "null")
                + "}";
    }

    static IOrderBook newBook(String impl, CoreSymbolSpecification spec) {
        final ObjectsPool pool = ObjectsPool.createDefaultTestPool();
        final OrderBookEventsHelper events = OrderBookEventsHelper.NON_POOLED_EVENTS_HELPER;
        return impl.equals("naive")
                ? new OrderBookNaiveImpl(spec, pool, events, LoggingConfiguration.DEFAULT)
                : new OrderBookDirectImpl(spec, pool, events, LoggingConfiguration.DEFAULT);
    }

    static int parseCount(String s, String name, int min) throws Fail {
        try {
            final int v = Integer.parseInt(s);
            if (v >= min) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new Fail(2, name + " must be an integer >= " + min + ", got '" + s + "'; " + USAGE);
    }

    static Stream readStream(Path file) throws Fail {
        final byte[] bytes;
        try {
            if (!Files.exists(file)) throw new Fail(2, file + ": no such stream file");
            if (!Files.isRegularFile(file)) throw new Fail(2, file + ": not a regular file");
            final long length = Files.size(file);
            if (length < HEADER_BYTES) throw new Fail(2, file + ": not a book-peer stream (" + length + " bytes, no header)");
            if (length > Integer.MAX_VALUE - 8) throw new Fail(2, file + ": too large (" + length + " bytes)");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Fail(2, file + ": no such stream file");
        } catch (IOException e) {
            throw new Fail(2, file + ": cannot read: " + e.getMessage());
        }
        final ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < HEADER_BYTES || buf.getInt(0) != MAGIC) {
            throw new Fail(2, file + ": not a book-peer stream (bad magic)");
        }
        final int version = buf.getInt(4);
        if (version != VERSION) throw new Fail(2, file + ": unsupported stream version " + Integer.toUnsignedString(version));
        final long count = Integer.toUnsignedLong(buf.getInt(8));
        if (buf.getInt(12) != 0) throw new Fail(2, file + ": malformed header (reserved field is not 0)");
        final long expected = HEADER_BYTES + count * RECORD_BYTES;
        if (bytes.length != expected) {
            throw new Fail(2, file + ": malformed: " + bytes.length + " bytes for " + count + " records (want " + expected + ")");
        }

        final Stream s = new Stream();
        final int n = (int) count;
        s.count = n;
        s.type = new byte[n];
        s.side = new byte[n];
        s.orderId = new long[n];
        s.uid = new long[n];
        s.price = new long[n];
        s.size = new long[n];
        for (int i = 0; i < n; i++) {
            final int at = HEADER_BYTES + i * RECORD_BYTES;
            final int type = bytes[at] & 0xff;
            final int side = bytes[at + 1] & 0xff;
            if (type > T_REDUCE) throw new Fail(2, file + ": malformed: record " + i + " has unknown type " + type);
            if ((type == T_PLACE_GTC || type == T_PLACE_IOC) && side > 1) {
                throw new Fail(2, file + ": malformed: record " + i + " has unknown side " + side);
            }
            s.type[i] = (byte) type;
            s.side[i] = (byte) side;
            s.orderId[i] = buf.getLong(at + 8);
            s.uid[i] = buf.getLong(at + 16);
            s.price[i] = buf.getLong(at + 24);
            s.size[i] = buf.getLong(at + 32);
            // at + 40: newQty, used by ringmatch only
        }
        return s;
    }

    static OrderCommand[] buildCommands(Stream s) {
        final OrderCommand[] cmds = new OrderCommand[s.count];
        for (int i = 0; i < s.count; i++) cmds[i] = new OrderCommand();
        reset(s, cmds, 0, s.count);
        return cmds;
    }

    /** Sets every field the book reads, or may have written before, of commands [from, to) from the stream. */
    static void reset(Stream s, OrderCommand[] cmds, int from, int to) {
        for (int i = from; i < to; i++) {
            final OrderCommand c = cmds[i];
            final int type = s.type[i];
            final boolean place = type == T_PLACE_GTC || type == T_PLACE_IOC;
            c.command = place ? OrderCommandType.PLACE_ORDER
                    : type == T_CANCEL ? OrderCommandType.CANCEL_ORDER
                    : type == T_MOVE ? OrderCommandType.MOVE_ORDER
                    : OrderCommandType.REDUCE_ORDER;
            c.orderId = s.orderId[i];
            c.symbol = SYMBOL;
            c.uid = s.uid[i];
            c.price = type == T_PLACE_GTC || type == T_PLACE_IOC || type == T_MOVE ? s.price[i] : 0;
            c.size = type == T_PLACE_GTC || type == T_PLACE_IOC || type == T_REDUCE ? s.size[i] : 0;
            // cancel/move/reduce: the book fills action in from the resting order
            c.action = place ? (s.side[i] == 0 ? OrderAction.BID : OrderAction.ASK) : null;
            c.reserveBidPrice = place && s.side[i] == 0 ? BID_RESERVE : 0;
            c.orderType = type == T_PLACE_IOC ? OrderType.IOC : OrderType.GTC;
            c.timestamp = i;
            c.userCookie = 0;
            c.eventsGroup = 0;
            c.serviceFlags = 0;
            // processCommand only places an order whose result code says it passed the risk stage
            c.resultCode = CommandResultCode.VALID_FOR_MATCHING_ENGINE;
            c.matcherEvent = null;
            c.marketData = null;
        }
    }

    /** Adds what commands [from, to) did (result codes, trade and reject events) to {@code o}. */
    static void tally(OrderCommand[] cmds, int from, int to, Outcome o) {
        for (int i = from; i < to; i++) {
            final OrderCommand c = cmds[i];
            final CommandResultCode rc = c.resultCode;
            if (rc != CommandResultCode.SUCCESS && rc != CommandResultCode.ACCEPTED) {
                o.results.merge(String.valueOf(rc), 1L, Long::sum);
            }
            for (MatcherTradeEvent e = c.matcherEvent; e != null; e = e.nextEvent) {
                if (e.eventType == MatcherEventType.TRADE) {
                    o.trades++;
                    o.tradeVolume += e.size;
                } else if (e.eventType == MatcherEventType.REJECT) {
                    o.rejectEvents++;
                    o.rejectVolume += e.size;
                }
            }
        }
    }

    /** Adds the book's final state to {@code o}; returns it. */
    static Outcome finish(Outcome o, IOrderBook book) {
        o.askOrders = book.getOrdersNum(OrderAction.ASK);
        o.bidOrders = book.getOrdersNum(OrderAction.BID);
        o.askVolume = book.getTotalOrdersVolume(OrderAction.ASK);
        o.bidVolume = book.getTotalOrdersVolume(OrderAction.BID);
        return o;
    }

    /** The signature, after checking that it equals the first one (when there is one). */
    static String agree(String signature, String first, String what) throws Fail {
        if (first != null && !first.equals(signature)) {
            throw new Fail(1, what + " differs from the first: " + signature + " vs " + first);
        }
        return signature;
    }

    static String numbers(double[] values) {
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(num(values[i]));
        }
        return sb.append(']').toString();
    }

    static long gcMillis(List<GarbageCollectorMXBean> gcs) {
        long ms = 0;
        for (GarbageCollectorMXBean gc : gcs) {
            final long t = gc.getCollectionTime();
            if (t > 0) ms += t;
        }
        return ms;
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String jsonEscape(String s) {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
            else if (ch < 0x20) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.toString();
    }

    private BookPeer() {
    }
}
