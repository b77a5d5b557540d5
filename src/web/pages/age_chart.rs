//! The supervisor's chart of the post's open cases by age: bars drawn on the server as SVG, so
//! it needs no script, with its figures also in words for screen readers.

use chrono::{Duration, NaiveDateTime};

use crate::db::AnyConnection;
use crate::domain::status::CaseStatus;

/// The age bands, in days since submission: from (inclusive) and to (exclusive, none: older).
pub const BANDS: [(i64, Option<i64>); 5] = [(0, Some(7)), (7, Some(14)), (14, Some(30)), (30, Some(60)), (60, None)];

/// How many open cases of `post` fall in each band at `now`.
pub fn counts(
    conn: &mut AnyConnection,
    post: &str,
    open: &[CaseStatus],
    now: NaiveDateTime,
) -> diesel::QueryResult<Vec<i64>> {
    BANDS
        .iter()
        .map(|(from, to)| {
            // Younger than `from` days means submitted after now - from.
            let newest = Some(now - Duration::days(*from));
            let oldest = to.map(|to| now - Duration::days(to));
            crate::db::case_queue::count_submitted_between(conn, post, open, oldest, newest)
        })
        .collect()
}

/// The label of band `index`: `0–6`, `60+` (days).
pub fn label(index: usize) -> String {
    match BANDS[index] {
        (from, Some(to)) => format!("{from}–{}", to - 1),
        (from, None) => format!("{from}+"),
    }
}

/// The chart as SVG: one bar per band, its count above it and its label below; `title` names
/// it and `summary` says it in words.
pub fn svg(counts: &[i64], title: &str, summary: &str) -> String {
    let (width, height, bar, gap, top, bottom) = (360, 180, 52, 18, 24, 28);
    let highest = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut bars = String::new();
    for (index, count) in counts.iter().enumerate() {
        let x = gap + index as i64 * (bar + gap);
        let tall = (count * (height - top - bottom)) / highest;
        let y = height - bottom - tall;
        bars.push_str(&format!(
            r##"<rect x="{x}" y="{y}" width="{bar}" height="{tall}" fill="#1d70b8"/><text x="{cx}" y="{ty}" text-anchor="middle" font-size="14">{count}</text><text x="{cx}" y="{ly}" text-anchor="middle" font-size="13">{label}</text>"##,
            cx = x + bar / 2,
            ty = y - 6,
            ly = height - 8,
            label = label(index),
        ));
    }
    let escape =
        |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="age-chart-title age-chart-desc"><title id="age-chart-title">{title}</title><desc id="age-chart-desc">{summary}</desc><line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#0b0c0c"/>{bars}</svg>"##,
        base = height - bottom,
        title = escape(title),
        summary = escape(summary),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_tall_as_their_share_and_the_figures_are_in_words() {
        let svg = svg(&[4, 2, 0, 0, 1], "Open cases by age", "0–6 days: 4; 7–13 days: 2");
        assert!(svg.starts_with("<svg") && svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"age-chart-title\">Open cases by age</title>"));
        // The tallest bar takes the whole height between the margins (180 - 24 - 28 = 128).
        assert!(svg.contains(r#"height="128""#) && svg.contains(r#"height="64""#) && svg.contains(r#"height="32""#));
        assert_eq!((0..5).map(label).collect::<Vec<_>>(), ["0–6", "7–13", "14–29", "30–59", "60+"]);
        assert!(!super::svg(&[0; 5], "<x>", "y").contains("<x>"), "text is escaped");
    }
}
