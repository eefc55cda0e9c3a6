//! Standard spellings of names and of Chinese provinces and cities, applied on every write so
//! that 上海, 上海市 and Shanghai are one place and `ＡＢＣ  公司` and `ABC 公司` one name.
//!
//! Provinces: the 34 provincial-level divisions by their full name (上海市, 广东省, 内蒙古自治区,
//! 香港特别行政区…), from the short form (上海, 广东, 内蒙古) or the English/pinyin name
//! (Shanghai, Guangdong, Inner Mongolia), case and spaces ignored. Cities: the four
//! municipalities and the major prefecture-level cities listed below, likewise; any other city
//! is kept as written (trimmed). Names: Unicode NFKC (full-width letters and digits become
//! ASCII), trimmed, runs of white space collapsed to one space.

use unicode_normalization::UnicodeNormalization;

/// (full name, short form, English) of each provincial-level division.
const PROVINCES: &[(&str, &str, &str)] = &[
    ("北京市", "北京", "beijing"),
    ("天津市", "天津", "tianjin"),
    ("上海市", "上海", "shanghai"),
    ("重庆市", "重庆", "chongqing"),
    ("河北省", "河北", "hebei"),
    ("山西省", "山西", "shanxi"),
    ("辽宁省", "辽宁", "liaoning"),
    ("吉林省", "吉林", "jilin"),
    ("黑龙江省", "黑龙江", "heilongjiang"),
    ("江苏省", "江苏", "jiangsu"),
    ("浙江省", "浙江", "zhejiang"),
    ("安徽省", "安徽", "anhui"),
    ("福建省", "福建", "fujian"),
    ("江西省", "江西", "jiangxi"),
    ("山东省", "山东", "shandong"),
    ("河南省", "河南", "henan"),
    ("湖北省", "湖北", "hubei"),
    ("湖南省", "湖南", "hunan"),
    ("广东省", "广东", "guangdong"),
    ("海南省", "海南", "hainan"),
    ("四川省", "四川", "sichuan"),
    ("贵州省", "贵州", "guizhou"),
    ("云南省", "云南", "yunnan"),
    ("陕西省", "陕西", "shaanxi"),
    ("甘肃省", "甘肃", "gansu"),
    ("青海省", "青海", "qinghai"),
    ("台湾省", "台湾", "taiwan"),
    ("内蒙古自治区", "内蒙古", "inner mongolia"),
    ("广西壮族自治区", "广西", "guangxi"),
    ("西藏自治区", "西藏", "tibet"),
    ("宁夏回族自治区", "宁夏", "ningxia"),
    ("新疆维吾尔自治区", "新疆", "xinjiang"),
    ("香港特别行政区", "香港", "hong kong"),
    ("澳门特别行政区", "澳门", "macau"),
];

/// (full name, English) of the municipalities and major prefecture-level cities.
const CITIES: &[(&str, &str)] = &[
    ("北京市", "beijing"),
    ("天津市", "tianjin"),
    ("上海市", "shanghai"),
    ("重庆市", "chongqing"),
    ("广州市", "guangzhou"),
    ("深圳市", "shenzhen"),
    ("杭州市", "hangzhou"),
    ("南京市", "nanjing"),
    ("苏州市", "suzhou"),
    ("无锡市", "wuxi"),
    ("宁波市", "ningbo"),
    ("成都市", "chengdu"),
    ("武汉市", "wuhan"),
    ("西安市", "xi'an"),
    ("厦门市", "xiamen"),
    ("福州市", "fuzhou"),
    ("青岛市", "qingdao"),
    ("济南市", "jinan"),
    ("大连市", "dalian"),
    ("沈阳市", "shenyang"),
    ("长沙市", "changsha"),
    ("郑州市", "zhengzhou"),
    ("合肥市", "hefei"),
    ("昆明市", "kunming"),
    ("哈尔滨市", "harbin"),
    ("长春市", "changchun"),
    ("东莞市", "dongguan"),
    ("佛山市", "foshan"),
    ("珠海市", "zhuhai"),
    ("南宁市", "nanning"),
    ("贵阳市", "guiyang"),
    ("兰州市", "lanzhou"),
    ("太原市", "taiyuan"),
    ("石家庄市", "shijiazhuang"),
    ("南昌市", "nanchang"),
    ("乌鲁木齐市", "urumqi"),
    ("呼和浩特市", "hohhot"),
    ("拉萨市", "lhasa"),
    ("银川市", "yinchuan"),
    ("西宁市", "xining"),
    ("海口市", "haikou"),
    ("三亚市", "sanya"),
];

/// NFKC, trimmed, white space collapsed.
pub fn normalize_name(raw: &str) -> String {
    let folded: String = raw.nfkc().collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The key a place name is looked up by: NFKC, lower case, spaces and dashes dropped.
fn key(raw: &str) -> String {
    normalize_name(raw)
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// The standard name of a province, or the name as written (normalised) when unknown.
pub fn normalize_province(raw: &str) -> String {
    let k = key(raw);
    PROVINCES
        .iter()
        .find(|(full, short, english)| k == *full || k == *short || k == english.replace(' ', ""))
        .map_or_else(|| normalize_name(raw), |(full, _, _)| (*full).to_owned())
}

/// The standard name of a city, or the name as written (normalised) when unknown.
pub fn normalize_city(raw: &str) -> String {
    let k = key(raw);
    CITIES
        .iter()
        .find(|(full, english)| {
            k == *full
                || full.strip_suffix('市') == Some(k.as_str())
                || k == english.replace('\'', "")
                || k == *english
        })
        .map_or_else(|| normalize_name(raw), |(full, _)| (*full).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_place_has_one_spelling() {
        for raw in [
            "上海",
            "上海市",
            "Shanghai",
            " SHANGHAI ",
            "ｓｈａｎｇｈａｉ",
        ] {
            assert_eq!(normalize_city(raw), "上海市", "{raw}");
            assert_eq!(normalize_province(raw), "上海市", "{raw}");
        }
        assert_eq!(normalize_province("广东"), "广东省");
        assert_eq!(normalize_province("Inner Mongolia"), "内蒙古自治区");
        assert_eq!(normalize_province("内蒙古"), "内蒙古自治区");
        assert_eq!(normalize_city("Xi'an"), "西安市");
        assert_eq!(normalize_city("xian"), "西安市");
        assert_eq!(normalize_city("深圳"), "深圳市");
        // Unknown places are kept as written, tidied.
        assert_eq!(normalize_city("  San   Francisco "), "San Francisco");
        assert_eq!(normalize_city("昆山市"), "昆山市");
        assert_eq!(normalize_province("Bavaria"), "Bavaria");
    }

    #[test]
    fn names_are_folded_and_tidied() {
        assert_eq!(
            normalize_name("  ＡＢＣ　　贸易  有限公司 "),
            "ABC 贸易 有限公司"
        );
        assert_eq!(normalize_name("张伟"), "张伟");
        assert_eq!(normalize_name("Zhang\tWei"), "Zhang Wei");
    }
}
