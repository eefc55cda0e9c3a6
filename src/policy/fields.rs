//! Rendering the fields of a behavioural or relational record for one principal.
//!
//! Each private field of a record is listed in `catalogue::RECORDS` as `resource.field`;
//! fields not listed there are public identifiers, times and closed-set values. A field the
//! caller may not read in full is withheld (or, for money with partial clearance, shown as a
//! band) and named in the record's `masked` list.

use super::catalogue::class_of;
use super::mask::mask_money;
use crate::policy::{Clearance, Principal};

/// Renders the fields of one record of `resource` for a principal.
pub struct Fields<'a> {
    principal: &'a Principal,
    resource: &'static str,
    masked: Vec<String>,
}

impl<'a> Fields<'a> {
    /// Start rendering a record of `resource` (`order`, `interaction`, …).
    pub fn new(principal: &'a Principal, resource: &'static str) -> Self {
        Self {
            principal,
            resource,
            masked: Vec::new(),
        }
    }

    fn clearance(&self, field: &str) -> Clearance {
        self.principal
            .clearance(class_of(&format!("{}.{field}", self.resource)))
    }

    fn withhold(&mut self, field: &str) {
        if !self.masked.iter().any(|m| m == field) {
            self.masked.push(field.to_owned());
        }
    }

    /// A value shown in full or withheld.
    pub fn whole<T: Clone>(&mut self, field: &str, value: Option<&T>) -> Option<T> {
        if self.clearance(field) == Clearance::Full {
            value.cloned()
        } else {
            self.withhold(field);
            None
        }
    }

    /// Whether a value the caller may only see in full is shown; when not, it is named as
    /// withheld. For values worth computing only for a caller who will see them.
    pub fn shows(&mut self, field: &str) -> bool {
        let full = self.clearance(field) == Clearance::Full;
        if !full {
            self.withhold(field);
        }
        full
    }

    /// A decimal amount: in full, as a band with partial clearance, or withheld.
    pub fn money(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        match self.clearance(field) {
            Clearance::Full => value.map(str::to_owned),
            Clearance::Partial => {
                self.withhold(field);
                value.and_then(mask_money)
            }
            Clearance::None => {
                self.withhold(field);
                None
            }
        }
    }

    /// The fields withheld or masked so far.
    pub fn finish(self) -> Vec<String> {
        self.masked
    }
}
