//! Sections of BENCHMARKS.md that their own commands measure, between `<!-- name:start -->`
//! and `<!-- name:end -->` markers, so that one run replaces only its own section.

/// `text` with the section between `start` and `end` replaced by `section`, or `section`
/// appended when `text` has none.
pub(crate) fn splice(text: &str, (start, end): (&str, &str), section: &str) -> String {
    match (text.find(start), text.find(end)) {
        (Some(from), Some(to)) if to > from => format!(
            "{}{}{}",
            &text[..from],
            section.trim_end_matches('\n'),
            &text[to + end.len()..]
        ),
        _ => format!("{}\n\n{section}", text.trim_end_matches('\n')),
    }
}

/// The section between `start` and `end` already in `text`, if any.
pub(crate) fn existing(text: &str, (start, end): (&str, &str)) -> Option<String> {
    let from = text.find(start)?;
    let to = text.find(end)?;
    (to > from).then(|| format!("{}\n", &text[from..to + end.len()]))
}
