//! Plain-text layout: columns aligned on the widest cell, and paragraphs wrapped for a terminal.

/// Lines of `rows` under `header`, each column as wide as its widest cell plus two spaces; the
/// last column is not padded, so a long last cell (an error) does not widen the table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:width$}  "));
            }
        }
        out.trim_end().to_owned()
    };
    let mut lines = vec![line(header.to_vec())];
    lines.extend(
        rows.iter()
            .map(|row| line(row.iter().map(String::as_str).collect())),
    );
    lines.join("\n")
}

/// `text` wrapped at `width` columns; lines after the first start with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let limit = if lines.is_empty() {
            width
        } else {
            width.saturating_sub(indent.len())
        };
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > limit {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join(&format!("\n{indent}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_the_widest_cell_and_the_last_is_not_padded() {
        let rows = vec![
            vec!["orders-1".into(), "ONLINE".into(), String::new()],
            vec!["o-2".into(), "OFFLINE".into(), "MySQL error 3032".into()],
        ];
        assert_eq!(
            table(&["INSTANCE", "STATE", "ERROR"], &rows),
            "INSTANCE  STATE    ERROR\norders-1  ONLINE\no-2       OFFLINE  MySQL error 3032"
        );
    }

    #[test]
    fn long_text_wraps_at_the_width_with_an_indent() {
        assert_eq!(
            wrap("one two three four", 9, "  "),
            "one two\n  three\n  four"
        );
        assert_eq!(wrap("short", 80, "  "), "short");
    }
}
