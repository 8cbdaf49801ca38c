//! What a demo's receiver should get: every byte sent, in order. Each receiver checks what
//! arrives against it, so a demo that loses or garbles a byte says so in a note.

use std::collections::VecDeque;

/// The bytes sent and not yet received, oldest first.
#[derive(Default)]
pub(super) struct Expect {
    pending: VecDeque<u8>,
    received: usize,
}

impl Expect {
    /// `bytes` were sent: they must arrive next, after what is already pending.
    pub(super) fn sent(&mut self, bytes: &[u8]) {
        self.pending.extend(bytes);
    }

    /// `bytes` arrived. An error names the first byte that differs from what was sent (or that
    /// was never sent at all).
    pub(super) fn received(&mut self, bytes: &[u8]) -> Result<(), String> {
        for &b in bytes {
            match self.pending.pop_front() {
                Some(want) if want == b => self.received += 1,
                Some(want) => {
                    return Err(format!(
                        "byte {} is {:?}, but {:?} was sent",
                        self.received,
                        char::from(b),
                        char::from(want)
                    ))
                }
                None => {
                    return Err(format!(
                        "byte {} ({:?}) arrived, but nothing more was sent",
                        self.received,
                        char::from(b)
                    ))
                }
            }
        }
        Ok(())
    }

    /// Bytes sent that have not arrived yet.
    pub(super) fn outstanding(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Expect;

    #[test]
    fn matches_in_order_and_names_the_first_wrong_byte() {
        let mut e = Expect::default();
        e.sent(b"hello\n");
        assert_eq!(e.received(b"hel"), Ok(()));
        assert_eq!(e.outstanding(), 3);
        assert!(e.received(b"lx").unwrap_err().starts_with("byte 4 is 'x'"));
        let mut e = Expect::default();
        assert!(e
            .received(b"?")
            .unwrap_err()
            .contains("nothing more was sent"));
    }
}
