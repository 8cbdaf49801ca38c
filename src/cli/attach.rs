//! `evscope attach ADDR`: joins a program started with `EVSCOPE_TRACE=tcp:ADDR` (the program
//! listens, the viewer connects), shows everything it recorded so far and then its live records.
//! Leaving (Ctrl-C, or the end of stdin with `--step`) lets the program run on.

use std::net::SocketAddr;
use std::process::ExitCode;

use evscope::trace::{Lang, LinkClient};

use super::{live, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The program's address: 127.0.0.1:PORT (or tcp:127.0.0.1:PORT).
    addr: String,
    /// Print the timeline as text (the only view until the dashboard lands).
    #[arg(long)]
    print: bool,
    /// Pause the program at once; step with Enter on stdin.
    #[arg(long)]
    step: bool,
    /// Language of the explanations: en or zh.
    #[arg(long, default_value = "en")]
    lang: Lang,
    /// Allow an address that is not loopback.
    #[arg(long)]
    force_remote: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let text = args.addr.strip_prefix("tcp:").unwrap_or(&args.addr);
    let addr: SocketAddr = text
        .parse()
        .map_err(|_| format!("{:?} is not an address like 127.0.0.1:PORT", args.addr))?;
    if !args.print {
        eprintln!("evscope: the dashboard is not built yet; showing the text timeline");
    }
    let client = LinkClient::attach(addr, args.force_remote)?;
    if args.step {
        client.send(&evscope::trace::Control::Pause)?;
    }
    live::show(client, args.step, args.lang)?;
    Ok(ExitCode::SUCCESS)
}
