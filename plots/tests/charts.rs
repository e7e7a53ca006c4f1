//! Draws hand-built reports and reports saved by the binary, then opens what was written: PNG
//! size and content, SVG shape and legend text, byte-identical repeats, errors as values.

use sim_core::program::ParamValue;
use sim_core::report::{End, HistSummary, MetricValue, OrderedMap, PointReport, Report};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A fresh, empty folder under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plots-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn hist(values: &[u64]) -> MetricValue {
    let mut v = values.to_vec();
    v.sort_unstable();
    let q = |f: f64| v[((v.len() - 1) as f64 * f) as usize];
    MetricValue::Histogram(HistSummary {
        count: v.len() as u64,
        min: v[0],
        mean: v.iter().sum::<u64>() as f64 / v.len() as f64,
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        max: v[v.len() - 1],
    })
}

fn point(index: u64, params: &[(&str, ParamValue)], seed: u64, metrics: Vec<(&str, MetricValue)>) -> PointReport {
    PointReport {
        index,
        params: OrderedMap(params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()),
        seed,
        sim_time_ns: 1_000_000,
        events: 10,
        fingerprint: "0".repeat(16),
        end: End::Completed,
        metrics: OrderedMap(metrics.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        deadlocks: Vec::new(),
        lockdep: Default::default(),
        lock_stat: Vec::new(),
        lock_stat_instances: Vec::new(),
        not_measured: Vec::new(),
        noops: Vec::new(),
        vmalloc_in_use: vec![[0, 0]],
        checks: Vec::new(),
    }
}

fn report(workload: &str, points: Vec<PointReport>) -> Report {
    Report {
        sim: "0.1.0".to_string(),
        workload: workload.to_string(),
        source: String::new(),
        cost_overrides: OrderedMap::default(),
        units: sim_core::metrics::units(),
        points,
        checks: Vec::new(),
        verdicts: Vec::new(),
        statistics: Vec::new(),
        incomplete: None,
    }
}

fn name(s: &str) -> ParamValue {
    ParamValue::Name(s.to_string())
}

/// Two strategies over vmas = 16..1024: latency `c * vmas^k`, k = 1 and 2; hold time too.
fn scaling_report(seeds: u64) -> Report {
    let mut points = Vec::new();
    for (strategy, k) in [("linear", 1), ("quadratic", 2)] {
        for e in 4..=10 {
            let vmas = 1u64 << e;
            for s in 0..seeds {
                // Seeds differ by a factor that averages out: 1 ± 0.5.
                let f = if seeds == 1 { 2 } else { 1 + 2 * s };
                let lat = 100 * f * vmas.pow(k);
                let params = [("strategy", name(strategy)), ("vmas", ParamValue::Int(vmas))];
                let metrics = vec![
                    ("register.latency", hist(&[lat])),
                    ("unregister.latency", MetricValue::Histogram(HistSummary::default())),
                    ("mm_lock.hold", hist(&[lat / 2])),
                    ("register.ok", MetricValue::Scalar(1)),
                ];
                points.push(point(points.len() as u64, &params, 7 + s, metrics));
            }
        }
    }
    report("scaling", points)
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files.iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect()
}

/// Decodes a written PNG, checks its size, and that it is a drawn chart, not a blank page:
/// many colours (anti-aliased text), a fair share of non-white pixels, and each `colours` present.
fn check_png(path: &Path, colours: &[[u8; 3]]) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgb8();
    assert_eq!(img.dimensions(), (1000, 620), "{}", path.display());
    let distinct: BTreeSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 30, "{}: only {} colours", path.display(), distinct.len());
    let inked = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    assert!(inked > 10_000, "{}: only {inked} pixels drawn", path.display());
    for c in colours {
        let n = img.pixels().filter(|p| p.0 == *c).count();
        assert!(n > 50, "{}: series colour {c:?} drawn on {n} pixels", path.display());
    }
}

/// Reads a written SVG and checks it is one `<svg>` element containing each of `texts`.
fn check_svg(path: &Path, texts: &[&str]) -> String {
    let svg = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(svg.starts_with("<svg"), "{}", path.display());
    assert!(svg.trim_end().ends_with("</svg>"), "{}", path.display());
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    for t in texts {
        assert!(svg.contains(t), "{}: no {t:?}", path.display());
    }
    svg
}

const BLUE: [u8; 3] = [31, 119, 180];
const ORANGE: [u8; 3] = [255, 127, 14];

#[test]
fn scaling_charts_show_each_strategy_with_its_slope() {
    let dir = scratch("scaling");
    let files = plots::draw(&scaling_report(1), &dir).expect("draw");
    assert_eq!(
        names(&files),
        [
            "scaling-register.latency-vs-vmas.png",
            "scaling-register.latency-vs-vmas.svg",
            "scaling-mm_lock.hold-vs-vmas.png",
            "scaling-mm_lock.hold-vs-vmas.svg",
        ]
    );
    for f in &files {
        assert!(f.starts_with(&dir), "{}", f.display());
    }
    check_png(&files[0], &[BLUE, ORANGE]);
    check_png(&files[2], &[BLUE, ORANGE]);
    check_svg(
        &files[1],
        &[
            "linear (slope 1.00 ± 0.00)",
            "quadratic (slope 2.00 ± 0.00)",
            "scaling: register.latency against vmas",
            "register.latency, mean per point (time, log scale)",
            "vmas (log scale)",
            "1024",
            "100 µs",
        ],
    );
    check_svg(&files[3], &["linear (slope 1.00 ± 0.00)", "mm_lock.hold, max per point"]);
}

/// Each point is the mean over seeds with its interval as an error bar; the slope is fitted
/// through every seed's point, as `expect slope(...)` fits it, so its interval shows the spread.
#[test]
fn replications_are_averaged_and_every_seed_is_fitted() {
    let dir = scratch("replicated");
    let files = plots::draw(&scaling_report(2), &dir).expect("draw");
    let svg = check_svg(
        &files[1],
        &[
            "linear (slope 1.00 ± 0.25)",
            "quadratic (slope 2.00 ± 0.25)",
            "mean per point, averaged over 2 seeds",
            "bars: 95% confidence intervals",
        ],
    );
    // One line per strategy, not per seed.
    assert!(!svg.contains("seed 7"));
}

#[test]
fn other_swept_parameters_split_the_lines() {
    let mut points = Vec::new();
    for cpus in [2u64, 8] {
        for vmas in [100u64, 1000, 10_000] {
            let params =
                [("strategy", name("mm_lock")), ("cpus", ParamValue::Int(cpus)), ("vmas", ParamValue::Int(vmas))];
            points.push(point(points.len() as u64, &params, 1, vec![("register.latency", hist(&[vmas * cpus]))]));
        }
    }
    let dir = scratch("two-sweeps");
    let files = plots::draw(&report("two", points), &dir).expect("draw");
    assert_eq!(
        names(&files),
        [
            "scaling-register.latency-vs-cpus.png",
            "scaling-register.latency-vs-cpus.svg",
            "scaling-register.latency-vs-vmas.png",
            "scaling-register.latency-vs-vmas.svg",
        ]
    );
    check_svg(&files[1], &["mm_lock, vmas=100 (slope 1.00)", "mm_lock, vmas=10000 (slope 1.00)"]);
    check_svg(&files[3], &["mm_lock, cpus=2 (slope 1.00 ± 0.00)", "mm_lock, cpus=8 (slope 1.00 ± 0.00)"]);
}

#[test]
fn too_many_lines_hold_the_other_parameters_at_their_largest() {
    let mut points = Vec::new();
    for strategy in ["mm_lock", "mm_take_all_locks"] {
        for cpus in 1u64..=8 {
            for vmas in [100u64, 1000, 10_000] {
                let params =
                    [("strategy", name(strategy)), ("cpus", ParamValue::Int(cpus)), ("vmas", ParamValue::Int(vmas))];
                points.push(point(points.len() as u64, &params, 1, vec![("register.latency", hist(&[vmas * cpus]))]));
            }
        }
    }
    let dir = scratch("many-lines");
    let files = plots::draw(&report("many", points), &dir).expect("draw");
    // Against cpus: 2 strategies x 3 vmas lines. Against vmas: 16 would be too many.
    let by_cpus = check_svg(
        &files[1],
        &["mm_lock, vmas=100 (slope 1.00 ± 0.00)", "mm_take_all_locks, vmas=10000 (slope 1.00 ± 0.00)"],
    );
    assert!(!by_cpus.contains(" at "), "nothing held fixed against cpus");
    let by_vmas = check_svg(
        &files[3],
        &["many: register.latency against vmas at cpus=8", "mm_take_all_locks (slope 1.00 ± 0.00)"],
    );
    assert!(!by_vmas.contains("cpus=1"));
}

#[test]
fn replicated_vmalloc_series_show_the_first_seed() {
    let mut points = Vec::new();
    for seed in [5, 6] {
        let mut p = point(points.len() as u64, &[("strategy", name("mm_lock"))], seed, Vec::new());
        p.vmalloc_in_use = vec![[0, 0], [1000 * seed, 4096 * seed], [900_000, 0]];
        p.sim_time_ns = 950_000;
        points.push(p);
    }
    let dir = scratch("vmalloc-seeds");
    let files = plots::draw(&report("seeds", points), &dir).expect("draw");
    assert_eq!(names(&files), ["vmalloc-in-use.png", "vmalloc-in-use.svg"]);
    check_png(&files[0], &[BLUE]);
    let svg =
        check_svg(&files[1], &["(first seed of each point)", "simulated time (µs)", "vmalloc space in use (KiB)"]);
    // One line (the first colour), not one per seed (the second would be orange).
    assert!(svg.contains("#1F77B4") && !svg.contains("#FF7F0E"));
}

#[test]
fn vmalloc_in_use_is_drawn_per_point_that_used_any() {
    let mut points = Vec::new();
    for (i, strategy) in ["mm_lock", "mm_take_all_locks", "mm_lock_slow"].into_iter().enumerate() {
        let mut p = point(i as u64, &[("strategy", name(strategy))], 3, Vec::new());
        p.sim_time_ns = 300_000_000;
        p.vmalloc_in_use = match i {
            0 => vec![[0, 0], [48_000_000, 7_798_784], [63_000_000, 0]],
            1 => vec![[0, 0], [148_000_000, 134_045_696]],
            _ => vec![[0, 0]],
        };
        points.push(p);
    }
    let dir = scratch("vmalloc");
    let files = plots::draw(&report("vmalloc-exhaustion", points), &dir).expect("draw");
    assert_eq!(names(&files), ["vmalloc-in-use.png", "vmalloc-in-use.svg"]);
    check_png(&files[0], &[BLUE, ORANGE]);
    let svg =
        check_svg(&files[1], &["mm_lock", "mm_take_all_locks", "simulated time (ms)", "vmalloc space in use (MiB)"]);
    assert!(!svg.contains("mm_lock_slow"), "a point that used no vmalloc space has no line");
}

#[test]
fn latency_cdf_is_drawn_from_the_quantiles() {
    let lat: Vec<u64> = (1..=20).map(|i| 1000 * i * i).collect();
    let metrics = vec![("register.latency", hist(&lat)), ("unregister.latency", hist(&[500, 700, 900]))];
    let points = vec![
        point(0, &[("strategy", name("mm_lock")), ("vmas", ParamValue::Int(64))], 1, metrics.clone()),
        point(1, &[("strategy", name("mm_lock")), ("vmas", ParamValue::Int(4096))], 1, metrics.clone()),
        point(2, &[("strategy", name("mm_take_all_locks")), ("vmas", ParamValue::Int(4096))], 1, metrics),
    ];
    let dir = scratch("cdf");
    let files = plots::draw(&report("gru", points), &dir).expect("draw");
    let names = names(&files);
    assert!(names.contains(&"cdf-register.latency.png".to_string()), "{names:?}");
    assert!(names.contains(&"cdf-unregister.latency.svg".to_string()), "{names:?}");
    let png = dir.join("cdf-register.latency.png");
    check_png(&png, &[BLUE, ORANGE]);
    check_svg(
        &dir.join("cdf-register.latency.svg"),
        &[
            "gru: register.latency CDF at vmas=4096, quantile-based",
            "mm_lock (20 calls)",
            "mm_take_all_locks (20 calls)",
        ],
    );
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let r: Report = serde_json::from_str(include_str!("data/vmalloc.json")).expect("fixture");
    let (a, b) = (scratch("same-a"), scratch("same-b"));
    let fa = plots::draw(&r, &a).expect("draw");
    let fb = plots::draw(&r, &b).expect("draw");
    assert_eq!(names(&fa), names(&fb));
    assert!(!fa.is_empty());
    for (x, y) in fa.iter().zip(&fb) {
        let (x, y) = (std::fs::read(x).expect("read"), std::fs::read(y).expect("read"));
        assert!(x == y, "a file differs between two draws");
    }
}

#[test]
fn a_saved_oom_run_gives_its_kill_latency_chart() {
    let r: Report = serde_json::from_str(include_str!("data/oom.json")).expect("fixture");
    let dir = scratch("oom");
    let files = plots::draw(&r, &dir).expect("draw");
    let names = names(&files);
    assert!(names.contains(&"scaling-oom.kill_latency-vs-vmas.png".to_string()), "{names:?}");
    check_png(&dir.join("scaling-oom.kill_latency-vs-vmas.png"), &[BLUE, ORANGE]);
    check_svg(
        &dir.join("scaling-oom.kill_latency-vs-vmas.svg"),
        &[
            "oom-kill-latency: oom.kill_latency against vmas",
            "mm_lock_slow (slope 1.99 ± 0.02)",
            "mm_take_all_locks (slope 0.99 ± 0.02)",
            "65530",
        ],
    );
    // One register call per point: no distribution to draw.
    assert!(!names.iter().any(|n| n.starts_with("cdf-")), "{names:?}");
}

#[test]
fn nothing_to_chart_writes_nothing() {
    let dir = scratch("nothing");
    let empty = report("empty", Vec::new());
    assert_eq!(plots::draw(&empty, &dir), Ok(Vec::new()));
    // One point: nothing swept, one call, no vmalloc use.
    let one =
        report("one", vec![point(0, &[("strategy", name("mm_lock"))], 1, vec![("register.latency", hist(&[5]))])]);
    assert_eq!(plots::draw(&one, &dir), Ok(Vec::new()));
    let written = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0);
}

#[test]
fn an_unwritable_folder_is_an_error_not_a_panic() {
    let dir = scratch("unwritable");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("a-file");
    std::fs::write(&file, b"").expect("write");
    let err = plots::draw(&scaling_report(1), &file.join("charts")).expect_err("a file is not a folder");
    assert!(err.contains("a-file"), "{err}");
}

const GREEN: [u8; 3] = [44, 160, 44];

/// The text of each `<text>` element of an SVG, in drawing order.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_string()))
        .collect()
}

/// The fill of each `<rect>` of an SVG after the background, in drawing order.
fn svg_rect_fills(svg: &str) -> Vec<String> {
    svg.split("<rect").skip(2).filter_map(|r| Some(r.split_once("fill=\"")?.1.split_once('"')?.0.to_string())).collect()
}

fn count(n: u64) -> MetricValue {
    MetricValue::Scalar(n)
}

#[test]
fn a_categorical_sweep_gets_a_bar_chart_per_metric_that_differs() {
    let r: Report = serde_json::from_str(include_str!("data/unsorted-deadlock.json")).expect("fixture");
    let dir = scratch("bars-deadlock");
    let files = plots::draw(&r, &dir).expect("draw");
    let names = names(&files);
    for chart in ["deadlock.count", "vmalloc.pinned_peak", "register.latency", "unregister.latency"] {
        assert!(names.contains(&format!("bars-{chart}.png")), "{chart}: {names:?}");
        assert!(names.contains(&format!("bars-{chart}.svg")), "{chart}: {names:?}");
    }
    // Zero at every point, or the same at every point: no chart.
    assert!(!names.iter().any(|n| n.starts_with("bars-invalidate.missed") || n.starts_with("bars-atomic_sleep")));
    // No numeric sweep: no scaling chart.
    assert!(!names.iter().any(|n| n.starts_with("scaling-")), "{names:?}");

    // One colour per strategy, in the order the strategies first appear.
    check_png(&dir.join("bars-deadlock.count.png"), &[BLUE, ORANGE, GREEN]);
    let svg = check_svg(
        &dir.join("bars-deadlock.count.svg"),
        &["08-unsorted-deadlock: deadlock.count", "deadlocks found", "deadlock.count (count)", "strategy / sharing"],
    );
    let legend = ["#1F77B4", "#FF7F0E", "#2CA02C"];
    let bars = ["#1F77B4", "#1F77B4", "#FF7F0E", "#FF7F0E", "#2CA02C", "#2CA02C"];
    assert_eq!(svg_rect_fills(&svg), [&legend[..], &bars[..]].concat());
    let texts = svg_texts(&svg);
    for t in ["unsorted", "mm_lock", "mm_take_all_locks", "two_mms", "one_mm"] {
        assert!(texts.iter().any(|x| x == t), "no label {t:?} in {texts:?}");
    }
    // Each bar's value on top: one deadlock where the unsorted lock-all met another mm, else none.
    assert_eq!(texts.iter().filter(|t| *t == "1").count(), 2, "the bar's value and the tick: {texts:?}");
    assert_eq!(texts.iter().filter(|t| *t == "0").count(), 6, "five bars' values and the tick: {texts:?}");

    // A latency by its mean, in time units; the deadlocked point never returned from register.
    check_png(&dir.join("bars-register.latency.png"), &[BLUE, ORANGE, GREEN]);
    check_svg(
        &dir.join("bars-register.latency.svg"),
        &["register.latency, mean per point (time)", "mmu_notifier_register call to return", "no samples", "µs"],
    );
    check_svg(&dir.join("bars-vmalloc.pinned_peak.svg"), &["vmalloc.pinned_peak (bytes)", "32 KiB", "16 KiB"]);
}

#[test]
fn bar_charts_are_the_same_bytes_every_time() {
    let r: Report = serde_json::from_str(include_str!("data/unsorted-deadlock.json")).expect("fixture");
    let (a, b) = (scratch("bars-same-a"), scratch("bars-same-b"));
    let fa = plots::draw(&r, &a).expect("draw");
    let fb = plots::draw(&r, &b).expect("draw");
    assert_eq!(names(&fa), names(&fb));
    assert!(names(&fa).iter().any(|n| n.starts_with("bars-")));
    for (x, y) in fa.iter().zip(&fb) {
        let (x, y) = (std::fs::read(x).expect("read"), std::fs::read(y).expect("read"));
        assert!(x == y, "a file differs between two draws");
    }
}

#[test]
fn a_metric_equal_at_every_point_gets_no_bars() {
    let mut points = Vec::new();
    for (i, (strategy, missed)) in [("mm_lock", 0), ("unlocked", 30)].into_iter().enumerate() {
        let metrics = vec![
            ("invalidate.missed", count(missed)),
            ("atomic_sleep", count(3)),
            ("deadlock.count", count(0)),
            ("rmap.walk", hist(&[500, 700])),
            ("reclaim.stall", MetricValue::Histogram(HistSummary::default())),
        ];
        points.push(point(i as u64, &[("strategy", name(strategy))], 1, metrics));
    }
    let dir = scratch("bars-equal");
    let files = plots::draw(&report("missed", points), &dir).expect("draw");
    assert_eq!(names(&files), ["bars-invalidate.missed.png", "bars-invalidate.missed.svg"]);
    check_png(&files[0], &[BLUE, ORANGE]);
    let svg = check_svg(&files[1], &["missed: invalidate.missed", "secondary-MMU mappings left pointing"]);
    let texts = svg_texts(&svg);
    assert!(texts.iter().any(|t| t == "unlocked") && texts.iter().any(|t| t == "30"), "{texts:?}");
}

#[test]
fn one_point_or_more_than_32_get_no_bars() {
    let one = report("one", vec![point(0, &[("strategy", name("mm_lock"))], 1, vec![("deadlock.count", count(1))])]);
    let dir = scratch("bars-none");
    assert_eq!(plots::draw(&one, &dir), Ok(Vec::new()));
    // One point run under three seeds is still one bar.
    let seeds = (0..3).map(|s| point(s, &[("strategy", name("mm_lock"))], s, vec![("deadlock.count", count(s))]));
    assert_eq!(plots::draw(&report("seeds", seeds.collect()), &dir), Ok(Vec::new()));
    let many = (0..33)
        .map(|i| {
            point(i, &[("strategy", name("mm_lock")), ("n", ParamValue::Int(i))], 1, vec![("deadlock.count", count(i))])
        })
        .collect();
    assert_eq!(plots::draw(&report("many", many), &dir), Ok(Vec::new()));
    assert_eq!(std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0), 0);
}

#[test]
fn replicated_bars_show_the_mean_and_the_spread() {
    let mut points = Vec::new();
    for strategy in ["mm_lock", "mm_take_all_locks"] {
        for pin in [false, true] {
            for seed in 0..3u64 {
                let races = if strategy == "mm_lock" && !pin { 2 + 2 * seed } else { 0 };
                let params = [("strategy", name(strategy)), ("pin", ParamValue::Bool(pin))];
                points.push(point(points.len() as u64, &params, seed, vec![("race.unregister_release", count(races))]));
            }
        }
    }
    let dir = scratch("bars-seeds");
    let files = plots::draw(&report("race", points), &dir).expect("draw");
    assert_eq!(names(&files), ["bars-race.unregister_release.png", "bars-race.unregister_release.svg"]);
    // The whisker (dark grey) from 2 to 6 around the mean 4.
    check_png(&files[0], &[BLUE, ORANGE, [40, 40, 40]]);
    let svg = check_svg(&files[1], &["bars: mean of 3 seeds, whiskers: min to max", "strategy / pin"]);
    let texts = svg_texts(&svg);
    for t in ["4", "mm_lock", "mm_take_all_locks", "pin=false", "pin=true"] {
        assert!(texts.iter().any(|x| x == t), "no {t:?} in {texts:?}");
    }
    // One whisker: its stem and two caps.
    assert_eq!(svg.matches("stroke=\"#282828\"").count(), 3);
}

#[test]
fn bar_labels_group_or_stand_upright_when_the_bars_are_narrow() {
    // 3 strategies x 4 sizes: the sizes fit under their bars, each strategy once under its four.
    let strategies = ["mm_take_all_locks", "mm_lock", "mm_lock_slow"];
    let mut points = Vec::new();
    for (k, strategy) in strategies.into_iter().enumerate() {
        for vmas in [128u64, 512, 2048, 8192] {
            let eintr = if k == 0 { vmas / 128 } else { 0 };
            let params = [("strategy", name(strategy)), ("vmas", ParamValue::Int(vmas))];
            points.push(point(points.len() as u64, &params, 1, vec![("register.eintr", count(eintr))]));
        }
    }
    let dir = scratch("bars-grouped");
    let files = plots::draw(&report("eintr", points), &dir).expect("draw");
    assert_eq!(names(&files), ["bars-register.eintr.png", "bars-register.eintr.svg"]);
    check_png(&files[0], &[BLUE, ORANGE, GREEN]);
    let svg = check_svg(&files[1], &["strategy / vmas"]);
    let texts = svg_texts(&svg);
    // Each strategy in the legend and once under its bars; each size under three bars.
    for s in strategies {
        assert_eq!(texts.iter().filter(|t| *t == s).count(), 2, "{s}: {texts:?}");
    }
    assert_eq!(texts.iter().filter(|t| *t == "8192").count(), 3, "{texts:?}");
    assert_eq!(svg.matches("rotate(270").count(), 1, "only the y axis title turns");

    // 4 strategies x 8 sizes: 32 bars, too narrow for any label to lie flat.
    let mut points = Vec::new();
    for (k, strategy) in ["mm_take_all_locks", "mm_lock", "mm_lock_slow", "unsorted"].into_iter().enumerate() {
        for e in 0..8u64 {
            let vmas = 128 << e;
            let params = [("strategy", name(strategy)), ("vmas", ParamValue::Int(vmas))];
            let stall = hist(&[1000 * (k as u64 + 1) * vmas]);
            points.push(point(points.len() as u64, &params, 1, vec![("rmap.walk", stall)]));
        }
    }
    let dir = scratch("bars-upright");
    let files = plots::draw(&report("walk", points), &dir).expect("draw");
    assert_eq!(names(&files), ["bars-rmap.walk.png", "bars-rmap.walk.svg"]);
    check_png(&files[0], &[BLUE, ORANGE, GREEN, [214, 39, 40]]);
    let svg = check_svg(&files[1], &["rmap.walk, min per point (time)", "mm_lock_slow / vmas=16384"]);
    // The y axis title, 32 labels and 32 values, upright.
    assert_eq!(svg.matches("rotate(270").count(), 65);
}

#[test]
fn long_upright_labels_are_cut_short() {
    let long = "a_strategy_name_far_longer_than_any_the_simulator_has_and_then_some_more_words_to_make_it_longer";
    let points = (0..20u64)
        .map(|i| {
            let params = [("strategy", name(&format!("{long}_{i}"))), ("pin", ParamValue::Bool(i % 2 == 0))];
            point(i, &params, 1, vec![("atomic_sleep", count(i * 1000))])
        })
        .collect();
    let dir = scratch("bars-long");
    let files = plots::draw(&report("long", points), &dir).expect("draw");
    assert_eq!(names(&files), ["bars-atomic_sleep.png", "bars-atomic_sleep.svg"]);
    check_png(&files[0], &[BLUE]);
    let svg = check_svg(&files[1], &["strategy / pin"]);
    let texts = svg_texts(&svg);
    // 20 strategies share 10 colours: no legend, whose entries would be ambiguous.
    assert!(!texts.iter().any(|t| t.starts_with(long)), "{texts:?}");
    // Under the bars, upright and cut to the room left for them.
    let cut: Vec<&String> = texts.iter().filter(|t| t.starts_with("a_str") && t.ends_with('…')).collect();
    assert_eq!(cut.len(), 20, "{texts:?}");
    assert_eq!(svg.matches("rotate(270").count(), 21);
}

#[test]
fn long_legend_names_are_cut_short() {
    let long = "a_strategy_name_far_longer_than_any_the_simulator_has_and_then_some_more_words_to_make_it_longer";
    let points = (0..6u64)
        .map(|i| point(i, &[("strategy", name(&format!("{long}_{i}")))], 1, vec![("atomic_sleep", count(i))]))
        .collect();
    let dir = scratch("bars-long-legend");
    let files = plots::draw(&report("long", points), &dir).expect("draw");
    check_png(&files[0], &[BLUE, ORANGE, GREEN]);
    let texts = svg_texts(&check_svg(&files[1], &["strategy"]));
    assert_eq!(texts.iter().filter(|t| t.starts_with("a_strategy_name") && t.ends_with('…')).count(), 12);
}

/// A sweep's vmalloc use is one small panel per point on one scale, not a tangle of lines; a
/// sweep too long for a page is shown at its largest value of each numeric parameter.
#[test]
fn a_sweeps_vmalloc_use_is_one_panel_per_point() {
    let run = |vmas_values: &[u64], dir: &str| {
        let mut points = Vec::new();
        for strategy in ["mm_lock", "mm_take_all_locks"] {
            for &vmas in vmas_values {
                let params = [("strategy", name(strategy)), ("vmas", ParamValue::Int(vmas))];
                let mut p = point(points.len() as u64, &params, 1, Vec::new());
                p.sim_time_ns = 1_000_000;
                p.vmalloc_in_use = vec![[0, 0], [100_000, 16 * vmas], [200_000, 0]];
                points.push(p);
            }
        }
        let dir = scratch(dir);
        let files = plots::draw(&report("panels", points), &dir).expect("draw");
        assert!(names(&files).contains(&"vmalloc-in-use.svg".to_string()), "{:?}", names(&files));
        std::fs::read_to_string(dir.join("vmalloc-in-use.svg")).expect("svg")
    };
    let few = run(&[1024, 4096, 16384], "panels-few");
    let texts = svg_texts(&few);
    for label in ["mm_lock, vmas=1024", "mm_lock, vmas=16384", "mm_take_all_locks, vmas=4096"] {
        assert!(texts.iter().any(|t| t == label), "no panel {label}: {texts:?}");
    }
    assert!(texts.iter().any(|t| t.starts_with("one panel per point")), "{texts:?}");
    // Both strategies' colours, one per strategy.
    assert!(few.contains("#1F77B4") && few.contains("#FF7F0E"));
    let many: Vec<u64> = (4..=13).map(|e| 1u64 << e).collect();
    let texts = svg_texts(&run(&many, "panels-many"));
    assert!(texts.iter().any(|t| t.contains("vmalloc space in use over time at vmas=8192")), "{texts:?}");
    assert!(texts.iter().any(|t| t == "mm_take_all_locks, vmas=8192"), "{texts:?}");
    assert!(!texts.iter().any(|t| t == "mm_lock, vmas=16"), "{texts:?}");
}
