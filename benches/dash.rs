//! Dashboard figures: opening a 1M-record trace (target < 1 s), rendering one frame
//! (target < 16 ms), and stepping back one record on that trace.
//!
//! `cargo bench --bench dash`

#[path = "../tests/util/synth.rs"]
mod synth;

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use evscope::dash::feed;
use evscope::dash::model::{Lang, Session};
use evscope::dash::theme::Theme;
use evscope::dash::ui::{Mode, Ui};
use evscope::dash::view::{self, Ctx};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const RECORDS: usize = 1_000_000;

/// Writes a 1M-record trace to a temporary file once.
fn trace_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("evscope-bench-{}.jsonl", std::process::id()));
    let (header, records) = synth::trace(RECORDS, 50);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("temp file"));
    writeln!(out, "{}", serde_json::to_string(&header).expect("header")).expect("write");
    for r in &records[..RECORDS] {
        writeln!(out, "{}", serde_json::to_string(r).expect("record")).expect("write");
    }
    out.flush().expect("flush");
    path
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
}

criterion_group!(benches, dash);
criterion_main!(benches);
