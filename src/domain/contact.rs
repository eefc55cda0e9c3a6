//! E-mail addresses and phone numbers.

/// Trim, validate and lower-case an e-mail address.
///
/// # Errors
/// A sentence describing the rule, for a field error.
pub fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    if trimmed.chars().count() > 254 {
        return Err("must be at most 254 characters");
    }
    let lowered = trimmed.to_lowercase();
    let parsed = email_address::EmailAddress::parse_with_options(
        &lowered,
        email_address::Options::default().without_display_text(),
    )
    .map_err(|_| "must be an e-mail address such as name@example.com")?;
    // A domain needs a dot: `user@localhost` is syntactically valid but never a customer's.
    if !parsed.domain().contains('.') {
        return Err("must be an e-mail address such as name@example.com");
    }
    Ok(parsed.as_str().to_owned())
}

/// Parse a phone number, national numbers in `default_region`, into E.164 (`+8613800138000`).
///
/// # Errors
/// A sentence describing the rule, for a field error.
pub fn normalize_phone(raw: &str, default_region: &str) -> Result<String, &'static str> {
    let region: Option<phonenumber::country::Id> = default_region.parse().ok();
    let number = phonenumber::parse(region, raw.trim())
        .map_err(|_| "must be a phone number such as +86 138 0013 8000")?;
    if !phonenumber::is_valid(&number) {
        return Err("is not a valid phone number for its country");
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_to_e164() {
        assert_eq!(
            normalize_phone("+86 138 0013 8000", "CN"),
            Ok("+8613800138000".into())
        );
        assert_eq!(
            normalize_phone("138-0013-8000", "CN"),
            Ok("+8613800138000".into())
        );
        assert_eq!(
            normalize_phone("(650) 253-0000", "US"),
            Ok("+16502530000".into())
        );
        assert!(normalize_phone("12345", "CN").is_err());
        assert!(normalize_phone("not a phone", "CN").is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            normalize_email(" Zhang.Wei@Example.com "),
            Ok("zhang.wei@example.com".into())
        );
        assert!(normalize_email("zhang.wei").is_err());
        assert!(normalize_email("a@b").is_err());
        assert!(normalize_email("a b@example.com").is_err());
    }
}
