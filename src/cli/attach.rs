//! `evscope attach ADDR`: joins a program started with `EVSCOPE_TRACE=tcp:ADDR` (the program
//! listens, the viewer connects), shows everything it recorded so far and then its live records,
//! in the dashboard or (`--print`) as text. Leaving lets the program run on.

use std::net::SocketAddr;
use std::process::ExitCode;

use evscope::dash::{self, Feed};
use evscope::trace::{Control, LinkClient};

use super::view::ViewArgs;
use super::{dash_failure, print, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The program's address: 127.0.0.1:PORT (or tcp:127.0.0.1:PORT).
    addr: String,
    #[command(flatten)]
    view: ViewArgs,
    /// Allow an address that is not loopback.
    #[arg(long)]
    force_remote: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let text = args.addr.strip_prefix("tcp:").unwrap_or(&args.addr);
    let addr: SocketAddr = text
        .parse()
        .map_err(|_| format!("{:?} is not an address like 127.0.0.1:PORT", args.addr))?;
    if !args.view.print {
        dash::terminal::ensure().map_err(|e| dash_failure(e, None))?;
    }
    let client = LinkClient::attach(addr, args.force_remote)?;
    if args.view.print {
        if args.view.step {
            client.send(&Control::Pause)?;
        }
        print::show(client, args.view.step, args.view.lang)?;
    } else {
        let opts = args.view.dash_options();
        let feed = Feed::link(&format!("attach {addr}"), client);
        dash::live(feed, &opts).map_err(|e| dash_failure(e, None))?;
    }
    Ok(ExitCode::SUCCESS)
}
