//! Rates as analysts read them: a numerator, a denominator and the share, never a bare
//! percentage.

/// num / den, or `None` for an empty denominator.
pub fn ratio(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

/// A rate as analysts write it: `93.5%`, or `—` when nothing was counted.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// A counted rate: `按期办结率 93.5%（187/200）`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub numerator: f64,
    pub denominator: f64,
}

impl Rate {
    pub fn new(numerator: f64, denominator: f64) -> Rate {
        Rate { numerator, denominator }
    }

    /// The share, `None` when the denominator is 0.
    pub fn value(self) -> Option<f64> {
        ratio(self.numerator, self.denominator)
    }
}

impl std::fmt::Display for Rate {
    /// `93.5%（187/200）`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}（{}/{}）", percent(self.value()), self.numerator, self.denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_shows_its_counts() {
        assert_eq!(Rate::new(187.0, 200.0).to_string(), "93.5%（187/200）");
        assert_eq!(Rate::new(0.0, 0.0).to_string(), "—（0/0）");
        assert_eq!(ratio(1.0, 0.0), None);
    }
}
