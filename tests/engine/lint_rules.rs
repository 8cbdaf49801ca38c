//! The rules the compiler cannot check alone. The workspace denies `unsafe_code` and clippy's
//! `undocumented_unsafe_blocks` (root `Cargo.toml`), and `sys` modules opt out with
//! `#![allow(unsafe_code)]`; these tests check that every crate opts into those lints, that the
//! core and the C library keep `#![deny(missing_docs)]`, that — since the C library's export
//! modules must allow `unsafe_code` for their `#[no_mangle]` — no source file outside a `sys`
//! module holds the `unsafe` keyword (a block, fn, impl, trait or attribute) or allows
//! `unsafe_code` itself, and that no safe function in a `sys` module takes a raw pointer.

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace's root directory (the root crate's manifest directory).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, build output and hidden directories left out.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Whether `rel` (a path relative to the workspace root) is part of a `sys` module: a file in
/// a directory named `sys`, or a file named `sys.rs`.
fn in_sys(rel: &Path) -> bool {
    rel.parent()
        .is_some_and(|dir| dir.iter().any(|c| c == "sys"))
        || rel.file_name().is_some_and(|n| n == "sys.rs")
}

/// The identifiers and keywords of Rust source `src`, with their line numbers, and the
/// punctuation a signature is read by (`*`, `(`, `)`, `<`, `>`, `->`, `,`, `:`): comments,
/// string literals (plain, byte, C and raw), character literals and lifetimes are left out, so
/// a word in a comment or a string is never taken for code.
fn words(src: &str) -> Vec<(usize, String)> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let ident_start = |c: char| c.is_alphabetic() || c == '_';
    let ident_char = |c: char| c.is_alphanumeric() || c == '_';
    // Skips a quoted literal whose opening quote is at `i`; escapes count unless `raw`.
    let skip_quoted = |i: &mut usize, line: &mut usize, quote: char, raw_hashes: Option<usize>| {
        *i += 1;
        while *i < s.len() {
            let c = s[*i];
            if c == '\n' {
                *line += 1;
            }
            if c == '\\' && raw_hashes.is_none() {
                if s.get(*i + 1) == Some(&'\n') {
                    *line += 1;
                }
                *i += 2;
                continue;
            }
            *i += 1;
            if c == quote {
                let hashes = raw_hashes.unwrap_or(0);
                if s[*i..].iter().take(hashes).filter(|&&h| h == '#').count() == hashes {
                    *i += hashes;
                    return;
                }
            }
        }
    };
    while i < s.len() {
        let c = s[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == '/' && s.get(i + 1) == Some(&'/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && s.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if s[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            skip_quoted(&mut i, &mut line, '"', None);
        } else if c == '\'' {
            if s.get(i + 1) == Some(&'\\') {
                // '\n', '\'', '\x7f', '\u{..}': past the escaped character, then to the quote
                i += 3;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if s.get(i + 2) == Some(&'\'') {
                i += 3; // 'a'
            } else {
                i += 1; // a lifetime or label: its name is not a word of interest
                while i < s.len() && ident_char(s[i]) {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit() {
            while i < s.len() && ident_char(s[i]) {
                i += 1;
            }
        } else if ident_start(c) {
            let start = i;
            while i < s.len() && ident_char(s[i]) {
                i += 1;
            }
            let word: String = s[start..i].iter().collect();
            let prefix = matches!(word.as_str(), "b" | "c" | "r" | "br" | "cr");
            if prefix && s.get(i) == Some(&'"') {
                let raw = word.ends_with('r').then_some(0);
                skip_quoted(&mut i, &mut line, '"', raw);
            } else if word.ends_with('r') && prefix && s.get(i) == Some(&'#') {
                let hashes = s[i..].iter().take_while(|&&h| h == '#').count();
                if s.get(i + hashes) == Some(&'"') {
                    i += hashes;
                    skip_quoted(&mut i, &mut line, '"', Some(hashes));
                } else {
                    i += 1; // a raw identifier, r#name: the name follows as a word
                }
            } else if word == "b" && s.get(i) == Some(&'\'') {
                // b'x', b'\'', b'\x7f': the quote is read as a character literal's
                continue;
            } else {
                out.push((line, word));
            }
        } else if c == '-' && s.get(i + 1) == Some(&'>') {
            out.push((line, "->".to_string()));
            i += 2;
        } else {
            if "*()<>,:".contains(c) {
                out.push((line, c.to_string()));
            }
            i += 1;
        }
    }
    out
}

/// The safe functions among `words` (of one file) that take a raw pointer parameter, as
/// `(line, name)`: a parameter whose type starts with `*const` or `*mut`. Functions marked
/// `unsafe` (with their `# Safety` contract) are left out, and so are function-pointer types.
fn safe_fns_taking_raw_pointers(words: &[(usize, String)]) -> Vec<(usize, String)> {
    let w = |i: usize| words.get(i).map_or("", |(_, s)| s.as_str());
    let mut found = Vec::new();
    for (at, (line, word)) in words.iter().enumerate() {
        if word != "fn" {
            continue;
        }
        // `pub(crate) unsafe extern "C" fn`: the qualifiers before `fn` (the ABI string is not
        // a word).
        let mut back = at;
        let mut is_unsafe = false;
        while back > 0 {
            match w(back - 1) {
                "unsafe" => is_unsafe = true,
                "pub" | "crate" | "super" | "in" | "self" | "(" | ")" | "extern" | "const"
                | "async" => {}
                _ => break,
            }
            back -= 1;
        }
        let name = w(at + 1);
        let named = name.starts_with(|c: char| c.is_alphabetic() || c == '_');
        if is_unsafe || !named {
            continue;
        }
        // Past the generics, to the parameter list.
        let mut i = at + 2;
        if w(i) == "<" {
            let mut depth = 0;
            while i < words.len() {
                match w(i) {
                    "<" => depth += 1,
                    ">" => depth -= 1,
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
        }
        if w(i) != "(" {
            continue;
        }
        // Each parameter's type starts after its first top-level `:`.
        let (mut depth, mut angle, mut typed, mut raw) = (0, 0, false, false);
        while i < words.len() {
            match w(i) {
                "(" => depth += 1,
                ")" => depth -= 1,
                "<" => angle += 1,
                ">" => angle -= 1,
                "," if depth == 1 && angle == 0 => typed = false,
                ":" if depth == 1 && angle == 0 && !typed => {
                    typed = true;
                    raw |= w(i + 1) == "*";
                }
                _ => {}
            }
            i += 1;
            if depth == 0 {
                break;
            }
        }
        if raw {
            found.push((*line, name.to_string()));
        }
    }
    found
}

#[test]
fn the_signature_reader_finds_raw_pointer_parameters() {
    let src = r#"
pub(crate) fn bytes<'a>(p: *const c_void, len: usize) -> Option<&'a [u8]> { None }
pub(crate) unsafe fn free(p: *mut c_void) {}
unsafe extern "C" fn wait(cond: *mut c_void, tv: *const libc::timeval) -> c_int { 0 }
pub(crate) type Cb = unsafe extern "C" fn(*mut c_void);
fn call(f: Option<extern "C" fn(*mut c_void)>, n: HashMap<u8, u8>, out: Out<'_, *mut u8>) {}
fn get(self) -> *const T { self.0 }
pub extern "C" fn evbuffer_add(buf: *mut evbuffer, data: InSlice<'_, u8>) -> c_int { 0 }
fn pair<T: Copy>(a: T, b: &mut [T], c: impl Fn(u8) -> u8, d: *mut T) {}
"#;
    let found = safe_fns_taking_raw_pointers(&words(src));
    let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["bytes", "evbuffer_add", "pair"]);
}

/// A safe function in a `sys` module that takes a raw pointer would let safe code outside it
/// read or write any address: C's pointers arrive as the parameter types of
/// `capi/src/sys/cptr.rs`, whose accessors rely on the contract C made, and a function that
/// must take a raw pointer is an `unsafe fn` with its `# Safety` section.
#[test]
fn safe_functions_in_sys_modules_take_no_raw_pointers() {
    let root = root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut broken = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&root).expect("under the root");
        if !in_sys(rel) {
            continue;
        }
        let src = fs::read_to_string(path).expect("a source file");
        for (line, name) in safe_fns_taking_raw_pointers(&words(&src)) {
            broken.push(format!("{}:{line}: fn {name}", rel.display()));
        }
    }
    assert!(
        broken.is_empty(),
        "safe functions in sys modules taking a raw pointer (take a parameter type of \
         capi/src/sys/cptr.rs, or make them `unsafe fn` with a `# Safety` section):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_scanner_sees_code_not_comments_or_strings() {
    let src = r####"
// unsafe in a comment
/* unsafe /* nested unsafe */ still a comment: unsafe */
/// unsafe in a doc comment
const A: &str = "unsafe \" unsafe";
const B: &str = r#"unsafe "# ;
const C: &[u8] = br##"unsafe "# unsafe"##;
const D: char = '"';
const E: u8 = b'\'';
const F: [char; 2] = ['\'', '\u{75}'];
fn f<'unsafe_lifetime>(x: &'unsafe_lifetime u8) -> u8 { *x }
fn g() { let r#unsafe_name = 1; unsafe { h() } }
"####;
    let found: Vec<(usize, String)> = words(src)
        .into_iter()
        .filter(|(_, w)| w.starts_with("unsafe"))
        .collect();
    assert_eq!(
        found,
        vec![(12, "unsafe_name".to_string()), (12, "unsafe".to_string())]
    );
}

#[test]
fn unsafe_code_only_in_sys_modules() {
    let root = root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 100,
        "found only {} source files under {}",
        files.len(),
        root.display()
    );
    let exports = Path::new("capi/src/lib.rs");
    let mut broken = Vec::new();
    let mut sys_files = 0;
    for path in &files {
        let rel = path.strip_prefix(&root).expect("under the root");
        if in_sys(rel) {
            sys_files += 1;
            continue;
        }
        let src = fs::read_to_string(path).expect("a source file");
        for (line, word) in words(&src) {
            let bad = match word.as_str() {
                // A block, fn, impl, trait, extern block or attribute marked unsafe.
                "unsafe" => true,
                // Only `sys` modules opt out of the lint — and the C library's root, for the
                // export modules' `#[no_mangle]`.
                "unsafe_code" => rel != exports,
                // Symbol and section attributes an `unsafe_code` allowance would let through.
                "export_name" | "link_section" => true,
                _ => false,
            };
            if bad {
                broken.push(format!("{}:{line}: `{word}`", rel.display()));
            }
        }
    }
    assert!(
        sys_files >= 20,
        "found only {sys_files} files in sys modules"
    );
    assert!(
        broken.is_empty(),
        "unsafe code outside a `sys` module (move it into one, behind a safe function):\n{}",
        broken.join("\n")
    );
}

/// The manifest of every crate in the workspace: the root's and each member's.
fn manifests() -> Vec<PathBuf> {
    let root = root();
    let text = fs::read_to_string(root.join("Cargo.toml")).expect("the root manifest");
    let members = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("members = "))
        .expect("a `members = [...]` line in the root manifest");
    let mut out = vec![root.join("Cargo.toml")];
    for m in members.trim_matches(|c| c == '[' || c == ']').split(',') {
        let m = m.trim().trim_matches('"');
        if !m.is_empty() {
            out.push(root.join(m).join("Cargo.toml"));
        }
    }
    out
}

/// The `key = value` lines of the table `[name]` in a manifest, comments and blanks left out.
fn table<'a>(manifest: &'a str, name: &str) -> Vec<&'a str> {
    let header = format!("[{name}]");
    manifest
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != header)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn every_crate_opts_into_the_workspace_lints() {
    let manifests = manifests();
    assert!(
        manifests.len() >= 3,
        "the workspace has the root, core and capi"
    );
    for path in &manifests {
        let text = fs::read_to_string(path).expect("a manifest");
        assert_eq!(
            table(&text, "lints"),
            ["workspace = true"],
            "{} must say `[lints] workspace = true`",
            path.display()
        );
    }
    let root = fs::read_to_string(root().join("Cargo.toml")).expect("the root manifest");
    assert!(table(&root, "workspace.lints.rust").contains(&r#"unsafe_code = "deny""#));
    let clippy = table(&root, "workspace.lints.clippy");
    assert!(clippy.contains(&r#"undocumented_unsafe_blocks = "deny""#));
    assert!(clippy.contains(&r#"missing_safety_doc = "deny""#));
}

#[test]
fn the_core_and_the_c_library_deny_missing_docs() {
    for crate_root in ["core/src/lib.rs", "capi/src/lib.rs"] {
        let lib = fs::read_to_string(root().join(crate_root)).expect("a crate's lib.rs");
        assert!(
            lib.lines().any(|l| l.trim() == "#![deny(missing_docs)]"),
            "{crate_root} must keep #![deny(missing_docs)]"
        );
    }
}
