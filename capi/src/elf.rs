//! The function symbols of an ELF file (64-bit, little-endian), read from its `.symtab` (or
//! `.dynsym` when stripped). dladdr only sees exported symbols, and a program's callbacks are
//! usually not exported (`static`, or an executable linked without `-rdynamic`); the full
//! symbol table still names them unless the program was stripped.

/// A file's function symbols, sorted by address.
pub(crate) struct Symbols {
    /// `ET_DYN` (a PIE or shared object): addresses are relative to the load base.
    pub relative: bool,
    funcs: Vec<(u64, String)>,
}

const SHT_SYMTAB: u32 = 2;
const SHT_DYNSYM: u32 = 11;
const STT_FUNC: u8 = 2;
const ET_DYN: u16 = 3;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn usize_at(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u64_at(b, at)?).ok()
}

/// One section header: (type, offset, size, link, entry size).
fn section(
    b: &[u8],
    shoff: usize,
    shentsize: usize,
    i: usize,
) -> Option<(u32, usize, usize, usize, usize)> {
    let at = shoff.checked_add(i.checked_mul(shentsize)?)?;
    Some((
        u32_at(b, at + 4)?,
        usize_at(b, at + 24)?,
        usize_at(b, at + 32)?,
        u32_at(b, at + 40)? as usize,
        usize_at(b, at + 56)?,
    ))
}

impl Symbols {
    /// Parses `bytes`; None for anything but a well-formed 64-bit little-endian ELF file.
    pub(crate) fn parse(b: &[u8]) -> Option<Symbols> {
        if b.get(0..4)? != b"\x7fELF" || *b.get(4)? != 2 || *b.get(5)? != 1 {
            return None;
        }
        let relative = u16_at(b, 16)? == ET_DYN;
        let shoff = usize_at(b, 0x28)?;
        let shentsize = u16_at(b, 0x3a)? as usize;
        let shnum = u16_at(b, 0x3c)? as usize;
        let sections: Vec<_> = (0..shnum)
            .filter_map(|i| section(b, shoff, shentsize, i))
            .collect();
        let table = sections
            .iter()
            .find(|s| s.0 == SHT_SYMTAB)
            .or_else(|| sections.iter().find(|s| s.0 == SHT_DYNSYM))?;
        let (_, off, size, link, entsize) = *table;
        let (_, str_off, str_size, _, _) = *sections.get(link)?;
        let strtab = b.get(str_off..str_off.checked_add(str_size)?)?;
        let entsize = entsize.max(24);
        let mut funcs = Vec::new();
        for i in 0..size / entsize {
            let at = off + i * entsize;
            let (Some(name), Some(&info), Some(value)) =
                (u32_at(b, at), b.get(at + 4), u64_at(b, at + 8))
            else {
                break;
            };
            if info & 0xf != STT_FUNC || value == 0 {
                continue;
            }
            let Some(rest) = strtab.get(name as usize..) else {
                continue;
            };
            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
            if end > 0 {
                funcs.push((value, String::from_utf8_lossy(&rest[..end]).into_owned()));
            }
        }
        funcs.sort();
        Some(Symbols { relative, funcs })
    }

    /// The function starting exactly at `addr` (a file address).
    pub(crate) fn at(&self, addr: u64) -> Option<&str> {
        let i = self.funcs.partition_point(|(v, _)| *v < addr);
        self.funcs
            .get(i)
            .filter(|(v, _)| *v == addr)
            .map(|(_, n)| n.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_elf() {
        assert!(Symbols::parse(b"").is_none());
        assert!(Symbols::parse(b"\x7fELF").is_none());
        assert!(Symbols::parse(&[0x7f, b'E', b'L', b'F', 2, 1, 0, 0]).is_none());
        assert!(Symbols::parse(b"#!/bin/sh\n").is_none());
    }

    #[test]
    fn finds_its_own_test_binary_functions() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let syms = Symbols::parse(&exe).expect("the test binary is ELF with symbols");
        assert!(!syms.funcs.is_empty());
        let (addr, name) = syms.funcs[syms.funcs.len() / 2].clone();
        assert_eq!(syms.at(addr), Some(name.as_str()));
        assert_eq!(syms.at(addr + 1).filter(|n| *n == name), None);
    }

    #[test]
    fn truncated_files_never_panic() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        for len in [5, 64, 100, 4096, exe.len() / 2] {
            let _ = Symbols::parse(&exe[..len.min(exe.len())]);
        }
    }
}
