//! Dashboard figures: opening a 1M-record trace whole, the first frame of a 10M-record trace
//! (target < 1 s: the rest is read in the background), the bytes held per record (target ≤ 50;
//! also with 2,000 events), rendering one frame (target < 16 ms), seeking to any record (target
//! < 50 ms) and stepping back one record (target < 1 ms): from anywhere, and step by step across
//! a block boundary at key-repeat pace (a step every 30 ms, as a held key gives).
//!
//! `cargo bench --bench dash`; ends with machine-readable lines `DASH metric=value`. The 10M
//! trace is written zstd-compressed to a temporary file (about 80 MB) and removed at the end.

#[path = "../tests/util/synth.rs"]
mod synth;

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Records per block of the dashboard's history (`dash::model::store::BLOCK`).
const BLOCK: usize = 1024;

/// The time between two steps of a held key (key repeat is about 30 per second).
const KEY_REPEAT: Duration = Duration::from_millis(30);

use criterion::{criterion_group, criterion_main, Criterion};
use evscope::dash::feed::{self, Loaded};
use evscope::dash::model::{Lang, Session, Timeline};
use evscope::dash::theme::Theme;
use evscope::dash::ui::{Mode, Ui};
use evscope::dash::update::TICK_MS;
use evscope::dash::view::{self, Ctx};
use evscope::trace::encode_line;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const RECORDS: usize = 1_000_000;
const BIG: usize = 10_000_000;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("evscope-bench-{}-{name}", std::process::id()))
}

/// Writes a 1M-record trace (plain JSON Lines).
fn trace_file() -> PathBuf {
    let path = temp("1m.jsonl");
    let (header, records) = synth::trace(RECORDS, 50);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("temp file"));
    writeln!(out, "{}", serde_json::to_string(&header).expect("header")).expect("write");
    for r in &records[..RECORDS] {
        writeln!(out, "{}", serde_json::to_string(r).expect("record")).expect("write");
    }
    out.flush().expect("flush");
    path
}

/// Writes a `BIG`-record echo-like trace of 50 events, zstd-compressed, made piece by piece.
fn big_trace_file() -> PathBuf {
    let path = temp("10m.jsonl.zst");
    let file = std::fs::File::create(&path).expect("temp file");
    let mut out = zstd::stream::write::Encoder::new(std::io::BufWriter::new(file), 1)
        .expect("zstd")
        .auto_finish();
    let header = synth::Synth::header();
    writeln!(out, "{}", serde_json::to_string(&header).expect("header")).expect("write");
    let mut s = synth::Synth::new(50);
    let (mut records, mut line) = (Vec::new(), Vec::new());
    s.setup(&mut records);
    let mut written = 0;
    while written < BIG {
        while records.len() < 4096 {
            s.iteration(&mut records);
        }
        for r in records.drain(..).take(BIG - written) {
            line.clear();
            encode_line(&r, &mut line);
            out.write_all(&line).expect("write");
            written += 1;
        }
    }
    out.flush().expect("flush");
    path
}

/// Resident memory of this process, in bytes (Linux).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Opens `path` as `evscope replay` does and draws the first frame.
fn first_frame(path: &Path, buf: &mut Buffer) -> usize {
    let (timeline, loader) = feed::open(path).expect("open");
    let mut ui = Ui::new(Mode::Replay, "big.jsonl.zst", Lang::En);
    ui.indexing = loader.as_ref().map(|_| timeline.len());
    let s = Session::new(timeline);
    let theme = Theme::default();
    buf.reset();
    let area = buf.area;
    view::render(
        area,
        buf,
        Ctx {
            session: &s,
            ui: &ui,
            theme: &theme,
        },
    );
    // Dropping the loader stops the background read.
    s.timeline().len()
}

/// The whole big trace, as the background read hands it over; with the seconds it took.
fn index_all(path: &Path) -> (Timeline, f64) {
    let started = Instant::now();
    let (mut t, loader) = feed::open(path).expect("open");
    let mut loader = loader.expect("a big trace reads in the background");
    loop {
        match loader.blocking_recv().expect("an end") {
            Loaded::Records(batch) => batch.into_iter().for_each(|r| t.push(r)),
            Loaded::End(None) => break,
            Loaded::End(Some(e)) => panic!("the generated trace is wrong: {e}"),
        }
    }
    (t, started.elapsed().as_secs_f64())
}

/// A small deterministic sequence of positions in `0..n`.
fn positions(n: usize, k: usize) -> Vec<usize> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..k)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn dash(c: &mut Criterion) {
    let path = trace_file();
    let mut g = c.benchmark_group("dash");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("open_1m_records", |b| {
        b.iter(|| black_box(feed::load(&path).expect("load")).len())
    });
    g.finish();

    let timeline = feed::load(&path).expect("load");
    std::fs::remove_file(&path).ok();
    let mut s = Session::new(timeline);
    s.seek(RECORDS / 2 + 517);
    let ui = Ui::new(Mode::Replay, "bench.jsonl", Lang::En);
    let theme = Theme::default();
    for (w, h) in [(80, 24), (200, 60)] {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        c.bench_function(&format!("frame_{w}x{h}"), |b| {
            b.iter(|| {
                buf.reset();
                view::render(
                    area,
                    &mut buf,
                    Ctx {
                        session: &s,
                        ui: &ui,
                        theme: &theme,
                    },
                );
            })
        });
    }
    c.bench_function("step_back_1m", |b| {
        b.iter(|| {
            let p = s.pos();
            s.seek(p - 1);
            s.seek(p);
        })
    });
    drop(s);

    big(c);
}

/// The 10M-record figures, measured directly (each is one long operation or a spread of
/// positions, not a loop criterion can repeat cheaply), then printed as `DASH` lines.
fn big(c: &mut Criterion) {
    let path = big_trace_file();
    let mut buf = Buffer::empty(Rect::new(0, 0, 100, 40));
    c.bench_function("first_frame_10m", |b| {
        b.iter(|| first_frame(&path, &mut buf))
    });
    let firsts: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            black_box(first_frame(&path, &mut buf));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();

    let before = rss();
    let (t, index_s) = index_all(&path);
    let after = rss();
    std::fs::remove_file(&path).ok();
    assert_eq!(t.len(), BIG);
    let held = t.held_bytes() as f64 / BIG as f64;
    let spilled = t.spilled_bytes();
    let rss_per = after.saturating_sub(before) as f64 / BIG as f64;

    let mut s = Session::new(t);
    let seeks = seek_times(&mut s, 200);
    let backs: Vec<f64> = positions(BIG, 200)
        .into_iter()
        .map(|p| {
            s.seek(p.max(1));
            let t = Instant::now();
            s.seek(s.pos() - 1);
            black_box(s.snapshot().applied);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let (crossing, backs_held, cold) = held_key(&mut s, 60);
    s.seek(BIG / 3);
    c.bench_function("step_back_10m", |b| {
        b.iter(|| {
            let p = s.pos();
            s.seek(p - 1);
            s.seek(p);
        })
    });
    drop(s);

    // The bytes held with 2,000 events (a busy server's connections): checkpoints are bigger.
    let before = rss();
    let mut many = Timeline::new(synth::Synth::header());
    let mut gen = synth::Synth::new(2000);
    let mut records = Vec::new();
    gen.setup(&mut records);
    let mut pushed = 0;
    while pushed < BIG {
        while records.len() < 4096 {
            gen.iteration(&mut records);
        }
        for r in records.drain(..).take(BIG - pushed) {
            many.push(r);
            pushed += 1;
        }
    }
    let many_rss = rss().saturating_sub(before) as f64 / BIG as f64;
    let many_held = many.held_bytes() as f64 / BIG as f64;
    // What a checkpoint every 1,024 records would cost per record at this size.
    let every_1024 = many.last().held_bytes() as f64 / 1024.0;
    let mut s = Session::new(many);
    let (many_crossing, many_held_key, _) = held_key(&mut s, 20);
    let many_seeks = seek_times(&mut s, 50);
    drop(s);

    let (f, f0, f1) = median(firsts);
    let (sk, sk0, sk1) = median(seeks);
    let (bk, bk0, bk1) = median(backs);
    println!("DASH first_frame_10m_ms={f:.1} min={f0:.1} max={f1:.1}");
    println!("DASH index_10m_s={index_s:.1}");
    println!(
        "DASH held_bytes_per_record={held:.1} rss_bytes_per_record={rss_per:.1} spilled_mb={:.0}",
        spilled as f64 / 1e6
    );
    println!("DASH seek_10m_ms={sk:.2} min={sk0:.2} max={sk1:.2}");
    println!("DASH step_back_10m_us={bk:.1} min={bk0:.1} max={bk1:.1}");
    let (x, x0, x1) = median(crossing);
    let (h, h0, h1) = median(backs_held);
    let (k, k0, k1) = median(cold);
    println!("DASH step_back_held_key_10m_us={h:.1} min={h0:.1} max={h1:.1}");
    println!("DASH step_back_block_boundary_10m_us={x:.1} min={x0:.1} max={x1:.1}");
    println!("DASH step_back_block_boundary_no_wait_10m_us={k:.1} min={k0:.1} max={k1:.1}");
    let (h, h0, h1) = median(many_held_key);
    let (m, m0, m1) = median(many_seeks);
    println!("DASH step_back_held_key_2000_events_us={h:.1} min={h0:.1} max={h1:.1}");
    let (x, x0, x1) = median(many_crossing);
    println!("DASH step_back_block_boundary_2000_events_us={x:.1} min={x0:.1} max={x1:.1}");
    println!("DASH seek_2000_events_ms={m:.2} min={m0:.2} max={m1:.2}");
    println!(
        "DASH held_bytes_per_record_2000_events={many_held:.1} \
         rss_bytes_per_record_2000_events={many_rss:.1} \
         checkpoint_bytes_per_record_if_every_1024={every_1024:.1}"
    );
}

/// Milliseconds to seek to each of `n` positions spread over the 10M records.
fn seek_times(s: &mut Session, n: usize) -> Vec<f64> {
    positions(BIG, n)
        .into_iter()
        .map(|p| {
            let t = Instant::now();
            s.seek(p);
            black_box(s.snapshot().applied);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

/// Steps back across `count` block boundaries of `s` as a held key does: from 4 records into a
/// block to 4 records into the one before it, a step every `KEY_REPEAT`, the screen's tick
/// (every `TICK_MS`) making the next step ready as the dashboard's loop does; and, elsewhere,
/// lands on a boundary and steps back at once. The step times in µs: those across a boundary,
/// all of them, and those with no time before.
fn held_key(s: &mut Session, count: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let blocks = s.timeline().len() / BLOCK - 1;
    let (mut crossing, mut all, mut cold) = (Vec::new(), Vec::new(), Vec::new());
    let tick = Duration::from_millis(TICK_MS);
    for p in positions(blocks, count) {
        let start = (p + 1) * BLOCK + 4;
        s.seek(start);
        let mut waited = Duration::ZERO;
        for _ in 0..8 {
            std::thread::sleep(KEY_REPEAT);
            // The screen's tick, while it waits for keys, makes the next step back ready.
            waited += KEY_REPEAT;
            if waited >= tick {
                s.prepare_step_back();
                waited -= tick;
            }
            let t = Instant::now();
            s.seek(s.pos() - 1);
            black_box(s.snapshot().applied);
            let us = t.elapsed().as_secs_f64() * 1e6;
            if s.pos() % BLOCK == BLOCK - 1 {
                crossing.push(us);
            }
            all.push(us);
        }
        let far = (p + blocks / 2) % blocks + 1;
        s.seek(far * BLOCK);
        let t = Instant::now();
        s.seek(s.pos() - 1);
        black_box(s.snapshot().applied);
        cold.push(t.elapsed().as_secs_f64() * 1e6);
    }
    (crossing, all, cold)
}

criterion_group!(benches, dash);
criterion_main!(benches);
