//! The command line, as clap sees it. `sim help COMMAND` and `--help` print these texts.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "sim",
    version,
    about = "Deterministic simulator of Linux mmu-notifier registration locking (mm_lock, mm_lock_slow, mm_take_all_locks)",
    long_about = "sim runs workloads written in the .wl language against a discrete-event model of an mm, its \
VMAs, rmap locks and mmu notifiers, and measures what each locking strategy of the 2008 mmu-notifier \
debate costs: register latency, lock hold times, vmalloc use, OOM-kill latency, missed invalidations, \
deadlocks.\n\nStart with:\n  sim run workloads/gru.wl              one workload, summary on stdout\n  \
sim run workloads/scaling.wl --plots out   a sweep, with its charts\n  \
sim check                              the 2008 debate's claims, judged by the model\n  \
sim explore workloads/explore/abba.wl  every schedule of a small scope: can it deadlock?\n  \
sim shrink FILE --expect LINE -o S.wl  the smallest workload found that still fails that line\n  \
sim costs                              the cost-model parameters\n  \
sim calibrate --quick                  the lock-alls timed on this machine beside the model\n  \
sim maps PID > FILE                    a real process's layout, for `mmap maps \"FILE\"`\n  \
sim bench hold                         engine speed",
    after_help = "Exit status: 0 all went well, 1 an `expect` failed, 2 bad input or command line."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every point of a workload; print a summary; write JSON, CSV, a trace or charts
    #[command(long_about = "Run every point of a workload: the cross product of its `sweep`s, times --seeds \
replications, in parallel. Prints a summary table (at most 40 rows; --all for every one; with --seeds, \
each figure's mean with its 95% confidence interval), for a sweep of strategies a verdict (the best \
strategy per headline figure at the largest N, by how much, and where strategies failed), a warning for \
each workload line whose step found nothing to act on (--strict: an error), evaluates the workload's \
`expect` lines, and writes what was asked. The same file, parameters and seed give byte-identical JSON \
whatever -j is.\n\n\
After the summary come lockdep's warnings, in the kernel's words: each possible circular locking \
dependency (two orders of the same locks, whether or not this run deadlocked) and each lock class nested \
without an annotation (possible recursive locking), once over all points with the points and seeds it was \
seen at, both chains with their workload lines; at most 6 blocks (the JSON's `lockdep` has every one). \
--lock-stat adds each point's /proc/lock_stat table (con-bounces, contentions, waittime-min/max/total/avg, \
acq-bounces, acquisitions, holdtime-min/max/total/avg) sorted by contentions, per lock class, or per lock \
with --lock-stat=instance; for the first 8 points, 40 rows each without --all. --lock-stat-csv writes \
every row of every point. --no-lockdep keeps no lock-order graph, to measure what it costs: the \
lockdep.* metrics are then not measured and the `expect` lines that read them are SKIP.\n\n\
Examples:\n  sim run workloads/gru.wl\n  sim run workloads/scaling.wl -j 2 --json out/scaling.json --plots out/\n  \
sim run workloads/gru.wl -p vmas=512 --seed 3 --trace out/gru.trace.json\n  \
sim run workloads/scaling.wl --seeds 10 -p cost.lock_compare=12ns --plots out/\n  \
sim run workloads/gru.wl --lock-stat\n  \
sim run workloads/claims/08-unsorted-deadlock.wl --lock-stat=instance --lock-stat-csv out/lock_stat.csv\n  \
sim run workloads/oom.wl --json - | jq '.points[].metrics[\"oom.kill_latency\"].max'")]
    Run(RunArgs),
    /// Judge the debate's claims: run workloads for their `expect` lines, one row per check
    #[command(long_about = "Run workloads for their `expect` lines and print one row per check: the claim, \
PASS or FAIL, the measured figure in its unit (`34.36 s vs 1 s`; a slope with ± the half-width of its 95% \
confidence interval), and the source line. With no argument: every .wl in workloads/claims/. \
Exit status 1 if any check fails.\n\n\
With --seeds K every point runs at K seeds and each line is decided at every one of them, then over them as \
its qualifier says: `expect always P` (and a plain `expect P`) at every seed, `expect sometimes P` at one \
seed at least of each point, `expect never P` at none. Each row then says how often P held (`Always 20/20`, \
`Sometimes 7/20`, `Never 0/20`) and which seed its figures are from: the first that failed the line, a \
`sometimes` line's first witness, or the tightest.\n\n\
With --no-lockdep no lock-order graph is kept (the runs are otherwise the same), and a line that reads a \
lockdep.* metric is SKIP, \"not measured (--no-lockdep)\": neither passed nor failed.\n\n\
Examples:\n  sim check\n  sim check --seeds 20\n  sim check workloads/claims/08-unsorted-deadlock.wl --seeds 20 --json -")]
    Check(CheckArgs),
    /// Run every schedule of a small workload: deadlocks, missed invalidations, races and `expect` lines over all of them
    #[command(long_about = "Explore one point (or each point) of a small workload exhaustively: run every \
schedule the model's nondeterminism allows, one after another, depth first. The choice points are the \
order of events due at the same instant, which runnable task a CPU that frees up runs next, and the value \
of each random draw over at most --draws values (a touch's page, a munmap's VMA, a reclaimed page, a \
`uniform` duration); larger draws follow the seed. Lock waiters are granted in the order they queued, as \
the kernel's ticket spinlocks and wait queues do; that order is itself explored through the events' order.\n\n\
A run that reaches a whole state (everything that decides what follows, hashed to 64 bits) that an \
earlier schedule reached stops there: its future was explored from that state. What it did before is \
still checked. No partial-order reduction beyond that merge.\n\n\
Per point it reports whether a deadlock, a missed invalidation, a page freed under a released \
notifier's mapping or an unregister/release race is reachable, with the schedule that reaches it and \
the `sim run --schedule` command that replays it; each `expect` line that applies to the point, judged \
over the runs that completed (`always`/plain: in every one, `sometimes`: in one, `never`: in none); and \
the runs, states and choice points explored. If a bound was hit (--max-states, --max-runs, --depth) it \
says so: no violation within a bound is not a proof.\n\n\
Exit status 1 if an `expect` line fails over the schedules explored.\n\n\
Examples:\n  sim explore workloads/explore/abba.wl\n  \
sim explore workloads/claims/08-unsorted-deadlock.wl -p strategy=unsorted -p sharing=two_mms --depth 200\n  \
sim run workloads/explore/abba.wl -p strategy=mm_lock --schedule 1.1.0.1\n\n\
Each choice point hashes the whole state: explore is for small scopes. Ctrl-C stops it, within a \
run, and prints what was explored.")]
    Explore(ExploreArgs),
    /// Reduce a workload to a small one on which the same `expect` line still fails
    #[command(long_about = "Reduce a workload to the smallest one found on which the same `expect` line \
still fails, and write it as a .wl file with a header saying what it reproduces and how to replay it.\n\n\
The line is the one on line LINE of FILE (--expect LINE), or the first row `sim check FILE` fails \
(--check-failure). -p pins parameters first (a swept one is cut to that value) and --seed sets the seed; \
both are written into the file. The line fails as `sim check` decides it: at the seed, or with --seeds K \
at K seeds and over them as its qualifier says (`sometimes P` fails when P held at no seed, `never P` \
when it held at one). --witness keeps P holding at one seed at least instead: for a `sometimes` line \
that passes, the smallest file on which it still can happen (a deadlock that still deadlocks).\n\n\
Reductions are tried coarse to fine, in a fixed order: sweeps cut to the failing point, other expect \
lines, processes and other statements dropped, fewer instances, steps dropped and blocks inlined, \
smaller repeats, counts, sizes and durations. Each is kept if the file still loads and the line still \
fails; the walk repeats until nothing more can go or --max-runs simulation runs are spent. The same input \
gives the same output, byte for byte. Ctrl-C stops and writes the smallest file found so far.\n\n\
Exit status 0 with a file written, 1 if the line does not fail on FILE to begin with, 2 for bad input \
(a line that is not an expect line, a workload that does not load).\n\n\
Examples:\n  sim shrink workloads/claims/08-unsorted-deadlock.wl --expect 57 --witness -p strategy=unsorted -o dl.wl\n  \
sim check dl.wl\n  \
sim shrink my.wl --check-failure --seeds 5 -o small.wl\n  \
sim shrink my.wl --expect 12 --seed 3 --max-runs 500")]
    Shrink(ShrinkArgs),
    /// Draw the charts of a saved run (`sim run --json`)
    Plot(PlotArgs),
    /// Merge the JSON reports of a sharded run (`sim run --shard K/N`) into the unsharded report
    Merge(MergeArgs),
    /// Print a process's /proc/PID/maps, to keep as a layout for `mmap maps "FILE"`
    #[command(long_about = "Print /proc/PID/maps of a running process, unchanged, to keep as a real \
layout: a workload maps it with `mmap maps \"FILE\"` (FILE relative to the workload's folder) and \
gets that process's address space instead of one written by hand.\n\n\
Each line of the file is one VMA: START-END PERMS OFFSET DEV INODE [PATHNAME]. sim makes a VMA of \
END-START bytes per line, in address order; one file (one address_space, so one i_mmap lock) per \
device and inode; an anon_vma for each anonymous VMA ([heap], [stack], [anon:NAME] included) and \
each private writable file mapping; and skips special mappings such as [vdso], [vvar] and \
[vsyscall], which have no rmap lock, counting them.\n\n\
Examples:\n  sim maps $(pgrep -n qemu-system) > workloads/maps/my-vm.maps\n  \
sim maps self | head -5\n\n\
Reading another user's process needs the right to ptrace it (the same user, or root). Linux \
only: other systems have no /proc.")]
    Maps(MapsArgs),
    /// Compare two saved runs of the same points, largest change first
    #[command(long_about = "Compare two JSON reports of the same points (`sim run --json`), for instance \
before and after changing a cost parameter (`-p cost.NAME=DURATION`) or a strategy. Prints, for each point \
and figure that changed, both values, their ratio and, when both runs have several seeds per point, \
whether the 95% confidence intervals overlap; sorted by the largest relative change, so the figures a \
change moves come first.\n\nExample:\n  sim run workloads/scaling.wl --json a.json -q\n  \
sim run workloads/scaling.wl -p cost.lock_compare=12ns --json b.json -q\n  sim diff a.json b.json\n\n\
Exit status 0, or 2 if a file cannot be read or the two hold different points.")]
    Diff(DiffArgs),
    /// Print the cost-model parameters with their defaults, units and meanings
    #[command(long_about = "Print every cost-model parameter: its name (for `machine { cost NAME DURATION }`), \
its default, its unit and what it stands for. With --from FILE (written by `sim calibrate --json FILE`), \
the values measured on that host beside the defaults, and the two ways to run a workload with them.\n\n\
Examples:\n  sim costs\n  sim costs --from out/calibrate.json")]
    Costs(CostsArgs),
    /// Time the lock-all designs for real on this machine, beside the model's run of the same layouts
    #[command(long_about = "Run the three lock-all algorithms for real on this host and set their scaling \
beside the model's.\n\n\
Each design's algorithm takes real spinlocks in this process's memory, laid out as a process's VMAs share \
them: three of every four VMAs anonymous, each with its own anon_vma; every fourth a shared mapping of one of \
16 files; the objects at shuffled slab addresses, so address order is not VMA order. v13 mm_lock fills two \
arrays, heap-sorts them with v13's comparator and takes the locks in address order; v11 mm_lock_slow scans \
every VMA for the next address, O(N x locks); 2.6.27 mm_take_all_locks takes a global mutex and makes two \
passes that mark each object the first time it is seen, testing a signal flag at every VMA. A second thread \
does reclaim-like walks (take a random object's lock, hold it briefly, release) for real contention. Each \
point is the median of its rounds of back-to-back lock-alls; the model runs the same layouts \
(register.latency, default costs).\n\n\
Per design it prints the host's and the model's fitted log-log exponent of time in N, the host's ns per \
lock and per sort comparison, and at the end the cost-model parameters these give (spin_lock_warm, \
spin_lock_cold, spin_unlock, vma_step, lock_compare, array_store) beside their defaults.\n\n\
--quick: 2^10..2^14 VMAs (v11: 2^8..2^11), under a minute. Default: 2^8..2^16 (v11: to 2^13), a few \
minutes. Times depend on this machine and its load (nothing else in sim does): run it on a quiet machine; \
each point shows how far its rounds spread.\n\n\
Examples:\n  sim calibrate --quick\n  sim calibrate --json out/calibrate.json\n  \
sim costs --from out/calibrate.json\n  sim run workloads/scaling.wl --costs out/calibrate.json")]
    Calibrate(CalibrateArgs),
    /// Benchmark the engine and the model
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Args, Clone)]
pub struct RunArgs {
    /// The workload file (.wl)
    pub file: PathBuf,
    /// Base seed, a non-negative integer (overrides the workload's `seed`)
    #[arg(long, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Replications per point: seeds SEED, SEED+1, ..., SEED+K-1; the summary then shows each
    /// figure's mean with its 95% confidence interval, the JSON and CSV their statistics
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub seeds: u32,
    /// Override a `param` (or fix a `sweep`) of the workload, or set a cost-model parameter with
    /// `cost.NAME=DURATION` (names as `sim costs` lists them, e.g. `-p cost.pte_zap=80ns`); repeatable
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Points run in parallel (default: the number of cores)
    #[arg(short = 'j', long = "jobs", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Write the JSON report here (`-` for standard output; the summary then goes to standard error)
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write one CSV row per point and metric field (for pandas or R)
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Write a Chrome trace (open in Perfetto) of one point: the first, or the one --trace-point names
    #[arg(long, value_name = "PATH")]
    pub trace: Option<PathBuf>,
    /// Which point (1-based, in report order) --trace records
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub trace_point: usize,
    /// Draw the charts that fit this run into DIR (PNG and SVG)
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
    /// Stop a point after this many events (exit 2 names the workload line that ran away)
    #[arg(long, value_name = "N", default_value_t = 200_000_000)]
    pub max_events: u64,
    /// Stop every point at this simulated time (e.g. 500ms, 2s)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub until: Option<u64>,
    /// Run this shard only: every N-th point starting at the K-th (K in 1..=N); merge with `sim merge`
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Skip the points already in the --json file of an interrupted run
    #[arg(long, requires = "json")]
    pub resume: bool,
    /// Run the first point twice and name the first event where the runs part (prints the
    /// verdict only: no report, plot, trace or schedule goes with it)
    #[arg(long, conflicts_with_all = ["json", "csv", "plots", "trace", "lock_stat_csv", "schedule", "resume", "shard"])]
    pub check_determinism: bool,
    /// Replay a schedule `sim explore` printed, such as 0.1.1 (one run: pin the sweeps with -p)
    #[arg(long, value_name = "S")]
    pub schedule: Option<sim_core::engine::Schedule>,
    /// With --schedule: the --draws `sim explore` used
    #[arg(long, value_name = "N", default_value_t = 4, requires = "schedule")]
    pub draws: u64,
    /// Treat a step or action that found nothing to act on (`steps.noop`) as an error: print
    /// each with its line and exit 2 (the files asked for are still written)
    #[arg(long)]
    pub strict: bool,
    /// Show every row of the summary table (by default at most 40: the first, the last, each
    /// column's extremes and evenly spaced ones)
    #[arg(long)]
    pub all: bool,
    /// No progress bar and no summary (errors still go to standard error)
    #[arg(short, long)]
    pub quiet: bool,
    /// Run with the `costs` of this JSON file (`sim calibrate --json`) over the workload's
    #[arg(long, value_name = "FILE")]
    pub costs: Option<PathBuf>,
    /// After the summary, print each point's /proc/lock_stat table, sorted by contentions: per
    /// lock class (`--lock-stat`, `--lock-stat=class`) or per lock (`--lock-stat=instance`,
    /// which also adds `lock_stat_instances` to the JSON report)
    #[arg(long, value_name = "class|instance", value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "class")]
    pub lock_stat: Option<LockStatLevel>,
    /// Write every lock_stat row of every point as CSV here (`-` for standard output): the
    /// classes' rows, and each lock's with --lock-stat=instance
    #[arg(long, value_name = "PATH")]
    pub lock_stat_csv: Option<PathBuf>,
    /// Run without lockdep: no lock-order graph is kept, the lockdep.* metrics are not measured,
    /// and `expect` lines that read them are SKIP
    #[arg(long)]
    pub no_lockdep: bool,
}

/// What a lock_stat row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LockStatLevel {
    /// One row per lock class, as lockdep keys locks (every i_mmap lock one class)
    Class,
    /// One row per lock
    Instance,
}

#[derive(Args)]
pub struct CostsArgs {
    /// A calibration file (`sim calibrate --json FILE`): show its measured costs beside the defaults
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

#[derive(Args)]
pub struct CalibrateArgs {
    /// Fewer and smaller layouts and fewer rounds: under a minute
    #[arg(long)]
    pub quick: bool,
    /// Three tiny layouts, three rounds: seconds, for tests (figures meaningless)
    #[arg(long, hide = true, conflicts_with = "quick")]
    pub tiny: bool,
    /// Write the results as JSON here (`-` for standard output; the table then goes to standard error)
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// No progress bar and no table
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The report before (`sim run --json`)
    pub before: PathBuf,
    /// The report after: a run of the same points
    pub after: PathBuf,
    /// Show every changed figure (by default the 40 largest changes)
    #[arg(long)]
    pub all: bool,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Workload files or folders of them (default: workloads/claims)
    pub paths: Vec<PathBuf>,
    /// Base seed, a non-negative integer (overrides each workload's `seed`)
    #[arg(long, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Seeds per point: SEED, SEED+1, ..., SEED+K-1; every line is decided at each and over
    /// them (`expect always|sometimes|never`), each row saying at how many it held
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub seeds: u32,
    /// Write the results as JSON here (`-` for standard output)
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Points run in parallel (default: the number of cores)
    #[arg(short = 'j', long = "jobs", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Stop a point after this many events
    #[arg(long, value_name = "N", default_value_t = 200_000_000)]
    pub max_events: u64,
    /// No progress bar
    #[arg(short, long)]
    pub quiet: bool,
    /// Run without lockdep: no lock-order graph is kept, and lines that read lockdep.* metrics
    /// are SKIP, "not measured (--no-lockdep)"
    #[arg(long)]
    pub no_lockdep: bool,
}

#[derive(Args)]
pub struct ExploreArgs {
    /// The workload (small: every schedule is run)
    pub file: PathBuf,
    /// Set a parameter or pin a swept one: NAME=VALUE (repeatable); unpinned sweeps explore each point
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The seed: it fixes the draws over more than --draws values and the locks' addresses
    #[arg(long, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Stop a point after this many distinct states (about 40 bytes each)
    #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_states: u64,
    /// Stop a point after this many runs
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_runs: u64,
    /// Branch at the first D choice points of a run only; later ones take the first option
    #[arg(long, value_name = "D", default_value_t = 10_000)]
    pub depth: usize,
    /// Random draws over at most this many values are choice points (0 or 1: none)
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub draws: u64,
    /// Do not merge equal states: run every schedule to its end
    #[arg(long)]
    pub no_merge: bool,
    /// Stop a run after this many events
    #[arg(long, value_name = "N", default_value_t = 200_000_000)]
    pub max_events: u64,
    /// Write the results as JSON here (`-` for standard output)
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// No progress bar
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct ShrinkArgs {
    /// The workload to shrink
    pub file: PathBuf,
    /// The line number of the `expect` line to keep failing
    #[arg(long, value_name = "LINE", required_unless_present = "check_failure", conflicts_with = "check_failure")]
    pub expect: Option<u32>,
    /// Shrink for the first row `sim check FILE` fails
    #[arg(long)]
    pub check_failure: bool,
    /// Keep the line's condition holding at one seed at least, rather than the line failing
    #[arg(long, conflicts_with = "check_failure")]
    pub witness: bool,
    /// Pin a `param` or a `sweep` to one value (written into the file); repeatable
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Seed (overrides the workload's `seed`; written into the file)
    #[arg(long, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Seeds per point, as `sim check --seeds K` decides a line over them
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub seeds: u32,
    /// Write the shrunk workload here (default: standard output)
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Stop after this many simulation runs and write the smallest file found (a candidate
    /// under way when they are spent is finished)
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub max_runs: u64,
    /// Stop a run after this many events (a candidate that reaches it does not count as failing)
    #[arg(long, value_name = "N", default_value_t = 200_000_000)]
    pub max_events: u64,
    /// No progress on standard error
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct MapsArgs {
    /// The process: a PID, or `self` for this sim process
    #[arg(value_parser = parse_pid)]
    pub pid: String,
}

#[derive(Args)]
pub struct PlotArgs {
    /// A JSON report written by `sim run --json`
    pub report: PathBuf,
    /// Folder for the charts
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct MergeArgs {
    /// The shards' JSON reports
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The classic hold model: N events pending, each processed event schedules one more at now + exp(1 ms)
    Hold(HoldArgs),
    /// One mm_lock_slow register at N VMAs (the O(N²) scan charged in O(N log N) host work)
    Slow(SlowArgs),
    /// Model speed: events/s of real workloads' runs, beside the engine's hold rate in the same run
    #[command(long_about = "Model speed. Times the simulation of real workloads — every point of \
workloads/gru.wl, gru's ranks on a 64-VMA mm (what an event costs when the model's state fits in the \
cache), every point of every claim in workloads/claims/, and one mm_lock_slow register at --vmas VMAs — \
and prints model events per second of host time beside the engine's own hold-model rate (10^3 pending) \
measured in the same run, so the ratio holds whatever the machine's load. Loading and checking the \
files is not timed; each case keeps its fastest of --rounds rounds.\n\nExample:\n  sim bench model --rounds 5")]
    Model(ModelArgs),
}

#[derive(Args)]
pub struct HoldArgs {
    /// Events kept pending
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub pending: u32,
    /// Events to process
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Seed of the exponential draws
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Args)]
pub struct SlowArgs {
    /// VMAs in the mm (each with its own anon_vma)
    #[arg(long, default_value_t = 65_530, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub vmas: u64,
}

#[derive(Args)]
pub struct ModelArgs {
    /// Workload files or folders of them to time (default: workloads/gru.wl, a small mm and workloads/claims)
    pub paths: Vec<PathBuf>,
    /// Rounds per case; the fastest is kept
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// VMAs of the mm_lock_slow register case
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=4_000_000))]
    pub vmas: u64,
}

/// `250ns`, `1.5us`, `20ms`, `2s` to nanoseconds.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).ok_or("a duration needs a unit: ns, us, ms or s")?;
    let (num, unit) = s.split_at(split);
    let scale: u64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return Err(format!("unknown unit '{unit}': use ns, us, ms or s")),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let int: u64 = int.parse().map_err(|_| format!("'{num}' is not a number"))?;
    let mut ns = int.checked_mul(scale).ok_or("duration too large")?;
    let mut unit_scale = scale;
    for c in frac.chars() {
        let d = c.to_digit(10).ok_or(format!("'{num}' is not a number"))? as u64;
        if unit_scale < 10 {
            if d != 0 {
                return Err("durations are whole nanoseconds".to_string());
            }
            continue;
        }
        unit_scale /= 10;
        ns = ns.checked_add(d * unit_scale).ok_or("duration too large")?;
    }
    Ok(ns)
}

/// A PID (a positive number) or `self`.
fn parse_pid(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s == "self" || (s.bytes().all(|b| b.is_ascii_digit()) && !s.trim_start_matches('0').is_empty()) {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a PID: give a positive number, such as 1234, or self"))
    }
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse().map_err(|_| format!("'{s}' is not a seed: a seed is a non-negative integer (0 to {})", u64::MAX))
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s.split_once('/').ok_or("a shard is K/N, e.g. 2/8")?;
    let k: u32 = k.trim().parse().map_err(|_| "K in K/N must be a number")?;
    let n: u32 = n.trim().parse().map_err(|_| "N in K/N must be a number")?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k}/{n}: K must be between 1 and N"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5us"), Ok(1500));
        assert_eq!(parse_duration("2s"), Ok(2_000_000_000));
        assert_eq!(parse_duration("250ns"), Ok(250));
        assert!(parse_duration("0.5ns").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5xs").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
    }

    #[test]
    fn pids() {
        assert_eq!(parse_pid("1234"), Ok("1234".to_string()));
        assert_eq!(parse_pid("self"), Ok("self".to_string()));
        assert!(parse_pid("0").is_err());
        assert!(parse_pid("-1").is_err());
        assert!(parse_pid("../1").is_err());
    }

    #[test]
    fn seeds() {
        assert_eq!(parse_seed("7"), Ok(7));
        assert!(parse_seed("-1").is_err_and(|e| e.contains("non-negative integer")));
        assert!(parse_seed("x").is_err());
    }

    #[test]
    fn shards() {
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(parse_shard("0/8").is_err());
        assert!(parse_shard("9/8").is_err());
    }
}
