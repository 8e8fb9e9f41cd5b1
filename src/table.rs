//! Tables for people and for scripts.
//!
//! On a terminal: plain columns aligned with two spaces, no borders, fitted to the terminal's
//! width by truncating the columns that may shrink (names, details) with an ellipsis; a column
//! that may not (a timestamp) is never cut. Elsewhere: one line per row, cells separated by
//! tabs, for `cut` and `awk`. Cells are single lines, already made safe for a terminal by the
//! caller (`names::display_safe` escapes tabs and line breaks too, so a cell cannot break the
//! tab-separated form).

use std::io::IsTerminal;

/// A column: its header, and whether its cells may be truncated to fit the width.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub header: &'static str,
    pub shrink: bool,
}

impl Column {
    /// A column that keeps its width (timestamps, counts, status words).
    pub const fn fixed(header: &'static str) -> Self {
        Column {
            header,
            shrink: false,
        }
    }

    /// A column whose cells may be cut short with an ellipsis.
    pub const fn shrink(header: &'static str) -> Self {
        Column {
            header,
            shrink: true,
        }
    }
}

/// How a table is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Aligned columns, at most `width` columns wide when given (else never truncated).
    Aligned { width: Option<usize> },
    /// Tab-separated values, cells in full.
    Tsv,
}

impl Layout {
    /// Aligned to the terminal's width on a terminal (`wide`: in full, however wide), else
    /// tab-separated.
    pub fn for_stdout(wide: bool) -> Layout {
        if std::io::stdout().is_terminal() {
            Layout::Aligned {
                width: if wide { None } else { Some(terminal_width()) },
            }
        } else {
            Layout::Tsv
        }
    }
}

/// The terminal's width: `COLUMNS` when set (as shells export it), else the width the terminal
/// reports, else 80.
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
        .filter(|&n| n > 0)
        .unwrap_or(80)
}

/// Space between two aligned columns.
const GAP: usize = 2;
/// A shrinkable column is not cut below this (or below its header, or its widest cell if that
/// is narrower).
const MIN_SHRUNK: usize = 6;

/// Rows of cells under fixed columns.
#[derive(Debug)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[Column]) -> Self {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column; missing cells are empty, extra ones ignored).
    pub fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.columns.len(), String::new());
        self.rows.push(cells);
    }

    /// The whole table as text, each line ending in `\n`; the header line only with `headers`.
    pub fn render(&self, layout: Layout, headers: bool) -> String {
        match layout {
            Layout::Tsv => self.tsv(headers),
            Layout::Aligned { width } => self.aligned(width, headers),
        }
    }

    fn tsv(&self, headers: bool) -> String {
        let mut out = String::new();
        if headers {
            let names: Vec<&str> = self.columns.iter().map(|c| c.header).collect();
            out.push_str(&names.join("\t"));
            out.push('\n');
        }
        for row in &self.rows {
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
        out
    }

    /// Each column's width: its widest cell (header included), shrinkable columns cut so that
    /// the whole fits in `limit` where that is possible.
    fn widths(&self, limit: Option<usize>, headers: bool) -> Vec<usize> {
        let natural: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                let cells = self.rows.iter().map(|r| width_of(&r[i]));
                let header = if headers {
                    width_of(self.columns[i].header)
                } else {
                    0
                };
                cells.fold(header, usize::max)
            })
            .collect();
        let Some(limit) = limit else {
            return natural;
        };
        let gaps = GAP * self.columns.len().saturating_sub(1);
        if natural.iter().sum::<usize>() + gaps <= limit {
            return natural;
        }
        let fixed: usize = (0..natural.len())
            .filter(|&i| !self.columns[i].shrink)
            .map(|i| natural[i])
            .sum();
        // Share what is left among the shrinkable columns, narrowest first: a column narrower
        // than its share keeps its width and leaves the rest to the others.
        let mut shrinkable: Vec<usize> = (0..natural.len())
            .filter(|&i| self.columns[i].shrink)
            .collect();
        shrinkable.sort_by_key(|&i| natural[i]);
        let mut left = limit.saturating_sub(fixed + gaps);
        let mut widths = natural.clone();
        let mut count = shrinkable.len();
        for i in shrinkable {
            let share = left / count.max(1);
            let floor = natural[i].min(MIN_SHRUNK.max(width_of(self.columns[i].header)));
            widths[i] = natural[i].min(share.max(floor));
            left = left.saturating_sub(widths[i]);
            count -= 1;
        }
        widths
    }

    fn aligned(&self, limit: Option<usize>, headers: bool) -> String {
        let widths = self.widths(limit, headers);
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| c.header.to_owned()).collect();
        let lines = headers
            .then_some(&header)
            .into_iter()
            .chain(self.rows.iter());
        for cells in lines {
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    line.push_str(&" ".repeat(GAP));
                }
                let cell = console::truncate_str(cell, widths[i], "…");
                line.push_str(&cell);
                if i + 1 < cells.len() {
                    line.push_str(&" ".repeat(widths[i].saturating_sub(width_of(&cell))));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Display width of a cell (wide characters count two columns).
fn width_of(s: &str) -> usize {
    console::measure_text_width(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&[
            Column::shrink("USER"),
            Column::fixed("TIME"),
            Column::shrink("DETAILS"),
        ]);
        t.row(vec![
            "a-rather-long-user-name@example.com".into(),
            "2026-11-25T15:05:24Z".into(),
            "{\"reason\":\"lost phone, ticket 1147, escalated twice\"}".into(),
        ]);
        t.row(vec![
            "bob".into(),
            "2026-11-25T15:06:01Z".into(),
            "{}".into(),
        ]);
        t
    }

    #[test]
    fn tsv_has_a_header_and_full_cells() {
        let t = sample();
        let text = t.render(Layout::Tsv, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "USER\tTIME\tDETAILS");
        assert_eq!(
            lines[2].split('\t').collect::<Vec<_>>(),
            ["bob", "2026-11-25T15:06:01Z", "{}"]
        );
        assert!(lines[1].starts_with("a-rather-long-user-name@example.com\t"));
        assert_eq!(t.render(Layout::Tsv, false).lines().count(), 2);
    }

    #[test]
    fn aligned_fits_the_width_and_keeps_timestamps_whole() {
        let t = sample();
        for width in [40, 50, 60, 80] {
            let text = t.render(Layout::Aligned { width: Some(width) }, true);
            for line in text.lines() {
                assert!(width_of(line) <= width, "{width}: {line:?}");
            }
            assert!(text.contains("2026-11-25T15:05:24Z"), "{text}");
            assert!(text.contains('…'), "{text}");
        }
        // Unlimited: every cell in full.
        let text = t.render(Layout::Aligned { width: None }, true);
        assert!(text.contains("a-rather-long-user-name@example.com"));
        assert!(text.contains("escalated twice"));
        assert!(!text.contains('…'));
    }

    #[test]
    fn aligned_columns_line_up() {
        let t = sample();
        let text = t.render(Layout::Aligned { width: Some(200) }, true);
        let starts: Vec<usize> = text.lines().map(|l| l.find("2026").unwrap_or(0)).collect();
        // The header's TIME starts where the timestamps do.
        let header_time = text.lines().next().unwrap().find("TIME").unwrap();
        assert!(starts[1..].iter().all(|&s| s == header_time), "{text}");
        assert!(!text.lines().any(|l| l.ends_with(' ')));
    }

    #[test]
    fn wide_characters_count_double() {
        let mut t = Table::new(&[Column::shrink("USER"), Column::fixed("X")]);
        t.row(vec!["名前名前名前名前名前".into(), "x".into()]);
        let text = t.render(Layout::Aligned { width: Some(12) }, false);
        assert!(width_of(text.lines().next().unwrap()) <= 12, "{text}");
    }
}
