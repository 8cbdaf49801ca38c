//! What a `dropped` record stands for, where the record alone cannot say. Three things write
//! one: a lossy recorder that could not keep up (`EVSCOPE_TRACE_LOSSY=1`), a live link skipping
//! records for a viewer that fell behind a free-running program, and a live link whose history
//! was trimmed before a viewer joined. Only the last comes first: a late viewer gets the header,
//! then that `dropped` record, then the history kept. A lossy recorder's first batch is never
//! dropped, and a viewer is skipped only what comes after records it was sent.

use super::explain::Lang;
use evscope_core::trace::{Body, Record};

/// How a viewer explains `rec`, the `index`-th record it received (counting from 0), when it
/// is a trimmed history: the records a program no longer kept for a viewer joining late. `None`
/// for every other record (the explainer's words apply).
pub fn trimmed_history(rec: &Record, index: u64, lang: Lang) -> Option<String> {
    let Body::Dropped { count } = rec.body else {
        return None;
    };
    if index != 0 {
        return None;
    }
    Some(match lang {
        Lang::En => format!(
            "{count} earlier records are not shown: they were trimmed from the history the \
             program keeps for viewers that join late (nothing is missing from a recording)"
        ),
        Lang::Zh => format!(
            "之前的 {count} 条记录未显示：程序为后加入的查看者保留的历史已将它们修剪（记录本身并未丢失）"
        ),
    })
}
