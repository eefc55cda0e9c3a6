//! The demo data set loaded by `dossier serve --demo`: a few hundred individual and
//! organization customers with Chinese and Western names, real cities, tags and custom
//! fields, and two years of their behaviour — orders from a tea shop's catalogue (regular
//! buyers, one-off buyers, lapsed ones and prospects), interactions, surveys, complaints,
//! consent, preferences and loyalty points. Deterministic for a seed; pure (no I/O), so it is unit-tested here and loaded
//! through the same service functions as API writes.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
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

// ---------------------------------------------------------------------------------------
// Behaviour: products, and two years of orders, interactions, surveys, complaints,
// consent and points per customer.

/// The demo catalogue: (SKU, name, category, list price in CNY).
const PRODUCTS: &[(&str, &str, &str, &str)] = &[
    ("TEA-LJ-250", "西湖龙井 250g", "tea", "268.00"),
    ("TEA-TGY-250", "安溪铁观音 250g", "tea", "158.00"),
    ("TEA-PE-357", "云南普洱饼 357g", "tea", "398.00"),
    ("TEA-BLC-100", "碧螺春 100g", "tea", "128.00"),
    ("TEA-JM-50", "金骏眉 50g", "tea", "218.00"),
    ("WARE-ZS-01", "紫砂壶", "teaware", "680.00"),
    ("WARE-GW-06", "白瓷盖碗 6件套", "teaware", "189.00"),
    ("WARE-CUP-12", "品茗杯 12只", "teaware", "96.00"),
    ("GIFT-BOX-A", "春节礼盒", "gifts", "888.00"),
    ("GIFT-BOX-B", "中秋礼盒", "gifts", "588.00"),
    ("SNACK-MJ-01", "茶点拼盘", "snacks", "45.00"),
    ("SNACK-GZ-02", "桂花糕", "snacks", "32.00"),
];

/// Product documents in the shape of `POST /api/v1/products`.
pub fn demo_products() -> Vec<Value> {
    PRODUCTS
        .iter()
        .map(|(sku, name, category, price)| {
            json!({"sku": sku, "name": name, "category": category, "list_price": price})
        })
        .collect()
}

/// A complaint to open and the workflow steps it then took.
pub struct DemoComplaint {
    pub open: Value,
    pub steps: Vec<Value>,
}

/// Everything one customer did, as request documents, oldest first within each kind.
#[derive(Default)]
pub struct DemoHistory {
    pub orders: Vec<Value>,
    pub interactions: Vec<Value>,
    pub surveys: Vec<Value>,
    pub complaints: Vec<DemoComplaint>,
    pub consents: Vec<Value>,
    pub preferences: Option<Value>,
    pub tier: Option<&'static str>,
    /// Points to earn per counted order, then one redemption.
    pub redeem_share: Option<u32>,
}

/// How a demo customer behaves over the two years.
#[derive(Clone, Copy)]
enum Pattern {
    /// Never bought.
    Prospect,
    /// Bought once.
    OneOff,
    /// Buys regularly to this day.
    Regular,
    /// Bought regularly in the first year, then stopped.
    Lapsed,
}

fn at(now: DateTime<Utc>, days_ago: f64) -> String {
    let t = now - chrono::Duration::seconds((days_ago * 86_400.0) as i64);
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Two years of behaviour for one customer, seeded by its position `i`; `product_ids` are
/// the catalogue's ids in [`demo_products`] order.
pub fn demo_history(
    i: usize,
    organization: bool,
    lapsed: bool,
    product_ids: &[uuid::Uuid],
    now: DateTime<Utc>,
) -> DemoHistory {
    let mut rng = StdRng::seed_from_u64(0x0D05_51E5 ^ i as u64);
    let pattern = match rng.random_range(0..100) {
        _ if lapsed => Pattern::Lapsed,
        0..20 => Pattern::Prospect,
        20..42 => Pattern::OneOff,
        42..80 => Pattern::Regular,
        _ => Pattern::Lapsed,
    };
    let mut h = DemoHistory::default();
    // Purchase times in days ago: a Poisson process with a customer-specific rate.
    let mut times: Vec<f64> = Vec::new();
    match pattern {
        Pattern::Prospect => {}
        Pattern::OneOff => times.push(rng.random_range(1.0..730.0)),
        Pattern::Regular | Pattern::Lapsed => {
            // Lapsed customers were often good ones: frequent buyers who stopped.
            let lapsed = matches!(pattern, Pattern::Lapsed);
            let mean_gap: f64 = if lapsed {
                rng.random_range(10.0..30.0)
            } else {
                rng.random_range(14.0..60.0)
            };
            let stop = if lapsed {
                rng.random_range(150.0..420.0)
            } else {
                0.0
            };
            let mut t: f64 = rng.random_range(500.0..730.0);
            while t > stop {
                times.push(t);
                let u: f64 = rng.random_range(0.001..1.0);
                t -= -u.ln() * mean_gap;
            }
        }
    }
    for (n, days_ago) in times.iter().enumerate() {
        let lines = rng.random_range(1..=3);
        let mut items = Vec::new();
        let mut total = Decimal::ZERO;
        for _ in 0..lines {
            let p = rng.random_range(0..product_ids.len());
            let quantity = if organization {
                rng.random_range(5..=40)
            } else {
                rng.random_range(1..=3)
            };
            let price: Decimal = PRODUCTS[p % PRODUCTS.len()].3.parse().unwrap_or_default();
            total += price * Decimal::from(quantity);
            items.push(json!({"product_id": product_ids[p], "quantity": quantity}));
        }
        let status = match rng.random_range(0..100) {
            0..5 => "cancelled",
            5..8 => "refunded",
            _ if *days_ago < 3.0 => "paid",
            _ if *days_ago < 10.0 => "shipped",
            _ => "completed",
        };
        let channel = *pick(
            &mut rng,
            &["online", "online", "store", "wechat", "phone", "agent"],
        );
        let mut order = json!({
            "number": format!("DEMO-{i:04}-{n:03}"),
            "channel": channel,
            "status": status,
            "ordered_at": at(now, *days_ago),
            "items": items,
        });
        // Organizations buy on credit: 30 days, usually paid, sometimes late or partly.
        if organization {
            let due = (now - chrono::Duration::days(*days_ago as i64) + chrono::Duration::days(30))
                .date_naive();
            order["due_date"] = json!(due);
            let paid = if *days_ago > 60.0 && rng.random_ratio(9, 10) {
                total
            } else {
                (total * Decimal::from(rng.random_range(0..60)) / Decimal::from(100)).round_dp(2)
            };
            order["paid_amount"] = json!(paid.to_string());
        } else if status != "paid" || rng.random_ratio(9, 10) {
            order["paid_amount"] = json!(total.to_string());
        }
        h.orders.push(order);
    }
    // Interactions: more for buyers, fewer once lapsed.
    let calls = match pattern {
        Pattern::Prospect => rng.random_range(0..=2),
        Pattern::OneOff => rng.random_range(0..=3),
        Pattern::Regular => rng.random_range(2..=8),
        Pattern::Lapsed => rng.random_range(1..=4),
    };
    const SUBJECTS: &[(&str, &str, &str)] = &[
        ("call", "新品推荐", "介绍了新茶上市"),
        ("email", "订单确认", "发送了订单确认和物流单号"),
        ("meeting", "年度采购洽谈", "讨论了明年的采购计划"),
        ("visit", "门店到访", "客户到店品鉴"),
        ("chat", "售后咨询", "解答了冲泡方法"),
        ("sms", "会员活动通知", "通知了会员日活动"),
        ("social", "朋友圈互动", "客户点赞并咨询礼盒"),
    ];
    for _ in 0..calls {
        let (kind, subject, summary) = *pick(&mut rng, SUBJECTS);
        let days_ago = match pattern {
            Pattern::Lapsed => rng.random_range(300.0..730.0),
            _ => rng.random_range(1.0..730.0),
        };
        let mut doc = json!({
            "type": kind,
            "direction": if rng.random_ratio(1, 2) { "inbound" } else { "outbound" },
            "occurred_at": at(now, days_ago),
            "subject": subject,
            "summary": summary,
            "outcome": *pick(&mut rng, &["已跟进", "客户满意", "待回复", "已下单"]),
        });
        if kind == "call" || kind == "meeting" {
            doc["duration_seconds"] = json!(rng.random_range(60..3600));
        }
        if days_ago < 14.0 && rng.random_ratio(1, 2) {
            doc["next_follow_up_at"] = json!(at(now, -rng.random_range(1.0..14.0)));
        }
        h.interactions.push(doc);
    }
    if !times.is_empty() && rng.random_ratio(2, 5) {
        let promoter = !matches!(pattern, Pattern::Lapsed) && rng.random_ratio(3, 4);
        let nps = if promoter {
            rng.random_range(8..=10)
        } else {
            rng.random_range(2..=7)
        };
        h.surveys.push(json!({
            "csat": if promoter { rng.random_range(4..=5) } else { rng.random_range(1..=3) },
            "nps": nps,
            "comment": *pick(&mut rng, &["茶叶很新鲜", "包装精美", "物流有点慢", "价格偏高", "服务周到"]),
            "channel": *pick(&mut rng, &["wechat", "sms", "email", "store"]),
            "answered_at": at(now, rng.random_range(1.0..600.0)),
        }));
    }
    if !times.is_empty() && rng.random_ratio(1, 8) {
        let days_ago = rng.random_range(0.5..400.0);
        let (category, subject) = *pick(
            &mut rng,
            &[
                ("delivery", "包裹延误"),
                ("product", "茶叶受潮"),
                ("billing", "重复扣款"),
                ("service", "客服态度"),
            ],
        );
        let open = json!({
            "category": category,
            "severity": *pick(&mut rng, &["low", "medium", "medium", "high", "critical"]),
            "subject": subject,
            "description": "客户来电反映问题，要求尽快处理",
            "opened_at": at(now, days_ago),
        });
        let progress = if days_ago < 3.0 {
            rng.random_range(0..3)
        } else {
            rng.random_range(2..5)
        };
        let mut steps = Vec::new();
        for (k, to) in ["acknowledged", "in_progress", "resolved", "closed"]
            .iter()
            .enumerate()
        {
            if k >= progress {
                break;
            }
            let mut step = json!({"to": to});
            if *to == "resolved" {
                step["resolution"] = json!("已补发并致歉");
            }
            steps.push(step);
        }
        h.complaints.push(DemoComplaint { open, steps });
    }
    for channel in ["email", "sms", "wechat", "phone"] {
        if rng.random_ratio(3, 5) {
            let days_ago = rng.random_range(30.0..720.0);
            h.consents.push(json!({"channel": channel, "granted": true, "source": "web_form", "at": at(now, days_ago)}));
            if rng.random_ratio(1, 6) {
                h.consents.push(
                    json!({"channel": channel, "granted": false, "source": "call",
                                       "at": at(now, rng.random_range(1.0..days_ago))}),
                );
            }
        }
    }
    if rng.random_ratio(1, 2) {
        let mut categories: Vec<&str> = ["tea", "teaware", "gifts", "snacks"]
            .into_iter()
            .filter(|_| rng.random_ratio(1, 2))
            .collect();
        categories.dedup();
        h.preferences = Some(json!({
            "categories": categories,
            "preferred_channel": *pick(&mut rng, &["wechat", "sms", "email", "phone"]),
            "preferred_time": *pick(&mut rng, &["morning", "afternoon", "evening", "weekend", "anytime"]),
        }));
    }
    if times.len() >= 2 {
        h.tier = Some(match times.len() {
            0..6 => "basic",
            6..15 => "silver",
            15..25 => "gold",
            _ => "platinum",
        });
        h.redeem_share = rng.random_ratio(1, 3).then(|| rng.random_range(20..80));
    }
    h
}

#[cfg(test)]
mod history_tests {
    use super::*;

    #[test]
    fn history_has_repeat_buyers_lapsed_buyers_and_prospects() {
        let now = Utc::now();
        let products: Vec<uuid::Uuid> = PRODUCTS.iter().map(|_| uuid::Uuid::now_v7()).collect();
        let histories: Vec<DemoHistory> = (0..300)
            .map(|i| demo_history(i, i % 3 == 0, false, &products, now))
            .collect();
        let orders: usize = histories.iter().map(|h| h.orders.len()).sum();
        assert!(
            (2000..6000).contains(&orders),
            "a few thousand orders: {orders}"
        );
        let buyers = |min: usize| histories.iter().filter(|h| h.orders.len() >= min).count();
        assert!(buyers(5) > 60, "repeat buyers");
        assert!(histories.iter().any(|h| h.orders.is_empty()), "prospects");
        let last_order_days = |h: &DemoHistory| {
            h.orders
                .iter()
                .filter_map(|o| o["ordered_at"].as_str())
                .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| (now - t.with_timezone(&Utc)).num_days())
                .min()
        };
        let lapsed = histories
            .iter()
            .filter(|h| h.orders.len() >= 3 && last_order_days(h).is_some_and(|d| d > 200))
            .count();
        assert!(lapsed > 20, "lapsed repeat buyers: {lapsed}");
        for h in &histories {
            for o in &h.orders {
                let at = DateTime::parse_from_rfc3339(o["ordered_at"].as_str().unwrap_or_default());
                assert!(at.is_ok_and(|t| t.with_timezone(&Utc) <= now), "{o}");
            }
        }
    }
}
