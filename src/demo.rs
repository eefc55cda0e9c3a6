//! The demo data set loaded by `dossier serve --demo`: a few hundred individual and
//! organization customers with Chinese and Western names, real cities, tags and custom
//! fields. Deterministic for a seed; pure (no I/O), so it is unit-tested here and loaded
//! through the same service functions as API writes.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

const FAMILY_NAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
];
const GIVEN_NAMES: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("秀英", "xiuying"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("晓燕", "xiaoyan"),
    ("子轩", "zixuan"),
    ("欣怡", "xinyi"),
    ("浩然", "haoran"),
];
const WESTERN_GIVEN: &[&str] = &[
    "James",
    "Emma",
    "Oliver",
    "Sophia",
    "Lucas",
    "Mia",
    "Noah",
    "Charlotte",
    "Liam",
    "Amelia",
    "Anna",
    "Felix",
    "Clara",
    "Hugo",
    "Léa",
];
const WESTERN_FAMILY: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Müller", "Schmidt", "Martin", "Bernard", "Rossi",
    "Walker", "Wright", "Clarke", "Dubois", "Fischer",
];
/// (province, city, district, postcode prefix, telephone area code)
const CN_CITIES: &[(&str, &str, &str, &str, &str)] = &[
    ("上海市", "上海市", "浦东新区", "2001", "21"),
    ("上海市", "上海市", "徐汇区", "2000", "21"),
    ("北京市", "北京市", "朝阳区", "1000", "10"),
    ("北京市", "北京市", "海淀区", "1000", "10"),
    ("广东省", "深圳市", "南山区", "5180", "755"),
    ("广东省", "广州市", "天河区", "5106", "20"),
    ("浙江省", "杭州市", "西湖区", "3100", "571"),
    ("江苏省", "南京市", "鼓楼区", "2100", "25"),
    ("江苏省", "苏州市", "工业园区", "2150", "512"),
    ("四川省", "成都市", "武侯区", "6100", "28"),
    ("湖北省", "武汉市", "洪山区", "4300", "27"),
    ("福建省", "厦门市", "思明区", "3610", "592"),
];
/// (country, province/state, city, phone prefix); two more digits complete the number.
const FOREIGN_CITIES: &[(&str, &str, &str, &str)] = &[
    ("GB", "England", "London", "+44 7911 1234"),
    ("US", "California", "San Francisco", "+1 415 253 01"),
    ("DE", "Bayern", "München", "+49 151 2345 67"),
    ("FR", "Île-de-France", "Paris", "+33 6 12 34 56"),
];
const STREETS: &[&str] = &[
    "世纪大道",
    "人民路",
    "中山路",
    "解放路",
    "建国路",
    "南京路",
    "科技园路",
    "文三路",
];
const TAGS: &[&str] = &[
    "vip",
    "newsletter",
    "wholesale",
    "b2b",
    "lead",
    "churn-risk",
    "event-2026",
    "referral-partner",
];
const SOURCES: &[&str] = &[
    "web",
    "referral",
    "event",
    "call_centre",
    "partner",
    "store",
    "import",
    "other",
];
const OCCUPATIONS: &[&str] = &[
    "engineer",
    "teacher",
    "doctor",
    "designer",
    "accountant",
    "lawyer",
    "sales manager",
    "civil servant",
    "student",
    "entrepreneur",
];
const EDUCATION: &[&str] = &["high school", "bachelor", "master", "doctorate"];
const HOBBIES: &[&str] = &[
    "tea",
    "hiking",
    "photography",
    "badminton",
    "travel",
    "cooking",
    "reading",
    "go",
];
const INDUSTRIES: &[&str] = &[
    "retail",
    "manufacturing",
    "software",
    "logistics",
    "food and beverage",
    "healthcare",
    "education",
    "construction",
];
const ORG_WORDS: &[(&str, &str)] = &[
    ("星河", "Galaxy"),
    ("华鑫", "Huaxin"),
    ("恒通", "Hengtong"),
    ("远航", "Voyager"),
    ("金桥", "Golden Bridge"),
    ("瑞丰", "Ruifeng"),
    ("天润", "Tianrun"),
    ("蓝海", "Blue Ocean"),
    ("博远", "Boyuan"),
    ("佳禾", "Jiahe"),
];
const ORG_TRADES: &[(&str, &str)] = &[
    ("贸易", "Trading"),
    ("科技", "Technology"),
    ("物流", "Logistics"),
    ("食品", "Foods"),
    ("建设", "Construction"),
    ("医疗器械", "Medical"),
];
const WESTERN_ORGS: &[&str] = &[
    "Northwind Traders Ltd",
    "Contoso GmbH",
    "Fabrikam Inc.",
    "Adventure Works LLC",
    "Tailspin Toys SARL",
];
const USCC_CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [usize; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The custom-field definitions the demo customers use.
pub fn demo_custom_fields() -> Vec<Value> {
    vec![
        json!({"key": "wechat_id", "label": "WeChat ID", "type": "text", "sensitivity": "contact",
               "applies_to": "individual", "max_length": 40, "description": "WeChat account for follow-ups"}),
        json!({"key": "membership_level", "label": "Membership level", "type": "enum",
               "options": ["bronze", "silver", "gold", "platinum"], "sensitivity": "public"}),
        json!({"key": "preferred_language", "label": "Preferred language", "type": "enum",
               "options": ["zh", "en", "de", "fr"], "sensitivity": "public"}),
        json!({"key": "vip_since", "label": "VIP since", "type": "date", "sensitivity": "public"}),
    ]
}

/// `count` customer documents in the shape of `POST /api/v1/customers`.
pub fn demo_customers(count: usize, seed: u64) -> Vec<Value> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            if rng.random_ratio(7, 10) {
                individual(&mut rng, i)
            } else {
                organization(&mut rng, i)
            }
        })
        .collect()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    items.choose(rng).unwrap_or(&items[0])
}

fn tags(rng: &mut StdRng) -> Vec<&'static str> {
    let n = rng.random_range(0..=3);
    let mut out: Vec<&str> = Vec::new();
    for _ in 0..n {
        let t = *pick(rng, TAGS);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn status(rng: &mut StdRng) -> &'static str {
    match rng.random_range(0..20) {
        0 => "blocked",
        1..=3 => "inactive",
        _ => "active",
    }
}

fn cn_mobile(rng: &mut StdRng) -> String {
    let prefix = *pick(
        rng,
        &[
            "138", "139", "150", "151", "158", "186", "188", "177", "135", "137",
        ],
    );
    format!(
        "+86 {prefix} {:04} {:04}",
        rng.random_range(0..10_000),
        rng.random_range(0..10_000)
    )
}

fn individual(rng: &mut StdRng, i: usize) -> Value {
    let chinese = rng.random_ratio(4, 5);
    let (display_name, family, given, email_local, phone, address, language) = if chinese {
        let (family, family_py) = *pick(rng, FAMILY_NAMES);
        let (given, given_py) = *pick(rng, GIVEN_NAMES);
        let (province, city, district, postcode, _) = *pick(rng, CN_CITIES);
        let street = format!("{}{}号", pick(rng, STREETS), rng.random_range(1..400));
        let address = json!({"country": "CN", "province": province, "city": city, "district": district,
                             "street": street, "postcode": format!("{postcode}{:02}", rng.random_range(0..100))});
        (
            format!("{family}{given}"),
            family.to_owned(),
            given.to_owned(),
            format!("{given_py}.{family_py}{i}"),
            cn_mobile(rng),
            address,
            "zh",
        )
    } else {
        let given = *pick(rng, WESTERN_GIVEN);
        let family = *pick(rng, WESTERN_FAMILY);
        let (country, state, city, phone_prefix) = *pick(rng, FOREIGN_CITIES);
        let address = json!({"country": country, "province": state, "city": city});
        let local: String = format!("{given}.{family}{i}")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>();
        let language = match country {
            "DE" => "de",
            "FR" => "fr",
            _ => "en",
        };
        (
            format!("{given} {family}"),
            family.to_owned(),
            given.to_owned(),
            local.to_lowercase(),
            format!("{phone_prefix}{:02}", rng.random_range(0..100)),
            address,
            language,
        )
    };
    let domain = *pick(
        rng,
        &[
            "example.com",
            "example.cn",
            "example.org",
            "mail.example.net",
        ],
    );
    let year = rng.random_range(1955..=2004);
    let birthday = format!(
        "{year}-{:02}-{:02}",
        rng.random_range(1..=12),
        rng.random_range(1..=28)
    );
    let mut profile = json!({
        "family_name": family, "given_name": given,
        "gender": pick(rng, &["male", "female", "female", "male", "undisclosed"]),
        "birthday": birthday,
        "occupation": pick(rng, OCCUPATIONS),
        "education": pick(rng, EDUCATION),
        "marital_status": pick(rng, &["single", "married", "married", "divorced"]),
        "annual_income": format!("{}.00", rng.random_range(3..=120) * 10_000),
        "hobbies": [pick(rng, HOBBIES), pick(rng, HOBBIES)],
    });
    if chinese && rng.random_ratio(1, 3) {
        profile["id_number"] = json!(id_number(rng, &birthday));
    }
    let mut custom = Map::new();
    if chinese && rng.random_ratio(1, 2) {
        custom.insert(
            "wechat_id".into(),
            json!(format!("wx_{email_local}").replace('.', "_")),
        );
    }
    add_common_custom(rng, &mut custom, language);
    let mut doc = json!({
        "kind": "individual",
        "display_name": display_name,
        "phone": phone,
        "email": format!("{email_local}@{domain}"),
        "address": address,
        "tags": tags(rng),
        "source": pick(rng, SOURCES),
        "status": status(rng),
        "individual": profile,
        "custom": custom,
    });
    if rng.random_ratio(1, 10) {
        doc["notes"] = json!("Prefers to be contacted after 18:00.");
    }
    doc
}

fn add_common_custom(rng: &mut StdRng, custom: &mut Map<String, Value>, language: &str) {
    if rng.random_ratio(1, 2) {
        custom.insert(
            "membership_level".into(),
            json!(pick(rng, &["bronze", "silver", "gold", "platinum"])),
        );
    }
    custom.insert("preferred_language".into(), json!(language));
    if rng.random_ratio(1, 6) {
        custom.insert(
            "vip_since".into(),
            json!(format!(
                "{}-{:02}-{:02}",
                rng.random_range(2015..=2025),
                rng.random_range(1..=12),
                rng.random_range(1..=28)
            )),
        );
    }
}

fn organization(rng: &mut StdRng, i: usize) -> Value {
    let chinese = rng.random_ratio(4, 5);
    let (word, word_en) = *pick(rng, ORG_WORDS);
    let (trade, trade_en) = *pick(rng, ORG_TRADES);
    let (display_name, legal_name, address, phone, website, language) = if chinese {
        let (province, city, district, postcode, area) = *pick(rng, CN_CITIES);
        let city_short = city.trim_end_matches('市');
        let street = format!("{}{}号", pick(rng, STREETS), rng.random_range(1..400));
        let slug: String = format!("{word_en}{trade_en}{i}")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        (
            format!("{word}{trade}"),
            format!("{city_short}{word}{trade}有限公司"),
            json!({"country": "CN", "province": province, "city": city, "district": district, "street": street,
                   "postcode": format!("{postcode}{:02}", rng.random_range(0..100))}),
            format!(
                "+86 {area} {:04} {:04}",
                rng.random_range(2000..10_000),
                rng.random_range(0..10_000)
            ),
            format!("https://www.{}.example.cn", slug.to_lowercase()),
            "zh",
        )
    } else {
        let name = *pick(rng, WESTERN_ORGS);
        let (country, state, city, phone_prefix) = *pick(rng, FOREIGN_CITIES);
        let slug: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
        (
            name.to_owned(),
            name.to_owned(),
            json!({"country": country, "province": state, "city": city}),
            format!("{phone_prefix}{:02}", rng.random_range(0..100)),
            format!("https://{}.example.com", slug.to_lowercase()),
            "en",
        )
    };
    let mut custom = Map::new();
    add_common_custom(rng, &mut custom, language);
    let mut organization = json!({
        "legal_name": legal_name,
        "industry": pick(rng, INDUSTRIES),
        "employee_count": rng.random_range(5..5000),
        "registered_capital": format!("{}.00", rng.random_range(1..=500) * 100_000),
        "founded_on": format!("{}-{:02}-{:02}", rng.random_range(1990..=2023), rng.random_range(1..=12), rng.random_range(1..=28)),
        "website": website,
        "business_scope": format!("{trade_en} products and services"),
        "credit_rating": pick(rng, &["AAA", "AA", "A", "BBB", "BB"]),
        "credit_limit": format!("{}.00", rng.random_range(1..=100) * 10_000),
        "payment_terms_days": pick(rng, &[0, 15, 30, 45, 60, 90]),
    });
    if chinese {
        organization["credit_code"] = json!(credit_code(rng));
    }
    json!({
        "kind": "organization",
        "display_name": display_name,
        "phone": phone,
        "email": format!("contact{i}@{}", pick(rng, &["example.com", "example.cn"])),
        "address": address,
        "tags": tags(rng),
        "source": pick(rng, SOURCES),
        "status": status(rng),
        "organization": organization,
        "custom": custom,
    })
}

/// An 18-character unified social credit code with a valid GB 32100-2015 check character.
fn credit_code(rng: &mut StdRng) -> String {
    let mut chars: Vec<u8> = vec![b'9', b'1'];
    chars.extend(b"310115");
    while chars.len() < 17 {
        chars.push(USCC_CHARSET[rng.random_range(0..USCC_CHARSET.len())]);
    }
    let sum: usize = chars
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(c, w)| USCC_CHARSET.iter().position(|x| x == c).unwrap_or(0) * w)
        .sum();
    chars.push(USCC_CHARSET[(31 - sum % 31) % 31]);
    String::from_utf8(chars).unwrap_or_default()
}

/// An 18-digit resident ID number (GB 11643) for a birthday `YYYY-MM-DD`, with its check digit.
fn id_number(rng: &mut StdRng, birthday: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let region = *pick(rng, &["310115", "110105", "440305", "330106", "510107"]);
    let body = format!(
        "{region}{}{:03}",
        birthday.replace('-', ""),
        rng.random_range(0..1000)
    );
    let sum: u32 = body
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(WEIGHTS)
        .map(|(d, w)| d * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::is_valid_credit_code;

    #[test]
    fn the_same_seed_gives_the_same_customers() {
        assert_eq!(demo_customers(50, 7), demo_customers(50, 7));
        assert_ne!(demo_customers(50, 7), demo_customers(50, 8));
        assert_eq!(demo_customers(300, 2026).len(), 300);
    }

    #[test]
    fn both_kinds_and_both_name_styles_appear() {
        let all = demo_customers(300, 2026);
        let orgs = all.iter().filter(|c| c["kind"] == "organization").count();
        assert!(
            (50..150).contains(&orgs),
            "about 30% organizations, got {orgs}"
        );
        let latin = all
            .iter()
            .filter(|c| c["display_name"].as_str().is_some_and(|n| n.is_ascii()))
            .count();
        assert!(
            latin > 10 && latin < 150,
            "a mix of Chinese and Western names, got {latin} Latin"
        );
    }

    #[test]
    fn identifiers_carry_valid_check_characters() {
        for c in demo_customers(300, 2026) {
            if let Some(code) = c["organization"]["credit_code"].as_str() {
                assert!(is_valid_credit_code(code), "{code}");
            }
            if let Some(id) = c["individual"]["id_number"].as_str() {
                const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
                let sum: u32 = id
                    .chars()
                    .take(17)
                    .filter_map(|c| c.to_digit(10))
                    .zip(WEIGHTS)
                    .map(|(d, w)| d * w)
                    .sum();
                assert_eq!(
                    id.as_bytes()[17],
                    b"10X98765432"[(sum % 11) as usize],
                    "{id}"
                );
            }
        }
    }
}

#[cfg(test)]
mod contact_tests {
    use super::*;
    use crate::domain::{normalize_email, normalize_phone};

    #[test]
    fn every_phone_and_email_is_valid() {
        for c in demo_customers(300, 2026) {
            let phone = c["phone"].as_str().unwrap_or_default();
            assert!(normalize_phone(phone, "CN").is_ok(), "{phone}");
            let email = c["email"].as_str().unwrap_or_default();
            assert!(normalize_email(email).is_ok(), "{email}");
        }
    }
}
