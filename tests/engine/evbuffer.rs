//! Evbuffer against a `Vec<u8>` model, readln for each end-of-line style, reading and writing
//! real descriptors, and the chain itself against libevent 2.1.12's: the chunk sizes, free space
//! and extents below are what the system's libevent holds after the same calls. An Evbuffer
//! never touches an EventBase, so these run once rather than once per backend.

use crate::sys;
use crate::util;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use evscope::ev::{ChainInfo, EolStyle, Evbuffer, MAX_READ};
use proptest::prelude::*;
use sys::allocations;

#[global_allocator]
static ALLOCATOR: sys::Counting = sys::Counting;

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<u8>),
    Prepend(Vec<u8>),
    AddPrintf(Vec<u8>),
    AddIovec(Vec<u8>, Vec<u8>),
    AddBuffer(Vec<u8>, Vec<u8>),
    PrependBuffer(Vec<u8>),
    Reserve(usize, usize, Vec<u8>),
    Expand(usize),
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
        1 => bytes(3000).prop_map(Op::AddPrintf),
        1 => (bytes(600), bytes(6000)).prop_map(|(a, b)| Op::AddIovec(a, b)),
        2 => (bytes(600), bytes(6000)).prop_map(|(a, b)| Op::AddBuffer(a, b)),
        1 => bytes(3000).prop_map(Op::PrependBuffer),
        1 => (n.clone(), 0usize..6, bytes(9000)).prop_map(|(s, v, d)| Op::Reserve(s, v, d)),
        1 => n.clone().prop_map(Op::Expand),
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
                Op::AddPrintf(d) => {
                    buf.add_printf(&d);
                    model.extend_from_slice(&d);
                }
                Op::AddIovec(a, b) => {
                    prop_assert_eq!(buf.add_iovec(&[&a, &b]), a.len() + b.len());
                    model.extend_from_slice(&a);
                    model.extend_from_slice(&b);
                }
                Op::PrependBuffer(d) => {
                    let mut src = Evbuffer::new();
                    src.add(&d);
                    buf.prepend_buffer(&mut src);
                    prop_assert!(src.is_empty());
                    model.splice(0..0, d);
                }
                Op::Reserve(size, n_vecs, d) => {
                    // Write as much of `d` as the spaces take, commit it, and check it landed.
                    let mut written = Vec::new();
                    let extents: Option<Vec<(*const u8, usize)>> =
                        buf.reserve_space(size, n_vecs).map(|spaces| {
                            let mut left = &d[..];
                            spaces
                                .into_iter()
                                .map(|space| {
                                    let n = space.len().min(left.len());
                                    space[..n].copy_from_slice(&left[..n]);
                                    written.extend_from_slice(&left[..n]);
                                    left = &left[n..];
                                    (space.as_ptr(), n)
                                })
                                .collect()
                        });
                    prop_assert_eq!(extents.is_none(), n_vecs == 0);
                    if let Some(extents) = extents {
                        let room: usize = extents.iter().map(|e| e.1).sum();
                        prop_assert!(n_vecs == 0 || room == written.len());
                        prop_assert!(buf.commit_space(&extents));
                        model.extend_from_slice(&written);
                    }
                }
                Op::Expand(n) => buf.expand(n),
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
            prop_assert_eq!(buf.contiguous_space(), buf.peek().next().map_or(0, <[u8]>::len));
            prop_assert!(buf.chains().all(|c| c.misalign + c.len <= c.capacity));
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
fn one_read_takes_at_most_4_kib() -> util::TestResult {
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
    assert_eq!(MAX_READ, 4096);
    let mut back = vec![0; 150_000];
    assert_eq!(buf.read(&mut back)?, 150_000);
    assert!(back.iter().all(|&x| x == 5));
    Ok(())
}

/// The chain as (capacity, misalign, len) per chunk.
fn chain(b: &Evbuffer) -> Vec<(usize, usize, usize)> {
    b.chains()
        .map(
            |ChainInfo {
                 capacity,
                 misalign,
                 len,
             }| (capacity, misalign, len),
        )
        .collect()
}

fn extents(b: &Evbuffer) -> Vec<usize> {
    b.peek().map(<[u8]>::len).collect()
}

#[test]
fn add_fills_the_last_chunk_then_doubles() {
    // libevent: a chunk is 48 bytes of header and data in a power of two of at least 1 KiB; a
    // new one is twice the last one's size, up to 4 KiB, or as big as what does not fit.
    let mut b = Evbuffer::new();
    b.add(&[1; 976]);
    assert_eq!(chain(&b), [(976, 0, 976)]);
    b.add(&[2; 1]);
    assert_eq!(chain(&b), [(976, 0, 976), (2000, 0, 1)]);
    b.add(&[3; 1999]);
    b.add(&[4; 1]);
    assert_eq!(chain(&b), [(976, 0, 976), (2000, 0, 2000), (4048, 0, 1)]);
    b.add(&[5; 4047]);
    b.add(&[6; 1]);
    b.add(&[7; 5000]);
    assert_eq!(
        chain(&b),
        [
            (976, 0, 976),
            (2000, 0, 2000),
            (4048, 0, 4048),
            (4048, 0, 4048),
            (8144, 0, 953)
        ]
    );
    assert_eq!(b.contiguous_space(), 976);
}

#[test]
fn contiguous_space_after_adds_and_drains() {
    // evbuffer_basic's sequence: "hello", a printf, drain 2, remove 4, then 4 x 3000 bytes.
    let mut b = Evbuffer::new();
    b.add(b"hello");
    b.add_printf(b" world -42 003.1|");
    b.add(&[0; 3]);
    assert_eq!(chain(&b), [(976, 0, 25)]);
    b.drain(2);
    let mut out = [0; 4];
    assert_eq!(b.remove(&mut out), 4);
    assert_eq!(chain(&b), [(976, 6, 19)]);
    for _ in 0..4 {
        b.add(&[b'a'; 3000]);
    }
    assert_eq!(b.contiguous_space(), 970);
    assert_eq!(extents(&b), [970, 4048, 4048, 2953]);
    assert_eq!(b.len(), 12019);
    // Draining frees whole chunks; what is left of one stays where it was.
    b.drain(970 + 100);
    assert_eq!(
        chain(&b),
        [(4048, 100, 3948), (4048, 0, 4048), (4048, 0, 2953)]
    );
    assert_eq!(b.contiguous_space(), 3948);
}

#[test]
fn prepend_uses_the_room_before_the_data() {
    let mut b = Evbuffer::new();
    b.add(&[1; 100]);
    b.drain(60);
    b.prepend(&[2; 50]);
    assert_eq!(chain(&b), [(976, 10, 90)]);
    // What does not fit goes in a new chunk in front, at its end.
    b.prepend(&[3; 100]);
    assert_eq!(chain(&b), [(976, 886, 90), (976, 0, 100)]);
    b.drain(150);
    b.prepend(&[4; 3000]);
    assert_eq!(chain(&b), [(4048, 1108, 2940), (976, 0, 100)]);
    assert_eq!(extents(&b), [2940, 100]);
}

#[test]
fn add_buffer_moves_whole_chunks_after_the_last_with_data() {
    let mut src = Evbuffer::new();
    src.add(&[1; 100]);
    src.add(&[2; 3000]);
    let mut dst = Evbuffer::new();
    dst.add(&[3; 10]);
    dst.add_buffer(&mut src);
    assert_eq!(chain(&dst), [(976, 0, 10), (976, 0, 976), (4048, 0, 2124)]);
    assert_eq!(extents(&src), Vec::<usize>::new());
    dst.add(&[4; 20]);
    assert_eq!(extents(&dst), [10, 976, 2144]);
}

#[test]
fn remove_buffer_moves_whole_chunks_and_copies_the_rest() {
    let mut src = Evbuffer::new();
    src.add(&[1; 100]);
    src.add(&[2; 3000]);
    let mut dst = Evbuffer::new();
    dst.add(&[3; 10]);
    assert_eq!(src.remove_buffer(&mut dst, 50), 50);
    assert_eq!(chain(&dst), [(976, 0, 60)]);
    assert_eq!(src.remove_buffer(&mut dst, 1000), 1000);
    assert_eq!(chain(&dst), [(976, 0, 60), (976, 50, 926), (2000, 0, 74)]);
    assert_eq!(chain(&src), [(4048, 74, 2050)]);
}

#[test]
fn pullup_merges_in_place_or_into_a_new_chunk() {
    let mut b = Evbuffer::new();
    for _ in 0..3 {
        b.add(&[9; 900]);
    }
    assert_eq!(chain(&b), [(976, 0, 976), (2000, 0, 1724)]);
    assert_eq!(b.pullup(1000).map(<[u8]>::len), Some(1000));
    assert_eq!(chain(&b), [(2000, 0, 1000), (2000, 24, 1700)]);
    // The first chunk has room: the bytes move into it.
    assert!(b.pullup(1500).is_some());
    assert_eq!(chain(&b), [(2000, 0, 1500), (2000, 524, 1200)]);
    assert!(b.pullup(2700).is_some());
    assert_eq!(chain(&b), [(4048, 0, 2700)]);
    assert!(b.pullup(2701).is_none());
}

#[test]
fn printf_keeps_its_text_in_one_chunk() {
    // Less than 64 bytes free: evbuffer_add_printf starts a new chunk, evbuffer_add does not.
    let mut printed = Evbuffer::new();
    printed.add(&[0; 950]);
    printed.add_printf(&[1; 20]);
    assert_eq!(extents(&printed), [950, 20]);
    let mut added = Evbuffer::new();
    added.add(&[0; 950]);
    added.add(&[1; 20]);
    assert_eq!(extents(&added), [970]);
}

#[test]
fn expand_and_reserve_space_as_libevent() {
    let mut b = Evbuffer::new();
    b.add(&[0; 500]);
    b.expand(300);
    assert_eq!(chain(&b), [(976, 0, 500)]);
    // Not enough room, little data: the chunk is replaced by a bigger one.
    b.expand(1000);
    assert_eq!(chain(&b), [(2000, 0, 500)]);
    let spaces: Vec<usize> = b
        .reserve_space(3000, 2)
        .map(|v| v.iter().map(|s| s.len()).collect())
        .unwrap_or_default();
    assert_eq!(spaces, [1500, 2000]);
    assert_eq!(chain(&b), [(2000, 0, 500), (2000, 0, 0)]);
    // An empty chunk libevent keeps is an extent of its own.
    assert_eq!(extents(&b), [500, 0]);
    assert!(b.reserve_space(10, 0).is_none());
}

#[test]
fn reads_fill_the_free_space_then_one_new_chunk() -> util::TestResult {
    let (mut a, b) = UnixStream::pair()?;
    b.set_nonblocking(true)?;
    let mut buf = Evbuffer::new();
    a.write_all(&[1; 100])?;
    assert_eq!(buf.read_from(b.as_raw_fd(), usize::MAX)?, 100);
    assert_eq!(chain(&buf), [(976, 0, 100)]);
    a.write_all(&[2; 5000])?;
    assert_eq!(buf.read_from(b.as_raw_fd(), usize::MAX)?, 4096);
    assert_eq!(chain(&buf), [(976, 0, 976), (4048, 0, 3220)]);
    util::drain(&b);
    a.write_all(&[3; 5000])?;
    assert_eq!(buf.read_from(b.as_raw_fd(), usize::MAX)?, 4096);
    assert_eq!(
        chain(&buf),
        [(976, 0, 976), (4048, 0, 4048), (4048, 0, 3268)]
    );
    util::drain(&b);
    buf.drain(2000);
    a.write_all(&[4; 100])?;
    assert_eq!(buf.read_from(b.as_raw_fd(), usize::MAX)?, 100);
    assert_eq!(chain(&buf), [(4048, 1024, 3024), (4048, 0, 3368)]);
    // Nothing to read: libevent has already made room for 4 KiB.
    let mut empty = Evbuffer::new();
    let err = empty.read_from(b.as_raw_fd(), usize::MAX);
    assert_eq!(
        err.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock)
    );
    assert_eq!(chain(&empty), [(8144, 0, 0)]);
    Ok(())
}

#[test]
fn a_read_into_many_free_chunks_asks_how_much_is_waiting() -> util::TestResult {
    // Four chunks with room at the end: libevent asks FIONREAD, then either reads into them or
    // replaces the empty ones with one chunk big enough.
    let (mut a, b) = UnixStream::pair()?;
    b.set_nonblocking(true)?;
    let mut buf = Evbuffer::new();
    buf.add(&[0; 970]);
    for size in [100, 1000, 2000] {
        let spaces = buf.reserve_space(size, 5).map(|v| v.len());
        assert!(spaces.is_some());
        assert!(buf.commit_space(&[]));
    }
    assert_eq!(
        chain(&buf),
        [(976, 0, 970), (976, 0, 0), (976, 0, 0), (976, 0, 0)]
    );
    a.write_all(&[1; 5000])?;
    assert_eq!(buf.read_from(b.as_raw_fd(), usize::MAX)?, 4096);
    assert_eq!(chain(&buf), [(976, 0, 976), (8144, 0, 4090)]);
    Ok(())
}

#[test]
fn the_echo_path_allocates_nothing_once_warm() -> util::TestResult {
    // A server's echo: read into the input, move it to the output, write it out.
    let (mut peer, server) = UnixStream::pair()?;
    server.set_nonblocking(true)?;
    let (mut input, mut output) = (Evbuffer::new(), Evbuffer::new());
    let mut back = vec![0u8; 16 * 1024];
    for size in [64, 1000, 4096, 10_000] {
        let message = vec![7u8; size];
        let mut echo = |rounds: usize| -> std::io::Result<()> {
            for _ in 0..rounds {
                peer.write_all(&message)?;
                let mut got = 0;
                while got < size {
                    got += input.read_from(server.as_raw_fd(), 16 * 1024)?;
                    output.add_buffer(&mut input);
                    output.write_to(server.as_raw_fd())?;
                }
                peer.read_exact(&mut back[..size])?;
            }
            Ok(())
        };
        echo(50)?;
        let before = allocations();
        echo(500)?;
        assert_eq!(allocations() - before, 0, "{size}-byte messages");
    }
    Ok(())
}
