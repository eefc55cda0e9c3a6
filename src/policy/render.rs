//! Rendering a stored customer for one principal.

use std::collections::HashMap;

use entity::customer;
use serde_json::{Map, Value};

use super::catalogue::class_of;
use super::mask::{mask_email, mask_id_number, mask_money, mask_phone};
use crate::auth::{Clearance, Principal};
use crate::domain::{CustomerKind, CustomerSource, CustomerStatus, Gender, MaritalStatus, Sensitivity};
use crate::types::customer::{AddressView, CustomerView, IndividualView, OrganizationView};

/// Sensitivity class of every live custom field, by key. Values under other keys (of a
/// definition since deleted) are never rendered.
pub type CustomFieldClasses = HashMap<String, Sensitivity>;

/// How a value looks when the caller has partial clearance.
enum Partial {
    Phone,
    Email,
    IdNumber,
    Money,
    /// No meaningful partial form: withheld.
    Withheld,
}

struct Renderer<'a> {
    principal: &'a Principal,
    masked: Vec<String>,
}

impl Renderer<'_> {
    /// The value of a string field as this principal may see it.
    fn text(&mut self, path: &str, value: Option<&String>, partial: Partial) -> Option<String> {
        match self.principal.clearance(class_of(path)) {
            Clearance::Full => value.cloned(),
            Clearance::Partial => {
                self.masked.push(path.to_owned());
                let v = value?;
                match partial {
                    Partial::Phone => Some(mask_phone(v)),
                    Partial::Email => Some(mask_email(v)),
                    Partial::IdNumber => Some(mask_id_number(v)),
                    Partial::Money => mask_money(v),
                    Partial::Withheld => None,
                }
            }
            Clearance::None => {
                self.masked.push(path.to_owned());
                None
            }
        }
    }

    /// Any other value: in full or not at all.
    fn whole<T: Clone>(&mut self, path: &str, value: Option<&T>) -> Option<T> {
        if self.principal.clearance(class_of(path)) == Clearance::Full {
            value.cloned()
        } else {
            self.masked.push(path.to_owned());
            None
        }
    }
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    value.and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    })
}

/// Render a stored customer for `principal`: every field through its class and clearance,
/// with the fields not shown in full listed in `masked`.
pub fn render_customer(
    model: &customer::Model,
    custom_classes: &CustomFieldClasses,
    principal: &Principal,
) -> CustomerView {
    let mut r = Renderer {
        principal,
        masked: Vec::new(),
    };
    let kind = CustomerKind::parse(&model.kind).unwrap_or(CustomerKind::Individual);
    let phone = r.text("phone", model.phone.as_ref(), Partial::Phone);
    let email = r.text("email", model.email.as_ref(), Partial::Email);
    let address = AddressView {
        country: r.text("address.country", model.addr_country.as_ref(), Partial::Withheld),
        province: r.text("address.province", model.addr_province.as_ref(), Partial::Withheld),
        city: r.text("address.city", model.addr_city.as_ref(), Partial::Withheld),
        district: r.text("address.district", model.addr_district.as_ref(), Partial::Withheld),
        street: r.text("address.street", model.addr_street.as_ref(), Partial::Withheld),
        postcode: r.text("address.postcode", model.addr_postcode.as_ref(), Partial::Withheld),
    };
    let has_address = [
        &model.addr_country,
        &model.addr_province,
        &model.addr_city,
        &model.addr_district,
        &model.addr_street,
        &model.addr_postcode,
    ]
    .iter()
    .any(|v| v.is_some());
    let notes = r.text("notes", model.notes.as_ref(), Partial::Withheld);

    let individual = (kind == CustomerKind::Individual).then(|| IndividualView {
        family_name: r.text("individual.family_name", model.family_name.as_ref(), Partial::Withheld),
        given_name: r.text("individual.given_name", model.given_name.as_ref(), Partial::Withheld),
        gender: r
            .whole("individual.gender", model.gender.as_ref())
            .and_then(|g| Gender::parse(&g)),
        birthday: r.whole("individual.birthday", model.birthday.as_ref()),
        occupation: r.text("individual.occupation", model.occupation.as_ref(), Partial::Withheld),
        employer: r.text("individual.employer", model.employer.as_ref(), Partial::Withheld),
        job_title: r.text("individual.job_title", model.job_title.as_ref(), Partial::Withheld),
        annual_income: r.text("individual.annual_income", model.annual_income.as_ref(), Partial::Money),
        education: r.text("individual.education", model.education.as_ref(), Partial::Withheld),
        marital_status: r
            .whole("individual.marital_status", model.marital_status.as_ref())
            .and_then(|m| MaritalStatus::parse(&m)),
        family_notes: r.text("individual.family_notes", model.family_notes.as_ref(), Partial::Withheld),
        hobbies: string_list(r.whole("individual.hobbies", model.hobbies.as_ref()).as_ref()),
        social: r
            .whole("individual.social", model.social.as_ref())
            .and_then(|v| v.as_object().cloned())
            .map(async_graphql::Json),
        id_number: r.text("individual.id_number", model.id_number.as_ref(), Partial::IdNumber),
        health: r.text("individual.health", model.health.as_ref(), Partial::Withheld),
        religion: r.text("individual.religion", model.religion.as_ref(), Partial::Withheld),
        political_affiliation: r.text(
            "individual.political_affiliation",
            model.political_affiliation.as_ref(),
            Partial::Withheld,
        ),
        precise_location: r.text(
            "individual.precise_location",
            model.precise_location.as_ref(),
            Partial::Withheld,
        ),
    });
    let organization = (kind == CustomerKind::Organization).then(|| OrganizationView {
        legal_name: r.text("organization.legal_name", model.legal_name.as_ref(), Partial::Withheld),
        credit_code: r.text("organization.credit_code", model.credit_code.as_ref(), Partial::Withheld),
        industry: r.text("organization.industry", model.industry.as_ref(), Partial::Withheld),
        employee_count: r.whole("organization.employee_count", model.employee_count.as_ref()),
        registered_capital: r.text(
            "organization.registered_capital",
            model.registered_capital.as_ref(),
            Partial::Money,
        ),
        founded_on: r.whole("organization.founded_on", model.founded_on.as_ref()),
        website: r.text("organization.website", model.website.as_ref(), Partial::Withheld),
        business_scope: r.text(
            "organization.business_scope",
            model.business_scope.as_ref(),
            Partial::Withheld,
        ),
        credit_rating: r.text("organization.credit_rating", model.credit_rating.as_ref(), Partial::Withheld),
        credit_limit: r.text("organization.credit_limit", model.credit_limit.as_ref(), Partial::Money),
        payment_terms_days: r
            .whole("organization.payment_terms_days", model.payment_terms_days.as_ref())
            .map(i64::from),
    });

    let mut custom = Map::new();
    if let Some(values) = model.custom.as_object() {
        let mut keys: Vec<&String> = custom_classes.keys().collect();
        keys.sort();
        for key in keys {
            let class = custom_classes[key];
            match principal.clearance(class) {
                Clearance::Full => {
                    if let Some(v) = values.get(key) {
                        custom.insert(key.clone(), v.clone());
                    }
                }
                Clearance::Partial | Clearance::None => r.masked.push(format!("custom.{key}")),
            }
        }
    }

    CustomerView {
        id: model.id,
        kind,
        display_name: model.display_name.clone(),
        phone,
        email,
        address: has_address.then_some(address),
        tags: string_list(Some(&model.tags)).unwrap_or_default(),
        source: CustomerSource::parse(&model.source).unwrap_or(CustomerSource::DEFAULT),
        status: CustomerStatus::parse(&model.status).unwrap_or(CustomerStatus::DEFAULT),
        notes,
        owner_id: model.owner_id,
        individual,
        organization,
        custom: async_graphql::Json(custom),
        version: model.version,
        created_at: model.created_at,
        updated_at: model.updated_at,
        deleted_at: model.deleted_at,
        masked: r.masked,
    }
}
