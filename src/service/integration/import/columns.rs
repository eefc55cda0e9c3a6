//! Which field each column of an import file fills, and how a cell becomes a JSON value.
//!
//! A column is matched, in order: by the caller's mapping (`null` ignores it); by the field's
//! path (`individual.family_name`) or its last part when that is unambiguous (`family_name`);
//! by a known alias, Chinese or English (`姓名`, `手机`, `邮箱`, `城市`, `Mobile`…); for
//! customers, by a custom field's key. Matching ignores case, spaces, `_` and `-`. A column
//! that matches nothing stops the import before any row is read: nothing is silently dropped.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::Kind;
use crate::domain::CustomFieldType;
use crate::service::customers::custom_fields::Definition;

/// How a cell is turned into the value the API takes.
#[derive(Debug, Clone, Copy)]
enum Ty {
    Text,
    Int,
    /// Separated by `;`, `,`, `|`, `、` (and their full-width forms).
    List,
    /// A JSON object.
    Object,
    Date,
    /// A date-time; without a zone it is UTC, a bare date is midnight UTC.
    Time,
    /// A decimal amount; currency signs and thousands separators are dropped.
    Money,
    /// A closed set, with the Chinese words it also accepts.
    Word(&'static [(&'static str, &'static str)]),
}

#[derive(Clone, Copy)]
struct Field {
    path: &'static str,
    ty: Ty,
    aliases: &'static [&'static str],
}

const fn f(path: &'static str, ty: Ty, aliases: &'static [&'static str]) -> Field {
    Field { path, ty, aliases }
}

const KIND_WORDS: &[(&str, &str)] = &[
    ("个人", "individual"),
    ("个人客户", "individual"),
    ("person", "individual"),
    ("企业", "organization"),
    ("企业客户", "organization"),
    ("公司", "organization"),
    ("机构", "organization"),
    ("组织", "organization"),
    ("company", "organization"),
];
const GENDER_WORDS: &[(&str, &str)] = &[
    ("男", "male"),
    ("男性", "male"),
    ("m", "male"),
    ("女", "female"),
    ("女性", "female"),
    ("f", "female"),
];
const STATUS_WORDS: &[(&str, &str)] = &[
    ("活跃", "active"),
    ("正常", "active"),
    ("停用", "inactive"),
    ("不活跃", "inactive"),
    ("黑名单", "blocked"),
];
const ORDER_STATUS_WORDS: &[(&str, &str)] = &[
    ("待付款", "pending"),
    ("待支付", "pending"),
    ("已付款", "paid"),
    ("已支付", "paid"),
    ("已发货", "shipped"),
    ("已完成", "completed"),
    ("完成", "completed"),
    ("已取消", "cancelled"),
    ("取消", "cancelled"),
    ("已退款", "refunded"),
    ("退款", "refunded"),
];
const CHANNEL_WORDS: &[(&str, &str)] = &[
    ("线上", "online"),
    ("网店", "online"),
    ("电商", "online"),
    ("门店", "store"),
    ("代理", "agent"),
    ("代理商", "agent"),
    ("电话", "phone"),
    ("微信", "wechat"),
    ("其他", "other"),
];
const INTERACTION_WORDS: &[(&str, &str)] = &[
    ("电话", "call"),
    ("邮件", "email"),
    ("会议", "meeting"),
    ("面谈", "meeting"),
    ("拜访", "visit"),
    ("社交", "social"),
    ("微信", "chat"),
    ("聊天", "chat"),
    ("短信", "sms"),
    ("其他", "other"),
];
const DIRECTION_WORDS: &[(&str, &str)] = &[("呼入", "inbound"), ("呼出", "outbound")];

const CUSTOMERS: &[Field] = &[
    f(
        "external_id",
        Ty::Text,
        &[
            "id",
            "外部编号",
            "客户编号",
            "编号",
            "客户id",
            "external id",
        ],
    ),
    f("kind", Ty::Word(KIND_WORDS), &["类型", "客户类型", "type"]),
    f(
        "display_name",
        Ty::Text,
        &[
            "姓名",
            "名称",
            "客户名称",
            "客户名",
            "客户",
            "name",
            "customer name",
            "full name",
        ],
    ),
    f(
        "phone",
        Ty::Text,
        &[
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "mobile",
            "tel",
            "telephone",
        ],
    ),
    f(
        "email",
        Ty::Text,
        &["邮箱", "电子邮件", "电子邮箱", "邮件", "e-mail", "mail"],
    ),
    f("address.country", Ty::Text, &["国家", "国家地区"]),
    f(
        "address.province",
        Ty::Text,
        &["省份", "省", "省市", "state"],
    ),
    f("address.city", Ty::Text, &["城市", "市"]),
    f("address.district", Ty::Text, &["区县", "区", "县"]),
    f(
        "address.street",
        Ty::Text,
        &["地址", "详细地址", "街道", "address"],
    ),
    f(
        "address.postcode",
        Ty::Text,
        &["邮编", "邮政编码", "zip", "postal code"],
    ),
    f("tags", Ty::List, &["标签", "tag"]),
    f("source", Ty::Text, &["来源", "客户来源"]),
    f("status", Ty::Word(STATUS_WORDS), &["状态", "客户状态"]),
    f("notes", Ty::Text, &["备注", "说明", "remark", "remarks"]),
    f(
        "individual.family_name",
        Ty::Text,
        &["姓", "last name", "surname"],
    ),
    f("individual.given_name", Ty::Text, &["名", "first name"]),
    f(
        "individual.gender",
        Ty::Word(GENDER_WORDS),
        &["性别", "sex"],
    ),
    f(
        "individual.birthday",
        Ty::Date,
        &["生日", "出生日期", "date of birth"],
    ),
    f("individual.occupation", Ty::Text, &["职业"]),
    f(
        "individual.employer",
        Ty::Text,
        &["工作单位", "单位", "company"],
    ),
    f("individual.job_title", Ty::Text, &["职位", "职务", "title"]),
    f(
        "individual.annual_income",
        Ty::Money,
        &["年收入", "收入", "income"],
    ),
    f("individual.education", Ty::Text, &["学历", "教育程度"]),
    f("individual.marital_status", Ty::Text, &["婚姻状况"]),
    f("individual.family_notes", Ty::Text, &["家庭情况"]),
    f("individual.hobbies", Ty::List, &["爱好", "兴趣爱好"]),
    f("individual.social", Ty::Object, &["社交账号"]),
    f(
        "individual.id_number",
        Ty::Text,
        &["身份证号", "身份证", "证件号码"],
    ),
    f("individual.health", Ty::Text, &["健康状况"]),
    f("individual.religion", Ty::Text, &["宗教信仰"]),
    f("individual.political_affiliation", Ty::Text, &["政治面貌"]),
    f("individual.precise_location", Ty::Text, &["精确位置"]),
    f(
        "organization.legal_name",
        Ty::Text,
        &["企业名称", "公司全称", "法定名称"],
    ),
    f(
        "organization.credit_code",
        Ty::Text,
        &["统一社会信用代码", "信用代码", "uscc"],
    ),
    f("organization.industry", Ty::Text, &["行业", "所属行业"]),
    f(
        "organization.employee_count",
        Ty::Int,
        &["员工人数", "员工数", "employees"],
    ),
    f("organization.registered_capital", Ty::Money, &["注册资本"]),
    f(
        "organization.founded_on",
        Ty::Date,
        &["成立日期", "founded"],
    ),
    f("organization.website", Ty::Text, &["网站", "官网", "网址"]),
    f("organization.business_scope", Ty::Text, &["经营范围"]),
    f("organization.credit_rating", Ty::Text, &["信用等级"]),
    f("organization.credit_limit", Ty::Money, &["信用额度"]),
    f(
        "organization.payment_terms_days",
        Ty::Int,
        &["账期", "账期天数"],
    ),
];

const CUSTOMER_REF: [Field; 2] = [
    f("customer_id", Ty::Text, &["dossier customer id"]),
    f(
        "customer_external_id",
        Ty::Text,
        &[
            "客户编号",
            "客户id",
            "客户",
            "customer",
            "customer external id",
        ],
    ),
];

const ORDERS: &[Field] = &[
    f(
        "number",
        Ty::Text,
        &[
            "external_id",
            "订单号",
            "订单编号",
            "单号",
            "order number",
            "order no",
            "order id",
        ],
    ),
    CUSTOMER_REF[0],
    CUSTOMER_REF[1],
    f("channel", Ty::Word(CHANNEL_WORDS), &["渠道", "销售渠道"]),
    f(
        "status",
        Ty::Word(ORDER_STATUS_WORDS),
        &["状态", "订单状态"],
    ),
    f(
        "ordered_at",
        Ty::Time,
        &[
            "下单时间",
            "下单日期",
            "订单日期",
            "日期",
            "order date",
            "date",
        ],
    ),
    f("currency", Ty::Text, &["币种", "货币"]),
    f(
        "total",
        Ty::Money,
        &["金额", "订单金额", "总金额", "总额", "amount"],
    ),
    f(
        "paid_amount",
        Ty::Money,
        &["已付", "已付金额", "实付金额", "paid"],
    ),
    f("due_date", Ty::Date, &["到期日", "应付日期", "账期截止"]),
    f("notes", Ty::Text, &["备注", "remark"]),
    f(
        "items.sku",
        Ty::Text,
        &["商品编码", "商品编号", "货号", "product code"],
    ),
    f("items.product_id", Ty::Text, &[]),
    f("items.quantity", Ty::Int, &["数量", "qty"]),
    f("items.unit_price", Ty::Money, &["单价", "price"]),
];

const INTERACTIONS: &[Field] = &[
    f(
        "external_id",
        Ty::Text,
        &["id", "外部编号", "记录编号", "编号"],
    ),
    CUSTOMER_REF[0],
    CUSTOMER_REF[1],
    f(
        "type",
        Ty::Word(INTERACTION_WORDS),
        &["类型", "方式", "联系方式"],
    ),
    f("direction", Ty::Word(DIRECTION_WORDS), &["方向"]),
    f(
        "occurred_at",
        Ty::Time,
        &["时间", "日期", "发生时间", "联系时间", "date"],
    ),
    f(
        "duration_seconds",
        Ty::Int,
        &["时长", "通话时长", "duration"],
    ),
    f("subject", Ty::Text, &["主题"]),
    f("summary", Ty::Text, &["摘要", "内容", "记录"]),
    f("outcome", Ty::Text, &["结果"]),
    f("next_follow_up_at", Ty::Time, &["下次跟进", "下次跟进时间"]),
    f("user_id", Ty::Text, &[]),
];

const SURVEYS: &[Field] = &[
    f(
        "external_id",
        Ty::Text,
        &["id", "外部编号", "问卷编号", "编号"],
    ),
    CUSTOMER_REF[0],
    CUSTOMER_REF[1],
    f("csat", Ty::Int, &["满意度"]),
    f("nps", Ty::Int, &["推荐值", "推荐意愿"]),
    f("comment", Ty::Text, &["评论", "意见", "反馈"]),
    f("channel", Ty::Word(CHANNEL_WORDS), &["渠道"]),
    f(
        "answered_at",
        Ty::Time,
        &["时间", "日期", "回答时间", "date"],
    ),
];

fn fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Customers => CUSTOMERS,
        Kind::Orders => ORDERS,
        Kind::Interactions => INTERACTIONS,
        Kind::Surveys => SURVEYS,
    }
}

/// The field paths a file of `kind` may fill (custom fields aside).
pub fn targets(kind: Kind) -> Vec<&'static str> {
    fields(kind).iter().map(|f| f.path).collect()
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '（' | '）' | '(' | ')'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where one column goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: String,
    ty: Ty,
}

/// The columns of a CSV header, resolved.
#[derive(Debug, Clone)]
pub struct Columns {
    /// One per column; `None` is ignored.
    pub targets: Vec<Option<Target>>,
}

/// A custom field's cell type.
fn custom_ty(def: &Definition) -> Ty {
    match def.field_type {
        CustomFieldType::Number => Ty::Int,
        CustomFieldType::Decimal => Ty::Money,
        CustomFieldType::Date => Ty::Date,
        CustomFieldType::MultiEnum => Ty::List,
        _ => Ty::Text,
    }
}

/// Find the field a name (a column, or a mapping's target) means.
fn lookup(kind: Kind, name: &str, defs: &[Definition], aliases: bool) -> Option<Target> {
    let all = fields(kind);
    let folded = fold(name);
    let target = |f: &Field| Target {
        path: f.path.to_owned(),
        ty: f.ty,
    };
    if let Some(field) = all.iter().find(|f| fold(f.path) == folded) {
        return Some(target(field));
    }
    if aliases
        && let Some(field) = all
            .iter()
            .find(|f| f.aliases.iter().any(|a| fold(a) == folded))
    {
        return Some(target(field));
    }
    let by_tail: Vec<&Field> = all
        .iter()
        .filter(|f| {
            f.path
                .rsplit_once('.')
                .is_some_and(|(_, tail)| fold(tail) == folded)
        })
        .collect();
    if let [field] = by_tail.as_slice() {
        return Some(target(field));
    }
    if kind == Kind::Customers {
        let key = folded.strip_prefix("custom.").unwrap_or(&folded);
        if let Some(def) = defs.iter().find(|d| fold(&d.key) == key) {
            return Some(Target {
                path: format!("custom.{}", def.key),
                ty: custom_ty(def),
            });
        }
    }
    None
}

/// Resolve a CSV header.
///
/// # Errors
/// A sentence naming every column that matches no field, every mapping target that is not
/// a field, and every field two columns fill.
pub fn resolve(
    kind: Kind,
    header: &[String],
    mapping: &Map<String, Value>,
    defs: &[Definition],
) -> Result<Columns, String> {
    let mut problems = Vec::new();
    let mut targets = Vec::with_capacity(header.len());
    for name in header {
        let name = name.trim();
        let target = match mapping.get(name) {
            Some(Value::Null) => None,
            Some(Value::String(to)) if to.is_empty() => None,
            Some(Value::String(to)) => match lookup(kind, to, defs, false) {
                Some(t) => Some(t),
                None => {
                    problems.push(format!(
                        "mapping of column \"{name}\": \"{to}\" is not a field"
                    ));
                    None
                }
            },
            Some(_) => {
                problems.push(format!(
                    "mapping of column \"{name}\" must be a field name or null"
                ));
                None
            }
            None if name.is_empty() => {
                problems.push("a column has no name".to_owned());
                None
            }
            None => match lookup(kind, name, defs, true) {
                Some(t) => Some(t),
                None => {
                    problems.push(format!("unknown column \"{name}\""));
                    None
                }
            },
        };
        targets.push(target);
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (name, target) in header.iter().zip(&targets) {
        if let Some(t) = target
            && let Some(first) = seen.insert(t.path.as_str(), name.as_str())
        {
            problems.push(format!(
                "columns \"{first}\" and \"{}\" both fill {}",
                name.trim(),
                t.path
            ));
        }
    }
    if header.iter().all(|h| h.trim().is_empty()) {
        problems.push("the first line must name the columns".to_owned());
    }
    if problems.is_empty() {
        Ok(Columns { targets })
    } else {
        Err(format!(
            "{}. Map foreign columns with a mapping ({{\"column\": \"field\"}}, null to skip one); \
             {} fields are: {}",
            problems.join("; "),
            kind.as_str(),
            targets_list(kind)
        ))
    }
}

fn targets_list(kind: Kind) -> String {
    let mut list = targets(kind).join(", ");
    if kind == Kind::Customers {
        list.push_str(", custom.<key>");
    }
    list
}

/// Rename the keys of an NDJSON object as the mapping says (`null` drops a key).
pub fn rename(
    kind: Kind,
    object: Map<String, Value>,
    mapping: &Map<String, Value>,
    defs: &[Definition],
) -> Map<String, Value> {
    if mapping.is_empty() {
        return object;
    }
    object
        .into_iter()
        .filter_map(|(key, value)| match mapping.get(&key) {
            Some(Value::String(to)) if !to.is_empty() => {
                let path = lookup(kind, to, defs, false).map_or_else(|| to.clone(), |t| t.path);
                Some((path, value))
            }
            Some(_) => None,
            None => Some((key, value)),
        })
        .collect()
}

fn word(raw: &str, words: &[(&str, &str)]) -> String {
    let lower = raw.to_lowercase();
    words
        .iter()
        .find(|(w, _)| *w == lower)
        .map_or(lower, |(_, v)| (*v).to_owned())
}

fn date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"] {
        if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, fmt) {
            return Some(d.format("%Y-%m-%d").to_string());
        }
    }
    None
}

fn time(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if chrono::DateTime::parse_from_rfc3339(raw).is_ok() {
        return Some(raw.to_owned());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, fmt) {
            return Some(
                t.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        }
    }
    date(raw).map(|d| format!("{d}T00:00:00Z"))
}

/// A cell as the value the API takes; a cell that does not convert is passed on as text, so
/// the API's own check names the field and the rule.
fn convert(ty: Ty, raw: &str) -> Value {
    let text = || Value::String(raw.to_owned());
    match ty {
        Ty::Text => text(),
        Ty::Int => raw
            .parse::<i64>()
            .map_or_else(|_| text(), |n| Value::Number(Number::from(n))),
        Ty::List => Value::Array(
            raw.split([';', ',', '|', '、', '；', '，', '｜'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Ty::Object => serde_json::from_str::<Value>(raw)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(text),
        Ty::Date => date(raw).map_or_else(text, Value::String),
        Ty::Time => time(raw).map_or_else(text, Value::String),
        Ty::Money => Value::String(
            raw.chars()
                .filter(|c| !matches!(c, '¥' | '￥' | ',' | ' ' | '元'))
                .collect(),
        ),
        Ty::Word(words) => Value::String(word(raw, words)),
    }
}

/// Put `value` at a dotted path of `doc`.
fn put(doc: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            doc.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = doc
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                put(inner, rest, value);
            }
        }
    }
}

/// A CSV row as a document: every non-empty cell at its field's path, with the cells as
/// written kept for the rejects report. An order's line-item cells become one `items` entry.
pub fn document(columns: &Columns, row: &[String]) -> (Map<String, Value>, Vec<(String, String)>) {
    let mut doc = Map::new();
    let mut item = Map::new();
    let mut raw = Vec::new();
    for (target, cell) in columns.targets.iter().zip(row) {
        let Some(target) = target else { continue };
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        raw.push((target.path.clone(), cell.to_owned()));
        let value = convert(target.ty, cell);
        match target.path.strip_prefix("items.") {
            Some(field) => {
                item.insert(field.to_owned(), value);
            }
            None => put(&mut doc, &target.path, value),
        }
    }
    if !item.is_empty() {
        doc.insert("items".to_owned(), Value::Array(vec![Value::Object(item)]));
    }
    (doc, raw)
}

/// A value inside a document by a field path such as `address.city` or `items[1].quantity`.
pub fn value_at<'a>(doc: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut current = index(doc.get(strip_index(first))?, first)?;
    for part in parts {
        current = index(current.get(strip_index(part))?, part)?;
    }
    Some(current)
}

fn strip_index(part: &str) -> &str {
    part.split_once('[').map_or(part, |(name, _)| name)
}

fn index<'a>(value: &'a Value, part: &str) -> Option<&'a Value> {
    match part
        .split_once('[')
        .and_then(|(_, i)| i.trim_end_matches(']').parse::<usize>().ok())
    {
        Some(i) => value.get(i),
        None => Some(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn chinese_headers_fill_the_fields_with_converted_values() {
        let cols = resolve(
            Kind::Customers,
            &header(&[
                "客户编号",
                "姓名",
                "手机",
                "邮箱",
                "城市",
                "性别",
                "生日",
                "标签",
            ]),
            &Map::new(),
            &[],
        )
        .expect("resolved");
        let row = header(&[
            "C-1",
            "张伟",
            "13800138000",
            "z@x.cn",
            "上海",
            "男",
            "1988/4/2",
            "vip；批发",
        ]);
        let (doc, raw) = document(&cols, &row);
        assert_eq!(
            Value::Object(doc),
            serde_json::json!({"external_id": "C-1", "display_name": "张伟", "phone": "13800138000",
                "email": "z@x.cn", "address": {"city": "上海"},
                "individual": {"gender": "male", "birthday": "1988-04-02"}, "tags": ["vip", "批发"]})
        );
        assert_eq!(raw[1], ("display_name".to_owned(), "张伟".to_owned()));
    }

    #[test]
    fn unknown_columns_and_bad_mappings_are_all_named() {
        let err = resolve(
            Kind::Customers,
            &header(&["姓名", "Lieblingsfarbe", "Telefon"]),
            &serde_json::from_str(r#"{"Telefon": "fax"}"#).expect("json"),
            &[],
        )
        .expect_err("unknown");
        assert!(err.contains("unknown column \"Lieblingsfarbe\""), "{err}");
        assert!(err.contains("\"fax\" is not a field"), "{err}");
        let ok = resolve(
            Kind::Customers,
            &header(&["Kunde", "Egal"]),
            &serde_json::from_str(r#"{"Kunde": "display_name", "Egal": null}"#).expect("json"),
            &[],
        )
        .expect("mapped");
        assert!(ok.targets[1].is_none());
    }

    #[test]
    fn order_lines_and_times() {
        let cols = resolve(
            Kind::Orders,
            &header(&["订单号", "客户编号", "下单时间", "商品编码", "数量", "金额"]),
            &Map::new(),
            &[],
        )
        .expect("resolved");
        let (doc, _) = document(
            &cols,
            &header(&["SO-1", "C-1", "2026-05-01 10:30", "SKU-1", "2", "¥1,200.00"]),
        );
        assert_eq!(doc["ordered_at"], "2026-05-01T10:30:00Z");
        assert_eq!(doc["items"][0]["quantity"], 2);
        assert_eq!(doc["total"], "1200.00");
        assert_eq!(
            value_at(&doc, "items[0].sku"),
            Some(&Value::String("SKU-1".into()))
        );
    }
}
