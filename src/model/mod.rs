//! The product's vocabulary, with no I/O: where a record comes from ([`Source`]), how
//! risky it is ([`Level`]), the periods a briefing and the metrics count in ([`Period`],
//! [`Grain`]), rates as analysts write them ([`Rate`]), the keys entities and threat
//! hits are stored under ([`EntityKey`], [`ThreatLabel`]) and the kinds of clusters
//! ([`ClusterKind`]). Stages, readers and reports speak these types; the strings they
//! stand for are written in one place, here.

/// A closed list of names the tables store: the enum, `ALL`, `as_str`, `parse` and
/// `Display`, from one table of variant ⇒ name.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The name stored in the table.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|x| x.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary;

mod keys;
mod level;
mod metric;
mod period;
mod rate;
mod source;
mod stats;

pub use keys::{
    ClusterKind, EntityKey, HISTORY_KINDS, SIZE_KIND, THREAT_KINDS, Tally, ThreatLabel, entity_name, is_threat_kind,
};
pub use level::Level;
pub use metric::{Dimension, Measure, Metric};
pub use period::{Grain, Period, month_key, months_back, period_start, previous, week_of};
pub use rate::{Rate, percent, ratio};
pub use source::{Source, label_of};
pub use stats::auc;

/// The key of a township, department or topic no record named.
pub const UNKNOWN: &str = "未知";
/// A petitioner with two matters or more (`risk_groups.pattern`).
pub const ONE_MANY: &str = "一人多诉";
/// An entity three petitioners or more complain about (`risk_groups.pattern`).
pub const MANY_ONE: &str = "多人同诉";
