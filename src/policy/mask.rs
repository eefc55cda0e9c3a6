//! Masked forms of private values, shown to callers with partial clearance.

use rust_decimal::Decimal;

/// `+8613800138000` → `138****8000`; other countries keep their code: `+44 7700****123`.
pub fn mask_phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    let (prefix, national) = match phonenumber::parse(None, e164) {
        Ok(n) => {
            let code = n.code().value();
            let national = n.national().value().to_string();
            if code == 86 {
                (String::new(), national)
            } else {
                (format!("+{code} "), national)
            }
        }
        Err(_) => (String::new(), digits),
    };
    let chars: Vec<char> = national.chars().collect();
    if chars.len() < 8 {
        return format!("{prefix}****");
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}{head}****{tail}")
}

/// `zhang.wei@example.com` → `z***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `110101198804021234` → `1101**********1234`.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// A money amount as the band of its leading digit: `350000.00` → `300000–400000`.
pub fn mask_money(amount: &str) -> Option<String> {
    let value: Decimal = amount.parse().ok()?;
    let whole = value.trunc();
    if whole < Decimal::ONE {
        return Some("0–1".to_owned());
    }
    let digits = whole.to_string().trim_start_matches('-').len() as u32;
    let step = Decimal::from(10u64.checked_pow(digits - 1)?);
    let low = (whole / step).trunc() * step;
    Some(format!("{low}–{}", low + step))
}

/// How a value is written into the audit log: public values as they are, contact and
/// sensitive identifiers in their masked form, everything else private as `[redacted]`.
pub fn audit_value(
    path: &str,
    class: crate::domain::Sensitivity,
    value: &serde_json::Value,
) -> serde_json::Value {
    use crate::domain::Sensitivity;
    use serde_json::Value;
    if value.is_null() || class == Sensitivity::Public {
        return value.clone();
    }
    match (path, value.as_str()) {
        ("phone", Some(v)) => Value::String(mask_phone(v)),
        ("email", Some(v)) => Value::String(mask_email(v)),
        ("individual.id_number", Some(v)) => Value::String(mask_id_number(v)),
        _ => Value::String("[redacted]".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keeps_three_and_four_digits() {
        assert_eq!(mask_phone("+8613812345678"), "138****5678");
        assert_eq!(mask_phone("+16502530000"), "+1 650****0000");
    }

    #[test]
    fn email_keeps_first_letter_and_domain() {
        assert_eq!(mask_email("zhang.wei@example.com"), "z***@example.com");
    }

    #[test]
    fn id_number_keeps_region_and_tail() {
        assert_eq!(mask_id_number("110101198804021234"), "1101**********1234");
    }

    #[test]
    fn money_becomes_a_band() {
        assert_eq!(mask_money("350000.00").as_deref(), Some("300000–400000"));
        assert_eq!(mask_money("9.99").as_deref(), Some("9–10"));
        assert_eq!(mask_money("0.50").as_deref(), Some("0–1"));
    }
}
