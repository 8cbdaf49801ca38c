//! `evscope attach ADDR`: joins a program started with `EVSCOPE_TRACE=tcp:ADDR` (the program
//! listens, the viewer connects), shows everything it recorded so far and then its live records,
//! in the dashboard or (`--print`) as text. Leaving lets the program run on.
//!
//! The program lets in only a viewer that shows its link token: `attach` reads the one the
//! program wrote for this user (`trace::LinkToken::find`), or the one given with `--token-file`
//! or `EVSCOPE_TRACE_TOKEN`. There is no `--token VALUE`: a command line is visible to every
//! user of the machine.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use evscope::dash::{self, Feed};
use evscope::trace::{Control, LinkClient, LinkToken};

use super::view::ViewArgs;
use super::{dash_failure, print, values, Failure};

#[derive(clap::Args)]
pub struct Args {
    /// The program's address: 127.0.0.1:PORT (or tcp:127.0.0.1:PORT).
    #[arg(value_parser = values::attach_addr)]
    addr: SocketAddr,
    #[command(flatten)]
    view: ViewArgs,
    /// Allow an address that is not loopback.
    #[arg(long)]
    force_remote: bool,
    /// Read the link's token from FILE (default: the file the program wrote for this user;
    /// EVSCOPE_TRACE_TOKEN gives the token itself).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let addr = args.addr;
    if !args.view.print {
        dash::terminal::ensure().map_err(|e| dash_failure(e, None))?;
    }
    let token = match &args.token_file {
        Some(path) => Some(LinkToken::read_file(path)?),
        None => LinkToken::from_env()?,
    };
    let client = match token {
        Some(t) => LinkClient::attach_with_token(addr, args.force_remote, &t)?,
        None => LinkClient::attach(addr, args.force_remote)?,
    };
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
