//! What a user may see, applied on the server before any filter the user chose, in this
//! one module: every case list, count, chart, cluster and figure the dashboard shows goes
//! through [`Scope::cases`], [`Scope::admits_metric`] or [`Scope::sees_identity`].

use datafusion::prelude::{DataFrame, Expr, col, lit};

use super::users::Role;
use super::view as v;
use crate::Result;
use crate::model::{Dimension, Metric};

/// A user's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every case of the warehouse.
    County,
    /// Cases whose 问题属地 is this township.
    Town(String),
    /// Cases assigned to this department, without the petitioner's identity (the unit
    /// complained about must not learn who complained).
    Dept(String),
}

impl Scope {
    pub fn new(role: Role, name: &str) -> std::result::Result<Scope, String> {
        let name = name.trim();
        match role {
            Role::County => Ok(Scope::County),
            _ if name.is_empty() => Err(format!("a {role} user needs --scope (the township or department)")),
            Role::Town => Ok(Scope::Town(name.to_string())),
            Role::Dept => Ok(Scope::Dept(name.to_string())),
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Scope::County => Role::County,
            Scope::Town(_) => Role::Town,
            Scope::Dept(_) => Role::Dept,
        }
    }

    /// `county`, `town:城关镇`, `dept:住建局`: as the audit log writes it.
    pub fn label(&self) -> String {
        match self {
            Scope::County => "county".into(),
            Scope::Town(t) => format!("town:{t}"),
            Scope::Dept(d) => format!("dept:{d}"),
        }
    }

    /// The filter on the case view; `None` for the county.
    fn predicate(&self) -> Option<Expr> {
        match self {
            Scope::County => None,
            Scope::Town(t) => Some(col(v::REGION_TOWN).eq(lit(t.as_str()))),
            Scope::Dept(d) => Some(col(v::DEPT).eq(lit(d.as_str()))),
        }
    }

    /// The case view as this user may see it: the scope's rows only, and for a department
    /// no petitioner identity column at all. Every query of cases starts here.
    pub fn cases(&self, view: DataFrame) -> Result<DataFrame> {
        let df = match self.predicate() {
            Some(p) => view.filter(p)?,
            None => view,
        };
        Ok(if self.sees_identity() { df } else { df.drop_columns(&[v::PERSON_KEY])? })
    }

    /// Whether the petitioner's (pseudonymous) identity may be shown: not to a department.
    pub fn sees_identity(&self) -> bool {
        !matches!(self, Scope::Dept(_))
    }

    /// The township this user is bound to, if any (a town user cannot choose another).
    pub fn town(&self) -> Option<&str> {
        match self {
            Scope::Town(t) => Some(t),
            _ => None,
        }
    }

    /// A figure of `metrics` this user may see: the county sees all; a town its own
    /// township's rows; a department its own department's rows.
    pub fn admits_metric(&self, m: &Metric) -> bool {
        match self {
            Scope::County => true,
            Scope::Town(t) => matches!(m.dimension, Dimension::Town | Dimension::TownRank) && m.key == *t,
            Scope::Dept(d) => m.dimension == Dimension::Dept && m.key == *d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grain, Measure};

    #[test]
    fn metrics_follow_the_scope() {
        let m = |d, k: &str| Metric::count(Grain::Month, "2026-10", "all", d, k, Measure::Cases, 3.0);
        let town = Scope::Town("城关镇".into());
        assert!(town.admits_metric(&m(Dimension::Town, "城关镇")));
        assert!(!town.admits_metric(&m(Dimension::Town, "青石镇")));
        assert!(!town.admits_metric(&m(Dimension::Total, "全部")), "the county total is not the town's");
        let dept = Scope::Dept("住建局".into());
        assert!(dept.admits_metric(&m(Dimension::Dept, "住建局")));
        assert!(!dept.admits_metric(&m(Dimension::Person, "p1")));
        assert!(Scope::County.admits_metric(&m(Dimension::Person, "p1")));
        assert!(Scope::new(Role::Town, " ").is_err());
        assert_eq!(Scope::new(Role::County, "x").unwrap(), Scope::County);
    }
}
