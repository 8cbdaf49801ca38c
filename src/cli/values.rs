//! Value parsers for the command line's numbers and addresses. Each says its option's allowed
//! range, so a number out of range is a usage error naming the option (clap adds `for
//! '--speed <X>'`), never a panic later when the number becomes a `Duration` or a deadline.

use std::net::SocketAddr;

/// `--speed`: from a hundredth of classroom pace to a thousand times it.
pub const SPEED: (f64, f64) = (0.01, 1000.0);

/// `--duration`: from a millisecond to a week, in seconds.
pub const DURATION_SECS: (f64, f64) = (0.001, 7.0 * 24.0 * 3600.0);

/// A finite decimal number (`2`, `0.5`, `1e3`), or why `text` is not one.
fn number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(format!("{text:?} is not a number")),
    }
}

/// `n` when it lies in `range`, else the range in words.
fn within(text: &str, range: (f64, f64), unit: &str) -> Result<f64, String> {
    let (lo, hi) = range;
    let n = number(text).map_err(|e| format!("{e}; give {lo} to {hi}{unit}"))?;
    if (lo..=hi).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{text} is out of range; give {lo} to {hi}{unit}"))
    }
}

/// `--speed X`.
pub fn speed(text: &str) -> Result<f64, String> {
    within(text, SPEED, " (1 is classroom pace)")
}

/// `--duration SECS`.
pub fn duration_secs(text: &str) -> Result<f64, String> {
    within(text, DURATION_SECS, " seconds (a week)")
}

/// An IP address and port, e.g. `127.0.0.1:5555` or `[::1]:5555`.
fn socket_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        format!("{text:?} is not an address like 127.0.0.1:PORT (an IP address, and a port from 0 to 65535)")
    })
}

/// `--listen ADDR`: any port, 0 for a free one.
pub fn listen_addr(text: &str) -> Result<SocketAddr, String> {
    socket_addr(text)
}

/// `attach ADDR`: `127.0.0.1:PORT` or `tcp:127.0.0.1:PORT`, with the port a program listens
/// on (1 to 65535: port 0 only asks for a free one when listening).
pub fn attach_addr(text: &str) -> Result<SocketAddr, String> {
    let addr = socket_addr(text.strip_prefix("tcp:").unwrap_or(text))?;
    if addr.port() == 0 {
        return Err(format!(
            "{text} has port 0, which no program listens on; give the port from 1 to 65535 the \
             program printed (EVSCOPE_TRACE=tcp:127.0.0.1:0 prints the one it picked)"
        ));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_range_pass_and_the_rest_say_the_range() {
        assert_eq!(speed("2"), Ok(2.0));
        assert_eq!(speed(" 0.5 "), Ok(0.5));
        assert_eq!(duration_secs("1e3"), Ok(1000.0));
        for bad in [
            "0", "-1", "1e-300", "1e19", "NaN", "inf", "-inf", "", "x", "1000.5",
        ] {
            let e = speed(bad).unwrap_err();
            assert!(e.contains("give 0.01 to 1000"), "{bad}: {e}");
        }
        for bad in ["0", "1e19", "1e20", "604801", "NaN"] {
            let e = duration_secs(bad).unwrap_err();
            assert!(e.contains("give 0.001 to 604800 seconds"), "{bad}: {e}");
        }
    }

    #[test]
    fn addresses_need_an_ip_and_a_port() {
        assert_eq!(
            attach_addr("tcp:127.0.0.1:4000"),
            Ok("127.0.0.1:4000".parse().unwrap())
        );
        assert!(attach_addr("127.0.0.1:0").unwrap_err().contains("port 0"));
        assert!(attach_addr("127.0.0.1:65536")
            .unwrap_err()
            .contains("port from 0 to 65535"));
        assert_eq!(
            listen_addr("127.0.0.1:0"),
            Ok("127.0.0.1:0".parse().unwrap())
        );
    }
}
