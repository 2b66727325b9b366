//! The library's choices as command-line values: clap knows them here, the library does
//! not know clap.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::generate::Formats;
use crate::metrics::Policy;
use crate::warehouse::OutputFormat;

impl ValueEnum for OutputFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[OutputFormat::Table, OutputFormat::Csv, OutputFormat::Json]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            OutputFormat::Table => PossibleValue::new("table").help("aligned columns"),
            OutputFormat::Csv => PossibleValue::new("csv").help("comma-separated, with a header row"),
            OutputFormat::Json => PossibleValue::new("json").help("one JSON object per row"),
        })
    }
}

impl ValueEnum for Policy {
    fn value_variants<'a>() -> &'a [Self] {
        &Policy::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.describe()))
    }
}

impl ValueEnum for Formats {
    fn value_variants<'a>() -> &'a [Self] {
        &[Formats::Native, Formats::All]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Formats::Native => PossibleValue::new("native").help("each source as its system exports it"),
            Formats::All => PossibleValue::new("all").help("every source in xlsx, UTF-8 csv, GBK csv and jsonl"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_their_names() {
        assert_eq!(OutputFormat::from_str("csv", false), Ok(OutputFormat::Csv));
        assert_eq!(Policy::from_str("520", false), Ok(Policy::Fast520));
        assert_eq!(Formats::from_str("all", false), Ok(Formats::All));
        assert!(Policy::from_str("fast", false).is_err());
    }
}
