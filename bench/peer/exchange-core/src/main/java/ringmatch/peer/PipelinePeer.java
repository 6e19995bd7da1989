package ringmatch.peer;

import exchange.core2.core.ExchangeApi;
import exchange.core2.core.ExchangeCore;
import exchange.core2.core.IEventsHandler;
import exchange.core2.core.SimpleEventsProcessor;
import exchange.core2.core.common.CoreSymbolSpecification;
import exchange.core2.core.common.CoreWaitStrategy;
import exchange.core2.core.common.L2MarketData;
import exchange.core2.core.common.OrderAction;
import exchange.core2.core.common.OrderType;
import exchange.core2.core.common.SymbolType;
import exchange.core2.core.common.api.ApiAddUser;
import exchange.core2.core.common.api.ApiAdjustUserBalance;
import exchange.core2.core.common.api.ApiCancelOrder;
import exchange.core2.core.common.api.ApiCommand;
import exchange.core2.core.common.api.ApiMoveOrder;
import exchange.core2.core.common.api.ApiPlaceOrder;
import exchange.core2.core.common.api.ApiReduceOrder;
import exchange.core2.core.common.api.binary.BatchAddSymbolsCommand;
import exchange.core2.core.common.cmd.CommandResultCode;
import exchange.core2.core.common.config.ExchangeConfiguration;
import exchange.core2.core.common.config.InitialStateConfiguration;
import exchange.core2.core.common.config.LoggingConfiguration;
import exchange.core2.core.common.config.OrdersProcessingConfiguration;
import exchange.core2.core.common.config.OrdersProcessingConfiguration.MarginTradingMode;
import exchange.core2.core.common.config.OrdersProcessingConfiguration.RiskProcessingMode;
import exchange.core2.core.common.config.PerformanceConfiguration;
import exchange.core2.core.common.config.ReportsQueriesConfiguration;
import exchange.core2.core.common.config.SerializationConfiguration;
import exchange.core2.core.orderbook.OrderBookDirectImpl;
import exchange.core2.core.processors.journaling.DiskSerializationProcessor;
import exchange.core2.core.processors.journaling.DiskSerializationProcessorConfiguration;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a pre-built book-peer command stream (the binary format in README.md, the same file
 * {@link BookPeer} reads) through exchange-core's whole pipeline: {@link ExchangeCore} with its
 * disruptor ring, grouping stage, risk engine (pre-hold R1 and release R2), matching engine,
 * optionally its disk journal, and a results consumer ({@link SimpleEventsProcessor} feeding an
 * {@link IEventsHandler} that counts what it is told). It times the stream from the first submit
 * until the last command's result is known and prints one JSON line.
 *
 * <p>Usage: {@code java -cp target/classes:target/lib/* ringmatch.peer.PipelinePeer STREAM_FILE JOURNAL_DIR [journal|nojournal] [WARMUP_COMMANDS]}
 *
 * <p>Optional system properties (defaults are what the README's numbers use):
 * {@code -Dpipeline.risk=full|none} (risk engine mode, default {@code full}) and
 * {@code -Dpipeline.wait=yielding|blocking|busy_spin} (the disruptor wait strategy, default
 * {@code yielding}).
 *
 * <p>Exit codes: 0 ok; 1 the pipeline failed or timed out; 2 bad arguments or a missing or
 * malformed stream file or an unusable journal directory.
 */
public final class PipelinePeer {

    private static final String USAGE =
            "usage: java -cp target/classes:target/lib/* ringmatch.peer.PipelinePeer STREAM_FILE JOURNAL_DIR [journal|nojournal] [WARMUP_COMMANDS]";

    static final int SYMBOL = BookPeer.SYMBOL;
    static final int BASE_CURRENCY = 1;
    static final int QUOTE_CURRENCY = 2;

    /** Every wait (setup, the measured run, the final book, shutdown) is bounded by this. */
    static final long PHASE_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(10);
    /** No result at all for this long while results are expected: the pipeline is dead. */
    static final long STALL_MS = TimeUnit.SECONDS.toMillis(60);

    /**
     * Packages chronicle-core/-wire (exchange-core's binary commands, e.g. adding a symbol) reach into
     * by reflection; on Java 17 the caller must open them, else the core's risk stage throws and the
     * pipeline stops.
     */
    static final String[] REQUIRED_OPENS = {"java.lang", "java.nio", "sun.nio.ch"};

    // Disruptor sizing: exchange-core's throughputPerformanceBuilder values (16K/256 and 128K/8K
    // measured no better on the 2-core box, see README), with one matching and one risk engine.
    static final int RING_BUFFER_SIZE = 64 * 1024;
    static final int MSGS_IN_GROUP_LIMIT = 4 * 1024;
    static final int MAX_GROUP_DURATION_NS = 4_000_000;

    /** Counts what the core reports through {@link SimpleEventsProcessor}; runs on the results thread. */
    static final class Counter implements IEventsHandler {
        /** Command results seen so far (all commands, setup included), published every 256 for the watchdog. */
        private long resultsSeen;
        volatile long progress;
        long orderCommandResults;
        final TreeMap<String, Long> results = new TreeMap<>();
        long tradeEvents;
        long trades;
        long tradeVolume;
        long rejectEvents;
        long rejectVolume;
        long reduceEvents;
        long orderBookEvents;

        @Override
        public void commandResult(ApiCommandResult r) {
            if ((++resultsSeen & 255) == 0) progress = resultsSeen;
            final ApiCommand c = r.command;
            if (c instanceof ApiPlaceOrder || c instanceof ApiCancelOrder || c instanceof ApiMoveOrder || c instanceof ApiReduceOrder) {
                orderCommandResults++;
                if (r.resultCode != CommandResultCode.SUCCESS && r.resultCode != CommandResultCode.ACCEPTED) {
                    results.merge(String.valueOf(r.resultCode), 1L, Long::sum);
                }
            }
        }

        @Override
        public void tradeEvent(TradeEvent e) {
            tradeEvents++;
            final List<Trade> list = e.trades;
            for (int i = 0, n = list.size(); i < n; i++) {
                trades++;
                tradeVolume += list.get(i).volume;
            }
        }

        @Override
        public void rejectEvent(RejectEvent e) {
            rejectEvents++;
            rejectVolume += e.rejectedVolume;
        }

        @Override
        public void reduceEvent(ReduceEvent e) {
            reduceEvents++;
        }

        @Override
        public void orderBook(OrderBook b) {
            orderBookEvents++; // the grouping stage's periodic L2 snapshots (every 10 ms); not used
        }

        String resultsJson() {
            return BookPeer.countsJson(results);
        }
    }

    /**
     * Fails the whole process (exit 1, one line on stderr) if a phase overruns its deadline, or if the
     * watched core reports no command result for {@link #STALL_MS} while a phase expects results. A
     * publish into a stalled ring cannot be interrupted, and an exception inside exchange-core stops
     * its pipeline silently (its error log goes to slf4j-nop), so a stall is the only sign of it.
     */
    static final class Watchdog extends Thread {
        private volatile long deadlineNs = Long.MAX_VALUE;
        private volatile String phase = "";
        private volatile Counter watched;
        private volatile long armedNs;
        private long lastProgress = -1;
        private long lastProgressNs;

        Watchdog() {
            super("pipeline-peer-watchdog");
            setDaemon(true);
        }

        /** A new phase with its own deadline; {@code counter} null: no stall check (e.g. shutdown). */
        void arm(String what, Counter counter) {
            phase = what;
            watched = counter;
            armedNs = System.nanoTime();
            deadlineNs = armedNs + TimeUnit.MILLISECONDS.toNanos(PHASE_TIMEOUT_MS);
        }

        void disarm() {
            watched = null;
            deadlineNs = Long.MAX_VALUE;
        }

        @Override
        public void run() {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                final long now = System.nanoTime();
                if (now - deadlineNs > 0) {
                    die("timed out after " + PHASE_TIMEOUT_MS / 1000 + " s in phase: " + phase);
                }
                final Counter c = watched;
                if (c == null) {
                    lastProgress = -1;
                    continue;
                }
                final long p = c.progress;
                if (p != lastProgress) {
                    lastProgress = p;
                    lastProgressNs = now;
                } else if (now - Math.max(lastProgressNs, armedNs) > TimeUnit.MILLISECONDS.toNanos(STALL_MS)) {
                    die("the exchange core stalled: no command result for " + STALL_MS / 1000 + " s in phase: " + phase
                            + " (an exception inside exchange-core? it logs through slf4j-nop)");
                }
            }
        }

        private void die(String message) {
            System.err.println("pipeline-peer: " + message);
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    /** One ExchangeCore, its API and the counter its results go to. */
    static final class Instance {
        final ExchangeCore core;
        final ExchangeApi api;
        final Counter counter;
        final String exchangeId;

        Instance(ExchangeCore core, Counter counter, String exchangeId) {
            this.core = core;
            this.api = core.getApi();
            this.counter = counter;
            this.exchangeId = exchangeId;
        }
    }

    public static void main(String[] args) {
        try {
            System.out.println(run(args));
            System.out.flush();
            System.exit(0);
        } catch (BookPeer.Fail f) {
            System.err.println("pipeline-peer: " + f.getMessage());
            System.exit(f.code);
        } catch (Throwable t) {
            System.err.println("pipeline-peer: failed: " + t);
            System.exit(1);
        }
    }

    static String run(String[] args) throws BookPeer.Fail {
        if (args.length < 2 || args.length > 4) throw new BookPeer.Fail(2, USAGE);
        final Path file = Path.of(args[0]);
        final Path journalDir = Path.of(args[1]);
        final String mode = args.length >= 3 ? args[2] : "journal";
        if (!mode.equals("journal") && !mode.equals("nojournal")) {
            throw new BookPeer.Fail(2, "unknown mode '" + mode + "' (journal or nojournal); " + USAGE);
        }
        final boolean journal = mode.equals("journal");
        final int warmup = args.length == 4 ? parseWarmup(args[3]) : 0;
        final RiskProcessingMode risk = riskMode();
        final CoreWaitStrategy wait = waitStrategy();

        final BookPeer.Stream stream = BookPeer.readStream(file);
        if (warmup > stream.count) {
            throw new BookPeer.Fail(2, "WARMUP_COMMANDS (" + warmup + ") is more than the stream's " + stream.count + " commands");
        }
        if (journal) prepareJournalDir(journalDir);
        checkOpens();

        final long reserve = bidReserve(stream);
        final long[] uids = distinctUids(stream);
        final ApiCommand[] cmds = buildCommands(stream, reserve);

        final Watchdog watchdog = new Watchdog();
        watchdog.start();
        final String runId = String.format(Locale.ROOT, "PP%X", System.currentTimeMillis());

        try {
            if (warmup > 0) {
                watchdog.arm("warm-up setup", null);
                final Instance w = start(journal, journalDir, freeExchangeId(journalDir, runId + "W"), risk, wait);
                watchdog.arm("warm-up setup", w.counter);
                setup(w.api, uids);
                watchdog.arm("warm-up run", w.counter);
                submitAll(w.api, cmds, warmup);
                watchdog.arm("warm-up shutdown", null);
                stop(w);
                if (journal) deleteJournal(journalDir, w.exchangeId);
            }

            watchdog.arm("setup", null);
            final Instance m = start(journal, journalDir, freeExchangeId(journalDir, runId + "M"), risk, wait);
            watchdog.arm("setup", m.counter);
            setup(m.api, uids);
            final long setupJournalBytes = journal ? journalBytes(journalDir, m.exchangeId) : 0;
            System.gc(); // untimed: start the measured run without the warm-up's or the parse's garbage

            final List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
            final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            final boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
            final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            final com.sun.management.OperatingSystemMXBean sunOs =
                    os instanceof com.sun.management.OperatingSystemMXBean ? (com.sun.management.OperatingSystemMXBean) os : null;

            watchdog.arm("measured run", m.counter);
            final long gc0 = BookPeer.gcMillis(gcs);
            final long jit0 = jitTimed ? jit.getTotalCompilationTime() : 0;
            final long cpu0 = sunOs != null ? sunOs.getProcessCpuTime() : 0;
            final long t0 = System.nanoTime();
            submitAll(m.api, cmds, cmds.length);
            final long t1 = System.nanoTime();
            final long cpuNs = sunOs != null ? sunOs.getProcessCpuTime() - cpu0 : 0;
            final long jitMs = jitTimed ? jit.getTotalCompilationTime() - jit0 : 0;
            final long gcMs = BookPeer.gcMillis(gcs) - gc0;

            watchdog.arm("final order book", m.counter);
            final L2MarketData book = await(m.api.requestOrderBookAsync(SYMBOL, -1), "the final order book request");
            long askOrders = 0, bidOrders = 0, askVolume = 0, bidVolume = 0;
            for (int i = 0; i < book.askSize; i++) {
                askOrders += book.askOrders[i];
                askVolume += book.askVolumes[i];
            }
            for (int i = 0; i < book.bidSize; i++) {
                bidOrders += book.bidOrders[i];
                bidVolume += book.bidVolumes[i];
            }

            watchdog.arm("shutdown", null);
            stop(m);
            final long journalBytes = journal ? journalBytes(journalDir, m.exchangeId) : 0;
            watchdog.disarm();

            final Counter c = m.counter;
            if (c.orderCommandResults != cmds.length) {
                throw new BookPeer.Fail(1, "got " + c.orderCommandResults + " order command results for " + cmds.length + " commands");
            }
            if (journal && journalBytes <= setupJournalBytes && cmds.length > 0) {
                throw new BookPeer.Fail(1, "journaling is on but nothing was written to " + journalDir + " during the run");
            }

            final double seconds = (t1 - t0) / 1e9;
            return "{\"impl\":\"pipeline\""
                    + ",\"journal\":" + journal
                    + ",\"commands\":" + cmds.length
                    + ",\"warmup_commands\":" + warmup
                    + ",\"seconds\":" + String.format(Locale.ROOT, "%.6f", seconds)
                    + ",\"commands_per_s\":" + BookPeer.num(seconds > 0 ? cmds.length / seconds : 0)
                    + ",\"trades\":" + c.trades
                    + ",\"final\":{\"askOrders\":" + askOrders + ",\"bidOrders\":" + bidOrders
                    + ",\"askVolume\":" + askVolume + ",\"bidVolume\":" + bidVolume + "}"
                    + ",\"journal_bytes\":" + journalBytes
                    + ",\"gc_ms\":" + gcMs
                    + ",\"jit_ms\":" + (jitTimed ? Long.toString(jitMs) : "null")
                    + ",\"cpu_ms\":" + (sunOs != null ? BookPeer.num(cpuNs / 1e6) : "null")
                    + ",\"java\":\"" + BookPeer.jsonEscape(System.getProperty("java.version", "")) + "\""
                    + ",\"trade_volume\":" + c.tradeVolume
                    + ",\"trade_events\":" + c.tradeEvents
                    + ",\"reject_events\":" + c.rejectEvents
                    + ",\"reject_volume\":" + c.rejectVolume
                    + ",\"reduce_events\":" + c.reduceEvents
                    + ",\"results\":" + c.resultsJson()
                    + ",\"journal_setup_bytes\":" + setupJournalBytes
                    + ",\"risk\":\"" + (risk == RiskProcessingMode.FULL_PER_CURRENCY ? "full" : "none") + "\""
                    + ",\"wait\":\"" + wait.name().toLowerCase(Locale.ROOT) + "\""
                    + ",\"bid_reserve\":" + reserve
                    + ",\"accounts\":" + uids.length
                    + "}";
        } finally {
            watchdog.interrupt();
        }
    }

    static int parseWarmup(String s) throws BookPeer.Fail {
        try {
            final int v = Integer.parseInt(s);
            if (v >= 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new BookPeer.Fail(2, "WARMUP_COMMANDS must be an integer >= 0, got '" + s + "'; " + USAGE);
    }

    /** Exit 2 with the flags to add if the JVM was started without the opens chronicle needs. */
    static void checkOpens() throws BookPeer.Fail {
        final Module base = Object.class.getModule();
        final Module self = PipelinePeer.class.getModule();
        final StringBuilder missing = new StringBuilder();
        for (String pkg : REQUIRED_OPENS) {
            if (!base.isOpen(pkg, self)) {
                missing.append(missing.length() == 0 ? "" : " ").append("--add-opens=java.base/").append(pkg).append("=ALL-UNNAMED");
            }
        }
        if (missing.length() > 0) {
            throw new BookPeer.Fail(2, "exchange-core's chronicle libraries need these JVM flags on Java 17: " + missing);
        }
    }

    static RiskProcessingMode riskMode() throws BookPeer.Fail {
        final String v = System.getProperty("pipeline.risk", "full");
        switch (v) {
            case "full":
                return RiskProcessingMode.FULL_PER_CURRENCY;
            case "none":
                return RiskProcessingMode.NO_RISK_PROCESSING;
            default:
                throw new BookPeer.Fail(2, "-Dpipeline.risk must be full or none, got '" + v + "'");
        }
    }

    static CoreWaitStrategy waitStrategy() throws BookPeer.Fail {
        final String v = System.getProperty("pipeline.wait", "yielding");
        switch (v) {
            case "blocking":
                return CoreWaitStrategy.BLOCKING;
            case "yielding":
                return CoreWaitStrategy.YIELDING;
            case "busy_spin":
                return CoreWaitStrategy.BUSY_SPIN;
            default:
                throw new BookPeer.Fail(2, "-Dpipeline.wait must be yielding, blocking or busy_spin, got '" + v + "'");
        }
    }

    /**
     * The reserve price of every bid: the highest price any place or move of the stream names. The
     * risk engine holds size * reserve of the quote currency for a bid, and the book refuses to move
     * a bid above its reserve; this is high enough that no move is refused and low enough that no
     * hold overflows.
     */
    static long bidReserve(BookPeer.Stream s) {
        long max = 1;
        for (int i = 0; i < s.count; i++) {
            final int t = s.type[i];
            if (t == BookPeer.T_PLACE_GTC || t == BookPeer.T_PLACE_IOC || t == BookPeer.T_MOVE) {
                max = Math.max(max, s.price[i]);
            }
        }
        return max;
    }

    static long[] distinctUids(BookPeer.Stream s) {
        final long[] all = s.uid.clone();
        Arrays.sort(all);
        int n = 0;
        for (int i = 0; i < all.length; i++) {
            if (n == 0 || all[n - 1] != all[i]) all[n++] = all[i];
        }
        return Arrays.copyOf(all, n);
    }

    static ApiCommand[] buildCommands(BookPeer.Stream s, long reserve) {
        final ApiCommand[] cmds = new ApiCommand[s.count];
        for (int i = 0; i < s.count; i++) {
            final int type = s.type[i];
            final ApiCommand c;
            switch (type) {
                case BookPeer.T_PLACE_GTC:
                case BookPeer.T_PLACE_IOC: {
                    final boolean bid = s.side[i] == 0;
                    c = ApiPlaceOrder.builder()
                            .symbol(SYMBOL)
                            .uid(s.uid[i])
                            .orderId(s.orderId[i])
                            .price(s.price[i])
                            .size(s.size[i])
                            .action(bid ? OrderAction.BID : OrderAction.ASK)
                            .orderType(type == BookPeer.T_PLACE_IOC ? OrderType.IOC : OrderType.GTC)
                            .reservePrice(bid ? reserve : 0)
                            .userCookie(0)
                            .build();
                    break;
                }
                case BookPeer.T_CANCEL:
                    c = ApiCancelOrder.builder().symbol(SYMBOL).uid(s.uid[i]).orderId(s.orderId[i]).build();
                    break;
                case BookPeer.T_MOVE:
                    c = ApiMoveOrder.builder().symbol(SYMBOL).uid(s.uid[i]).orderId(s.orderId[i]).newPrice(s.price[i]).build();
                    break;
                default:
                    c = ApiReduceOrder.builder().symbol(SYMBOL).uid(s.uid[i]).orderId(s.orderId[i]).reduceSize(s.size[i]).build();
                    break;
            }
            c.timestamp = i;
            cmds[i] = c;
        }
        return cmds;
    }

    /**
     * Submits the first {@code n} commands as fast as the ring takes them (a publish waits for a free
     * slot), then waits for the last one's result. Results leave the core in sequence order, so when
     * the last command's future completes every earlier command has been processed and its events
     * handed to the counter.
     */
    static void submitAll(ExchangeApi api, ApiCommand[] cmds, int n) throws BookPeer.Fail {
        if (n == 0) return;
        final int last = n - 1;
        for (int i = 0; i < last; i++) {
            api.submitCommand(cmds[i]);
        }
        await(api.submitCommandAsync(cmds[last]), "the last command's result");
    }

    static Instance start(boolean journal, Path journalDir, String exchangeId, RiskProcessingMode risk,
                          CoreWaitStrategy wait) {
        final AtomicInteger threadCounter = new AtomicInteger();
        final ThreadFactory threads = r -> {
            final Thread t = new Thread(r, "pipeline-" + exchangeId + "-" + threadCounter.incrementAndGet());
            t.setDaemon(true);
            return t;
        };

        final PerformanceConfiguration perf = PerformanceConfiguration.builder()
                .ringBufferSize(RING_BUFFER_SIZE)
                .matchingEnginesNum(1)
                .riskEnginesNum(1)
                .msgsInGroupLimit(MSGS_IN_GROUP_LIMIT)
                .maxGroupDurationNs(MAX_GROUP_DURATION_NS)
                .threadFactory(threads)
                .waitStrategy(wait)
                .orderBookFactory(OrderBookDirectImpl::new)
                .binaryCommandsLz4CompressorFactory(PerformanceConfiguration.DEFAULT.getBinaryCommandsLz4CompressorFactory())
                .build();

        final SerializationConfiguration serialization;
        final InitialStateConfiguration initState;
        if (journal) {
            // exchange-core's own defaults (createDefaultConfig), only the folder is ours
            final DiskSerializationProcessorConfiguration d = DiskSerializationProcessorConfiguration.createDefaultConfig();
            final DiskSerializationProcessorConfiguration disk = DiskSerializationProcessorConfiguration.builder()
                    .storageFolder(journalDir.toString())
                    .snapshotLz4CompressorFactory(d.getSnapshotLz4CompressorFactory())
                    .journalFileMaxSize(d.getJournalFileMaxSize())
                    .journalBufferSize(d.getJournalBufferSize())
                    .journalBatchCompressThreshold(d.getJournalBatchCompressThreshold())
                    .journalLz4CompressorFactory(d.getJournalLz4CompressorFactory())
                    .build();
            serialization = SerializationConfiguration.builder()
                    .enableJournaling(true)
                    .serializationProcessorFactory(cfg -> new DiskSerializationProcessor(cfg, disk))
                    .build();
            initState = InitialStateConfiguration.cleanStartJournaling(exchangeId);
        } else {
            serialization = SerializationConfiguration.DEFAULT; // no journal, no snapshots
            initState = InitialStateConfiguration.cleanStart(exchangeId);
        }

        final ExchangeConfiguration cfg = ExchangeConfiguration.builder()
                .ordersProcessingCfg(OrdersProcessingConfiguration.builder()
                        .riskProcessingMode(risk)
                        .marginTradingMode(MarginTradingMode.MARGIN_TRADING_DISABLED)
                        .build())
                .performanceCfg(perf)
                .initStateCfg(initState)
                .reportsQueriesCfg(ReportsQueriesConfiguration.DEFAULT)
                .loggingCfg(LoggingConfiguration.DEFAULT)
                .serializationCfg(serialization)
                .build();

        final Counter counter = new Counter();
        final ExchangeCore core = ExchangeCore.builder()
                .resultsConsumer(new SimpleEventsProcessor(counter))
                .exchangeConfiguration(cfg)
                .build();
        core.startup();
        return new Instance(core, counter, exchangeId);
    }

    /** The symbol and every account, each with a balance in both currencies; every result must be SUCCESS. */
    static void setup(ExchangeApi api, long[] uids) throws BookPeer.Fail {
        final CoreSymbolSpecification spec = CoreSymbolSpecification.builder()
                .symbolId(SYMBOL)
                .type(SymbolType.CURRENCY_EXCHANGE_PAIR)
                .baseCurrency(BASE_CURRENCY)
                .quoteCurrency(QUOTE_CURRENCY)
                .baseScaleK(1)
                .quoteScaleK(1)
                .takerFee(0)
                .makerFee(0)
                .build();
        expectSuccess(await(api.submitBinaryDataAsync(new BatchAddSymbolsCommand(spec)), "adding the symbol"), "adding the symbol");

        // As much as can be given without any sum of balances overflowing (cf. exchange-core's tests).
        final long amount = Long.MAX_VALUE / (uids.length + 1);
        final List<CompletableFuture<CommandResultCode>> futures = new ArrayList<>(uids.length * 3);
        long transactionId = 1;
        for (final long uid : uids) {
            futures.add(api.submitCommandAsync(ApiAddUser.builder().uid(uid).build()));
            futures.add(api.submitCommandAsync(ApiAdjustUserBalance.builder()
                    .uid(uid).currency(BASE_CURRENCY).amount(amount).transactionId(transactionId++).build()));
            futures.add(api.submitCommandAsync(ApiAdjustUserBalance.builder()
                    .uid(uid).currency(QUOTE_CURRENCY).amount(amount).transactionId(transactionId++).build()));
        }
        await(CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])), "adding accounts");
        for (CompletableFuture<CommandResultCode> f : futures) {
            expectSuccess(f.join(), "adding accounts and balances");
        }
    }

    static void expectSuccess(CommandResultCode code, String what) throws BookPeer.Fail {
        if (code != CommandResultCode.SUCCESS) throw new BookPeer.Fail(1, what + " failed: " + code);
    }

    static <T> T await(CompletableFuture<T> f, String what) throws BookPeer.Fail {
        try {
            return f.get(PHASE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new BookPeer.Fail(1, "timed out after " + PHASE_TIMEOUT_MS / 1000 + " s waiting for " + what);
        } catch (ExecutionException e) {
            throw new BookPeer.Fail(1, what + " failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BookPeer.Fail(1, "interrupted waiting for " + what);
        }
    }

    static void stop(Instance inst) throws BookPeer.Fail {
        try {
            inst.core.shutdown(PHASE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (IllegalStateException e) {
            throw new BookPeer.Fail(1, "exchange core did not shut down: " + e.getMessage());
        }
    }

    static void prepareJournalDir(Path dir) throws BookPeer.Fail {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new BookPeer.Fail(2, dir + ": not a directory");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BookPeer.Fail(2, dir + ": cannot create the journal directory: " + e.getMessage());
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new BookPeer.Fail(2, dir + ": not a writable directory");
        }
    }

    /** An exchange id no journal file in the directory starts with (exchange-core refuses to reuse a journal file). */
    static String freeExchangeId(Path dir, String base) throws BookPeer.Fail {
        for (int k = 0; k < 1000; k++) {
            final String id = k == 0 ? base : base + k;
            if (journalFiles(dir, id).isEmpty()) return id;
        }
        throw new BookPeer.Fail(2, dir + ": no free journal name for " + base);
    }

    /** The files DiskSerializationProcessor writes for an exchange id: {@code ID_journal_*.ecj}, {@code ID_snapshot_*}, {@code ID.eca}. */
    static List<Path> journalFiles(Path dir, String exchangeId) throws BookPeer.Fail {
        final List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) return files;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                final String name = p.getFileName().toString();
                if (name.startsWith(exchangeId + "_") || name.equals(exchangeId + ".eca")) files.add(p);
            }
        } catch (IOException e) {
            throw new BookPeer.Fail(1, dir + ": cannot list: " + e.getMessage());
        }
        return files;
    }

    static long journalBytes(Path dir, String exchangeId) throws BookPeer.Fail {
        long bytes = 0;
        for (Path p : journalFiles(dir, exchangeId)) {
            try {
                bytes += Files.size(p);
            } catch (IOException e) {
                throw new BookPeer.Fail(1, p + ": cannot stat: " + e.getMessage());
            }
        }
        return bytes;
    }

    static void deleteJournal(Path dir, String exchangeId) throws BookPeer.Fail {
        for (Path p : journalFiles(dir, exchangeId)) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new BookPeer.Fail(1, p + ": cannot delete the warm-up journal: " + e.getMessage());
            }
        }
    }

    private PipelinePeer() {
    }
}
