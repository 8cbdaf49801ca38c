//! Fuzzing the command line: random argument vectors (known words and flags, numbers of every
//! size, addresses, unicode, empty strings, bytes that are not UTF-8) go through clap and the
//! checks that follow it. Each must end in a parsed command or a clean error, never a panic.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::{CommandFactory, Parser};
use proptest::prelude::*;

use super::Cli;

const WORDS: &[&str] = &[
    "demo",
    "demos",
    "replay",
    "run",
    "attach",
    "validate",
    "export",
    "echo",
    "timer",
    "client",
    "pipe",
    "--headless",
    "--duration",
    "--speed",
    "--listen",
    "--record",
    "--step",
    "--print",
    "--lang",
    "--theme",
    "--backend",
    "--format",
    "-o",
    "--output",
    "--force-remote",
    "--token-file",
    "--",
    "-h",
    "--help",
    "--version",
    "en",
    "zh",
    "dark",
    "chrome",
    "epoll",
    "poll",
    "select",
    "--duration=",
    "--speed=",
    "t.jsonl",
    "/dev/full",
    "127.0.0.1:0",
    "tcp:127.0.0.1:9000",
    "[::1]:65535",
    "127.0.0.1:65536",
    "",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.001",
    "1e-300",
    "1e19",
    "1e20",
    "1e308",
    "1e309",
    "NaN",
    "inf",
    "-inf",
    "18446744073709551616",
    "604800",
    "604800.0001",
    "0x10",
    "1_000",
    " 1",
    "1 ",
];

fn arg() -> impl Strategy<Value = OsString> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(OsString::from),
        2 => prop::sample::select(NUMBERS).prop_map(OsString::from),
        2 => any::<f64>().prop_map(|n| OsString::from(n.to_string())),
        1 => any::<u64>().prop_map(|n| OsString::from(n.to_string())),
        2 => ".{0,12}".prop_map(OsString::from),
        1 => prop::collection::vec(any::<u8>(), 0..12).prop_map(OsString::from_vec),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_argument_vector_parses_or_fails_cleanly(
        args in prop::collection::vec(arg(), 0..8)
    ) {
        let argv = std::iter::once(OsString::from("evscope")).chain(args);
        if let Ok(cli) = Cli::try_parse_from(argv) {
            // Ok, or an error with a message: either way no panic.
            if let Err(f) = cli.check() {
                prop_assert!(!f.message.is_empty());
                prop_assert!(f.code != 0);
            }
        }
    }
}

#[test]
fn the_command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}
