//! Evbuffer against a `Vec<u8>` model, readln for each end-of-line style, and reading and
//! writing real descriptors. An Evbuffer never touches an EventBase, so these run once rather
//! than once per backend.

mod util;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use evscope::ev::{EolStyle, Evbuffer, MAX_READ};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<u8>),
    Prepend(Vec<u8>),
    AddBuffer(Vec<u8>, Vec<u8>),
    RemoveBuffer(usize),
    Remove(usize),
    Drain(usize),
    CopyoutFrom(usize, usize),
    Pullup(usize),
    Search(Vec<u8>, usize),
    Readln(EolStyle),
}

/// Up to `max` bytes, mostly letters with CR, LF and NUL mixed in (so lines end often),
/// expanded from a length and a seed so large buffers are cheap to generate.
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    const ALPHABET: &[u8] = b"abcabc\r\n\0";
    (0..max, any::<u64>()).prop_map(|(len, seed)| {
        let mut rng = util::Rng::new(seed);
        (0..len)
            .map(|_| ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize])
            .collect()
    })
}

fn style() -> impl Strategy<Value = EolStyle> {
    prop::sample::select(vec![
        EolStyle::Any,
        EolStyle::Crlf,
        EolStyle::CrlfStrict,
        EolStyle::Lf,
        EolStyle::Nul,
    ])
}

fn op() -> impl Strategy<Value = Op> {
    let n = prop_oneof![0usize..20, 0usize..10_000];
    prop_oneof![
        3 => prop_oneof![bytes(40), bytes(6000)].prop_map(Op::Add),
        1 => bytes(5000).prop_map(Op::Prepend),
        2 => (bytes(600), bytes(6000)).prop_map(|(a, b)| Op::AddBuffer(a, b)),
        1 => n.clone().prop_map(Op::RemoveBuffer),
        1 => n.clone().prop_map(Op::Remove),
        1 => n.clone().prop_map(Op::Drain),
        1 => (n.clone(), n.clone()).prop_map(|(a, b)| Op::CopyoutFrom(a, b)),
        1 => n.clone().prop_map(Op::Pullup),
        1 => (bytes(4), n).prop_map(|(w, f)| Op::Search(w, f)),
        2 => style().prop_map(Op::Readln),
    ]
}

/// Where the model's first line ends: (line length, end-of-line length).
fn model_eol(v: &[u8], style: EolStyle) -> Option<(usize, usize)> {
    let find = |pat: &[u8]| v.windows(pat.len()).position(|w| w == pat);
    match style {
        EolStyle::Lf => find(b"\n").map(|p| (p, 1)),
        EolStyle::Nul => find(b"\0").map(|p| (p, 1)),
        EolStyle::CrlfStrict => find(b"\r\n").map(|p| (p, 2)),
        EolStyle::Crlf => {
            let p = find(b"\n")?;
            Some(if p > 0 && v[p - 1] == b'\r' {
                (p - 1, 2)
            } else {
                (p, 1)
            })
        }
        EolStyle::Any => {
            let p = v.iter().position(|&b| b == b'\r' || b == b'\n')?;
            let n = v[p..]
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            Some((p, n))
        }
    }
}

fn model_search(v: &[u8], what: &[u8], from: usize) -> Option<usize> {
    if from > v.len() {
        return None;
    }
    if what.is_empty() {
        return Some(from);
    }
    v[from..]
        .windows(what.len())
        .position(|w| w == what)
        .map(|p| p + from)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(util::proptest_cases(256)))]

    #[test]
    fn evbuffer_behaves_like_a_vec(ops in prop::collection::vec(op(), 1..30)) {
        let mut buf = Evbuffer::new();
        let mut model: Vec<u8> = Vec::new();
        let mut side = Evbuffer::new();
        let mut side_model: Vec<u8> = Vec::new();
        for op in ops {
            match op {
                Op::Add(d) => {
                    buf.add(&d);
                    model.extend_from_slice(&d);
                }
                Op::Prepend(d) => {
                    buf.prepend(&d);
                    model.splice(0..0, d);
                }
                Op::AddBuffer(a, b) => {
                    let mut src = Evbuffer::new();
                    src.add(&a);
                    src.add(&b);
                    buf.add_buffer(&mut src);
                    prop_assert!(src.is_empty());
                    model.extend_from_slice(&a);
                    model.extend_from_slice(&b);
                }
                Op::RemoveBuffer(n) => {
                    let moved = buf.remove_buffer(&mut side, n);
                    let want = n.min(model.len());
                    prop_assert_eq!(moved, want);
                    side_model.extend(model.drain(..want));
                    prop_assert_eq!(side.to_vec(), side_model.clone());
                }
                Op::Remove(n) => {
                    let mut out = vec![0; n];
                    let got = buf.remove(&mut out);
                    let want: Vec<u8> = model.drain(..n.min(model.len())).collect();
                    prop_assert_eq!(&out[..got], &want[..]);
                }
                Op::Drain(n) => {
                    prop_assert_eq!(buf.drain(n), n.min(model.len()));
                    model.drain(..n.min(model.len()));
                }
                Op::CopyoutFrom(pos, n) => {
                    let mut out = vec![0; n];
                    let got = buf.copyout_from(pos, &mut out);
                    let want = model.get(pos..).map_or(&[][..], |t| &t[..n.min(t.len())]);
                    prop_assert_eq!(&out[..got], want);
                }
                Op::Pullup(n) => {
                    let got = buf.pullup(n).map(<[u8]>::to_vec);
                    let want = (n <= model.len()).then(|| model[..n].to_vec());
                    prop_assert_eq!(got, want);
                }
                Op::Search(what, from) => {
                    prop_assert_eq!(buf.search(&what, from), model_search(&model, &what, from));
                }
                Op::Readln(style) => {
                    let got = buf.readln(style);
                    let want = model_eol(&model, style).map(|(at, eol)| {
                        let line = model[..at].to_vec();
                        model.drain(..at + eol);
                        line
                    });
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(buf.len(), model.len());
            prop_assert_eq!(buf.peek().map(<[u8]>::len).sum::<usize>(), model.len());
            let mut head = [0u8; 64];
            let n = buf.copyout(&mut head);
            prop_assert_eq!(&head[..n], &model[..n.min(model.len())]);
        }
        prop_assert_eq!(buf.to_vec(), model);
    }

    #[test]
    fn read_from_and_write_to_move_exact_bytes(
        pieces in prop::collection::vec((1usize..20_000, 1usize..100_000), 1..8)
    ) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        let mut out = Evbuffer::new();
        let mut back = Evbuffer::new();
        let mut sent = Vec::new();
        let mut stream = util::ByteStream::new(3);
        for (size, howmuch) in pieces {
            let data = stream.take(size);
            out.add(&data);
            sent.extend_from_slice(&data);
            while !out.is_empty() {
                let wrote = out.write_to(a.as_raw_fd()).unwrap();
                prop_assert!(wrote > 0);
                while let Ok(n) = back.read_from(b.as_raw_fd(), howmuch) {
                    prop_assert!(n > 0 && n <= howmuch.min(MAX_READ));
                }
            }
        }
        prop_assert_eq!(back.to_vec(), sent);
    }
}

#[test]
fn readln_for_each_eol_style() {
    let text = b"a\nb\r\nc\r\r\nd\0e\n\rf";
    let lines = |style| {
        let mut buf = Evbuffer::new();
        buf.add(text);
        let mut lines = Vec::new();
        while let Some(l) = buf.readln(style) {
            lines.push(String::from_utf8_lossy(&l).into_owned());
        }
        (lines, String::from_utf8_lossy(&buf.to_vec()).into_owned())
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        lines(EolStyle::Lf),
        (s(&["a", "b\r", "c\r\r", "d\0e"]), "\rf".into())
    );
    assert_eq!(
        lines(EolStyle::Crlf),
        (s(&["a", "b", "c\r", "d\0e"]), "\rf".into())
    );
    assert_eq!(
        lines(EolStyle::CrlfStrict),
        (s(&["a\nb", "c\r"]), "d\0e\n\rf".into())
    );
    assert_eq!(
        lines(EolStyle::Any),
        (s(&["a", "b", "c", "d\0e"]), "f".into())
    );
    assert_eq!(
        lines(EolStyle::Nul),
        (s(&["a\nb\r\nc\r\r\nd"]), "e\n\rf".into())
    );
}

#[test]
fn readln_finds_a_line_ending_split_across_chunks() {
    let mut buf = Evbuffer::new();
    let mut first = Evbuffer::new();
    first.add(&[b'x'; 5000]);
    first.add(b"\r");
    buf.add_buffer(&mut first);
    let mut second = Evbuffer::new();
    second.add(b"\nrest");
    buf.add_buffer(&mut second);
    let line = buf.readln(EolStyle::CrlfStrict).expect("a line");
    assert_eq!(line.len(), 5000);
    assert_eq!(buf.to_vec(), b"rest");
}

#[test]
fn one_read_takes_at_most_64_kib() -> util::TestResult {
    let (mut a, b) = UnixStream::pair()?;
    b.set_nonblocking(true)?;
    let mut buf = Evbuffer::new();
    let data = vec![5u8; 150_000];
    let writer = std::thread::spawn(move || a.write_all(&data));
    let mut reads = Vec::new();
    while reads.iter().sum::<usize>() < 150_000 {
        match buf.read_from(b.as_raw_fd(), usize::MAX) {
            Ok(n) => reads.push(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) => return Err(e.into()),
        }
    }
    writer.join().map_err(|_| "writer panicked")??;
    assert!(reads.iter().all(|&n| n <= MAX_READ), "{reads:?}");
    assert_eq!(MAX_READ, 64 * 1024);
    let mut back = vec![0; 150_000];
    assert_eq!(buf.read(&mut back)?, 150_000);
    assert!(back.iter().all(|&x| x == 5));
    Ok(())
}
