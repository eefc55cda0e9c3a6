//! Rendering a stored customer for one principal.

use std::collections::HashMap;

use entity::customer;
use serde_json::{Map, Value};

use super::catalogue::class_of;
use super::mask::{mask_email, mask_id_number, mask_money, mask_phone};
use crate::domain::{
    CustomerKind, CustomerSource, CustomerStatus, Gender, MaritalStatus, Sensitivity,
};
use crate::error::{AppResult, stored};
use crate::policy::{Clearance, Principal};
use crate::types::customer::{AddressView, CustomerView, IndividualView, OrganizationView};
use crate::types::time::Date;

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
///
/// # Errors
/// `Internal` naming the row when a stored kind, source, status, gender or marital status
/// is not one this version knows: the customer is not shown as something it may not be.
pub fn render_customer(
    model: &customer::Model,
    custom_classes: &CustomFieldClasses,
    principal: &Principal,
) -> AppResult<CustomerView> {
    let mut r = Renderer {
        principal,
        masked: Vec::new(),
    };
    let id = model.id;
    let kind = stored(CustomerKind::parse(&model.kind), "customers", "kind", id)?;
    let source = stored(
        CustomerSource::parse(&model.source),
        "customers",
        "source",
        id,
    )?;
    let status = stored(
        CustomerStatus::parse(&model.status),
        "customers",
        "status",
        id,
    )?;
    let gender = model
        .gender
        .as_deref()
        .map(|g| stored(Gender::parse(g), "customers", "gender", id))
        .transpose()?;
    let marital_status = model
        .marital_status
        .as_deref()
        .map(|m| stored(MaritalStatus::parse(m), "customers", "marital_status", id))
        .transpose()?;
    let phone = r.text("phone", model.phone.as_ref(), Partial::Phone);
    let email = r.text("email", model.email.as_ref(), Partial::Email);
    let address = AddressView {
        country: r.text(
            "address.country",
            model.addr_country.as_ref(),
            Partial::Withheld,
        ),
        province: r.text(
            "address.province",
            model.addr_province.as_ref(),
            Partial::Withheld,
        ),
        city: r.text("address.city", model.addr_city.as_ref(), Partial::Withheld),
        district: r.text(
            "address.district",
            model.addr_district.as_ref(),
            Partial::Withheld,
        ),
        street: r.text(
            "address.street",
            model.addr_street.as_ref(),
            Partial::Withheld,
        ),
        postcode: r.text(
            "address.postcode",
            model.addr_postcode.as_ref(),
            Partial::Withheld,
        ),
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
        family_name: r.text(
            "individual.family_name",
            model.family_name.as_ref(),
            Partial::Withheld,
        ),
        given_name: r.text(
            "individual.given_name",
            model.given_name.as_ref(),
            Partial::Withheld,
        ),
        gender: r.whole("individual.gender", gender.as_ref()),
        birthday: r.whole("individual.birthday", model.birthday.map(Date).as_ref()),
        occupation: r.text(
            "individual.occupation",
            model.occupation.as_ref(),
            Partial::Withheld,
        ),
        employer: r.text(
            "individual.employer",
            model.employer.as_ref(),
            Partial::Withheld,
        ),
        job_title: r.text(
            "individual.job_title",
            model.job_title.as_ref(),
            Partial::Withheld,
        ),
        annual_income: r.text(
            "individual.annual_income",
            model.annual_income.as_ref(),
            Partial::Money,
        ),
        education: r.text(
            "individual.education",
            model.education.as_ref(),
            Partial::Withheld,
        ),
        marital_status: r.whole("individual.marital_status", marital_status.as_ref()),
        family_notes: r.text(
            "individual.family_notes",
            model.family_notes.as_ref(),
            Partial::Withheld,
        ),
        hobbies: string_list(
            r.whole("individual.hobbies", model.hobbies.as_ref())
                .as_ref(),
        ),
        social: r
            .whole("individual.social", model.social.as_ref())
            .and_then(|v| v.as_object().cloned())
            .map(async_graphql::Json),
        id_number: r.text(
            "individual.id_number",
            model.id_number.as_ref(),
            Partial::IdNumber,
        ),
        health: r.text(
            "individual.health",
            model.health.as_ref(),
            Partial::Withheld,
        ),
        religion: r.text(
            "individual.religion",
            model.religion.as_ref(),
            Partial::Withheld,
        ),
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
        legal_name: r.text(
            "organization.legal_name",
            model.legal_name.as_ref(),
            Partial::Withheld,
        ),
        credit_code: r.text(
            "organization.credit_code",
            model.credit_code.as_ref(),
            Partial::Withheld,
        ),
        industry: r.text(
            "organization.industry",
            model.industry.as_ref(),
            Partial::Withheld,
        ),
        employee_count: r.whole("organization.employee_count", model.employee_count.as_ref()),
        registered_capital: r.text(
            "organization.registered_capital",
            model.registered_capital.as_ref(),
            Partial::Money,
        ),
        founded_on: r.whole(
            "organization.founded_on",
            model.founded_on.map(Date).as_ref(),
        ),
        website: r.text(
            "organization.website",
            model.website.as_ref(),
            Partial::Withheld,
        ),
        business_scope: r.text(
            "organization.business_scope",
            model.business_scope.as_ref(),
            Partial::Withheld,
        ),
        credit_rating: r.text(
            "organization.credit_rating",
            model.credit_rating.as_ref(),
            Partial::Withheld,
        ),
        credit_limit: r.text(
            "organization.credit_limit",
            model.credit_limit.as_ref(),
            Partial::Money,
        ),
        payment_terms_days: r
            .whole(
                "organization.payment_terms_days",
                model.payment_terms_days.as_ref(),
            )
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

    Ok(CustomerView {
        id: model.id,
        kind,
        display_name: model.display_name.clone(),
        phone,
        email,
        address: has_address.then_some(address),
        tags: string_list(Some(&model.tags)).unwrap_or_default(),
        source,
        status,
        notes,
        owner_id: model.owner_id,
        individual,
        organization,
        custom: async_graphql::Json(custom),
        version: model.version,
        created_at: model.created_at.into(),
        updated_at: model.updated_at.into(),
        deleted_at: model.deleted_at.map(Into::into),
        masked: r.masked,
        scores: None,
        stats: None,
        duplicate_candidates: None,
    })
}

/// The sensitive fields (class `sensitive`, stored or custom) that `view` shows `principal`
/// in full and that hold a value: what makes the view a sensitive read, audited whoever
/// reads it (admins included). Masked forms and withheld fields are not in it.
///
/// # Errors
/// `Internal` if the view cannot be read back as a document.
pub fn sensitive_shown(
    view: &CustomerView,
    custom_classes: &CustomFieldClasses,
    principal: &Principal,
) -> AppResult<Vec<String>> {
    if principal.clearance(Sensitivity::Sensitive) != Clearance::Full {
        return Ok(Vec::new());
    }
    let doc = serde_json::to_value(view).map_err(|e| crate::error::AppError::Internal(e.into()))?;
    let present = |v: Option<&Value>| v.is_some_and(|v| !v.is_null());
    let mut shown: Vec<String> = super::CATALOGUE
        .iter()
        .filter(|(_, class)| *class == Sensitivity::Sensitive)
        .filter(|(path, _)| present(path.split('.').try_fold(&doc, |v, part| v.get(part))))
        .map(|(path, _)| (*path).to_owned())
        .collect();
    let mut custom: Vec<String> = view
        .custom
        .0
        .iter()
        .filter(|(key, value)| {
            custom_classes
                .get(key.as_str())
                .copied()
                .unwrap_or(Sensitivity::Sensitive)
                == Sensitivity::Sensitive
                && !value.is_null()
        })
        .map(|(key, _)| format!("custom.{key}"))
        .collect();
    custom.sort();
    shown.extend(custom);
    Ok(shown)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::policy::Clearance::{Full, None as Hidden, Partial};
    use chrono::{NaiveDate, TimeZone, Utc};
    use serde_json::json;

    fn person() -> customer::Model {
        let t = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .unwrap_or_default();
        let d = NaiveDate::from_ymd_opt(1988, 4, 2);
        let s = |v: &str| Some(v.to_owned());
        customer::Model {
            id: uuid::Uuid::nil(),
            kind: "individual".into(),
            display_name: "张伟".into(),
            search_name: "张伟".into(),
            phone: s("+8613812345678"),
            email: s("zhang.wei@example.com"),
            addr_country: s("CN"),
            addr_province: s("上海市"),
            addr_city: s("上海市"),
            addr_district: s("浦东新区"),
            addr_street: s("世纪大道100号"),
            addr_postcode: s("200120"),
            tags: json!(["vip"]),
            source: "referral".into(),
            status: "active".into(),
            notes: s("likes tea"),
            owner_id: None,
            family_name: s("张"),
            given_name: s("伟"),
            gender: s("male"),
            birthday: d,
            occupation: s("engineer"),
            employer: s("Acme"),
            job_title: s("lead"),
            annual_income: s("350000.00"),
            education: s("master"),
            marital_status: s("married"),
            family_notes: s("two children"),
            hobbies: Some(json!(["go"])),
            social: Some(json!({"wechat": "zw1988"})),
            id_number: s("110101198804021234"),
            health: s("diabetes"),
            religion: s("none"),
            political_affiliation: s("none"),
            precise_location: s("31.2,121.5"),
            legal_name: None,
            credit_code: None,
            industry: None,
            employee_count: None,
            registered_capital: None,
            founded_on: None,
            website: None,
            business_scope: None,
            credit_rating: None,
            credit_limit: None,
            payment_terms_days: None,
            custom: json!({"wechat_id": "zw1988", "tier": "gold", "stale": 1}),
            version: 1,
            created_at: t,
            updated_at: t,
            deleted_at: None,
            merged_into: None,
        }
    }

    fn organization() -> customer::Model {
        let s = |v: &str| Some(v.to_owned());
        customer::Model {
            kind: "organization".into(),
            legal_name: s("上海星河贸易有限公司"),
            credit_code: s("91350100M000100Y43"),
            industry: s("trade"),
            employee_count: Some(120),
            registered_capital: s("10000000.00"),
            founded_on: NaiveDate::from_ymd_opt(2001, 5, 1),
            website: s("https://example.com"),
            business_scope: s("import and export"),
            credit_rating: s("AA"),
            credit_limit: s("500000.00"),
            payment_terms_days: Some(30),
            ..person()
        }
    }

    fn classes() -> CustomFieldClasses {
        [
            ("wechat_id".to_owned(), Sensitivity::Contact),
            ("tier".to_owned(), Sensitivity::Public),
        ]
        .into()
    }

    /// Every leaf path of a rendered customer.
    fn paths(prefix: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) if prefix != "custom" && prefix != "individual.social" => {
                for (k, v) in map {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    paths(&p, v, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }

    #[test]
    fn every_rendered_field_has_a_sensitivity_class() {
        for model in [person(), organization()] {
            let view = render_customer(&model, &classes(), &Principal::operator()).unwrap();
            let json = serde_json::to_value(&view).unwrap_or_default();
            let mut all = Vec::new();
            paths("", &json, &mut all);
            for path in all.iter().filter(|p| {
                !["masked", "custom", "individual", "organization"].contains(&p.as_str())
            }) {
                assert!(
                    super::super::CATALOGUE.iter().any(|(p, _)| p == path),
                    "{path} is rendered but has no sensitivity class in the catalogue"
                );
            }
        }
    }

    #[test]
    fn full_clearance_sees_everything_and_no_stale_custom_values() {
        let view = render_customer(&person(), &classes(), &Principal::operator()).unwrap();
        assert!(view.masked.is_empty());
        assert_eq!(view.phone.as_deref(), Some("+8613812345678"));
        assert_eq!(view.custom.0.get("wechat_id"), Some(&json!("zw1988")));
        assert_eq!(
            view.custom.0.get("stale"),
            None,
            "values of deleted definitions are not rendered"
        );
    }

    #[test]
    fn partial_clearance_masks_and_lists_the_fields() {
        let support = Principal::with_clearances("support", [Full, Partial, Hidden, Hidden]);
        let view = render_customer(&person(), &classes(), &support).unwrap();
        assert_eq!(view.phone.as_deref(), Some("138****5678"));
        assert_eq!(view.email.as_deref(), Some("z***@example.com"));
        let address = view.address.unwrap_or_default();
        assert_eq!(
            address.city.as_deref(),
            Some("上海市"),
            "address is shown down to the city"
        );
        assert_eq!(address.street, None);
        let individual = view.individual.unwrap_or_default();
        assert_eq!(
            individual.annual_income, None,
            "no financial clearance: withheld"
        );
        assert_eq!(individual.id_number, None);
        assert_eq!(individual.health, None);
        assert_eq!(view.custom.0.get("wechat_id"), None);
        assert_eq!(view.custom.0.get("tier"), Some(&json!("gold")));
        for field in [
            "phone",
            "email",
            "address.street",
            "individual.annual_income",
            "individual.health",
            "custom.wechat_id",
        ] {
            assert!(
                view.masked.iter().any(|m| m == field),
                "{field} should be listed as masked"
            );
        }
        assert!(!view.masked.iter().any(|m| m == "display_name"));
    }

    #[test]
    fn partial_financial_and_sensitive_show_bands_and_masked_ids() {
        let manager = Principal::with_clearances("manager", [Full, Full, Partial, Partial]);
        let view = render_customer(&person(), &classes(), &manager).unwrap();
        let individual = view.individual.unwrap_or_default();
        assert_eq!(individual.annual_income.as_deref(), Some("300000–400000"));
        assert_eq!(individual.id_number.as_deref(), Some("1101**********1234"));
        assert_eq!(individual.religion, None);
        let org = render_customer(&organization(), &classes(), &manager)
            .unwrap()
            .organization
            .unwrap_or_default();
        assert_eq!(org.credit_limit.as_deref(), Some("500000–600000"));
        assert_eq!(org.payment_terms_days, None);
    }

    #[test]
    fn unknown_stored_text_is_an_error_naming_the_row_not_a_default() {
        let s = |v: &str| Some(v.to_owned());
        for broken in [
            customer::Model {
                kind: "robot".into(),
                ..person()
            },
            customer::Model {
                status: "zzz".into(),
                ..person()
            },
            customer::Model {
                source: "zzz".into(),
                ..person()
            },
            customer::Model {
                gender: s("zzz"),
                ..person()
            },
            customer::Model {
                marital_status: s("zzz"),
                ..person()
            },
        ] {
            let err = render_customer(&broken, &classes(), &Principal::operator()).unwrap_err();
            assert_eq!(err.status(), 500);
            let cause = format!("{err:?}");
            assert!(cause.contains("customers."), "{cause}");
            assert!(cause.contains(&broken.id.to_string()), "{cause}");
            assert!(
                !cause.contains("zzz") && !cause.contains("robot"),
                "{cause}"
            );
        }
    }
}
