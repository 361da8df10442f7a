//! The results table: one formatted row per figure, as text for stdout and as Markdown for
//! the README, and the number formats the rows use.

use crate::loadgen::LoadResult;

use super::Target;

/// One line of the results table, already formatted.
pub struct Row {
    pub scenario: String,
    pub figure: String,
    pub latency: String,
    pub errors: String,
    pub ratio: String,
    pub target: String,
    pub result: String,
}

const HEADERS: [&str; 7] = [
    "Scenario",
    "Figure",
    "p50 / p99",
    "Errors",
    "Ratio",
    "Target",
    "Result",
];

impl Row {
    fn cells(&self) -> [&str; 7] {
        [
            &self.scenario,
            &self.figure,
            &self.latency,
            &self.errors,
            &self.ratio,
            &self.target,
            &self.result,
        ]
    }
}

pub fn http_row(load: &LoadResult) -> Row {
    Row {
        scenario: String::new(),
        figure: format!("{} req/s", thousands(load.requests_per_s)),
        latency: format!("{:.2} / {:.2} ms", load.p50_ms, load.p99_ms),
        errors: load.errors.to_string(),
        ratio: String::new(),
        target: String::new(),
        result: String::new(),
    }
}

pub fn verdict(t: &Target) -> String {
    if t.pass { "PASS" } else { "MISSED" }.into()
}

/// Three significant figures: 0.512, 0.00123, 1.87.
pub fn ratio(r: f64) -> String {
    if r <= 0.0 || !r.is_finite() {
        return format!("{r}");
    }
    let decimals = (2 - r.log10().floor() as i32).max(0) as usize;
    format!("{r:.decimals$}")
}

/// Whole numbers with thin groups: 24 691.
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

pub fn text_table(rows: &[Row]) -> String {
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.cells()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(HEADERS)];
    out.push(line(
        widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str),
    ));
    out.extend(rows.iter().map(|r| line(r.cells())));
    out.join("\n")
}

pub fn markdown_table(rows: &[Row]) -> String {
    let line = |cells: [&str; 7]| format!("| {} |\n", cells.join(" | "));
    let mut out = line(HEADERS);
    out.push_str(&line(["---"; 7]));
    for row in rows {
        out.push_str(&line(row.cells()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(ratio(0.51234), "0.512");
        assert_eq!(ratio(0.0012345), "0.00123");
        assert_eq!(ratio(1.8765), "1.88");
        assert_eq!(ratio(123.4), "123");
        assert_eq!(thousands(24691.4), "24 691");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1234567.0), "1 234 567");
    }

    #[test]
    fn tables_line_up() {
        let row = Row {
            scenario: "a".into(),
            figure: "1 req/s".into(),
            latency: "—".into(),
            errors: "0".into(),
            ratio: "1".into(),
            target: "—".into(),
            result: "PASS".into(),
        };
        let text = text_table(std::slice::from_ref(&row));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("Scenario  Figure "));
        let md = markdown_table(&[row]);
        assert!(md.ends_with("| a | 1 req/s | — | 0 | 1 | — | PASS |\n"));
    }
}
