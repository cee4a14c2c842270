//! The figures of a run: each printed as it is measured, all printed again as one table at
//! the end, so the output of `make bench` can be copied into a note as it is.

/// What a figure is held to.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    AtLeast(f64),
    AtMost(f64),
    /// Printed for context (a raw rate, a set-up time): no goal.
    Context,
}

impl Goal {
    fn met(self, value: f64) -> Option<bool> {
        match self {
            // A figure that could not be measured (NaN) meets nothing.
            Self::AtLeast(goal) => Some(value >= goal),
            Self::AtMost(goal) => Some(value <= goal),
            Self::Context => None,
        }
    }
}

struct Figure {
    name: String,
    value: f64,
    unit: &'static str,
    goal: Goal,
}

enum Line {
    Section(String),
    Figure(Figure),
}

#[derive(Default)]
pub struct Report {
    lines: Vec<Line>,
}

const NAME_WIDTH: usize = 52;

/// Few digits: enough to compare, not more than the noise of a shared machine supports.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if value.fract() == 0.0 || magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// A whole number with thousands separators, for names: `1,000,000`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3 + 1);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 { format!("-{out}") } else { out }
}

impl Figure {
    fn render(&self) -> String {
        let value = format!("{:>10} {:<6}", number(self.value), self.unit);
        let name = format!("{:<NAME_WIDTH$}", self.name);
        let (comparison, goal) = match self.goal {
            Goal::AtLeast(goal) => (">=", goal),
            Goal::AtMost(goal) => ("<=", goal),
            Goal::Context => return format!("{name} {value}").trim_end().to_owned(),
        };
        let verdict = if self.goal.met(self.value) == Some(true) {
            "met"
        } else {
            "MISSED"
        };
        let goal = format!("(goal {comparison} {} {}", number(goal), self.unit);
        format!(
            "{name} {value}  {:<26} {verdict}",
            format!("{})", goal.trim_end())
        )
    }
}

impl Report {
    /// Starts a section: a heading now and in the table.
    pub fn section(&mut self, title: &str) {
        println!("\n== {title}");
        self.lines.push(Line::Section(title.to_owned()));
    }

    /// Records a figure and prints its line.
    pub fn figure(&mut self, name: impl Into<String>, value: f64, unit: &'static str, goal: Goal) {
        let figure = Figure {
            name: name.into(),
            value,
            unit,
            goal,
        };
        println!("{}", figure.render());
        self.lines.push(Line::Figure(figure));
    }

    pub fn context(&mut self, name: impl Into<String>, value: f64, unit: &'static str) {
        self.figure(name, value, unit, Goal::Context);
    }

    /// A measured figure (context), then its ratio to `baseline` held to `goal`.
    pub fn compared(
        &mut self,
        (name, value, unit): (impl Into<String>, f64, &'static str),
        baseline: f64,
        ratio: impl Into<String>,
        goal: Goal,
    ) {
        self.context(name, value, unit);
        self.figure(ratio, value / baseline, "x", goal);
    }

    /// A count that must be zero (duplicates, losses, late 429s).
    pub fn none(&mut self, name: impl Into<String>, count: usize) {
        self.figure(name, count as f64, "", Goal::AtMost(0.0));
    }

    /// The whole table again, and how many goals were met.
    pub fn print_table(&self) {
        println!(
            "\n==================== make bench: every figure of this run ===================="
        );
        let (mut met, mut missed) = (0, 0);
        for line in &self.lines {
            match line {
                Line::Section(title) => println!("-- {title}"),
                Line::Figure(figure) => {
                    match figure.goal.met(figure.value) {
                        Some(true) => met += 1,
                        Some(false) => missed += 1,
                        None => {}
                    }
                    println!("{}", figure.render());
                }
            }
        }
        println!("goals: {met} met, {missed} MISSED");
    }
}
