//! The fictional county the sample data happens in: towns with populations, villages,
//! roads, housing estates, companies, and the people who write in.

use rand::Rng;
use rand::seq::IndexedRandom;

pub const COUNTY: &str = "青溪县";

/// (town, population)
pub const TOWNS: &[(&str, u32)] = &[
    ("城关镇", 92_400),
    ("金桥街道", 61_800),
    ("东城街道", 55_300),
    ("西湖街道", 48_900),
    ("青石镇", 38_200),
    ("桃源镇", 35_600),
    ("白沙镇", 31_100),
    ("龙潭镇", 29_700),
    ("河口镇", 27_400),
    ("新塘镇", 24_800),
    ("高桥镇", 21_500),
    ("石门乡", 16_900),
    ("清水乡", 14_200),
    ("云山乡", 11_600),
    ("马坪乡", 9_800),
];

const VILLAGE_STEMS: &[&str] = &[
    "杨家", "李家", "黄土", "新华", "红星", "长岭", "枫树", "双河", "大坪", "柳塘", "石桥", "荷花", "高峰", "团结",
    "水口", "陈家", "金盆", "凤凰", "白果", "松林", "三星", "马头", "桂花", "塘湾",
];
pub const ROADS: &[&str] =
    &["人民路", "建设路", "解放路", "滨江大道", "迎宾大道", "桃源路", "学府路", "工业大道", "文昌路", "青石路"];
pub const ESTATES: &[&str] = &[
    "锦绣华庭",
    "翡翠湾小区",
    "御景园",
    "阳光花园",
    "书香名苑",
    "江南丽都",
    "金色家园",
    "碧水苑",
    "龙湖一号",
    "万家丽小区",
    "盛世华城",
    "滨江国际",
    "紫荆花园",
    "东方名邸",
    "学府雅苑",
    "康桥水岸",
];
pub const DEVELOPERS: &[&str] = &[
    "恒达置业有限公司",
    "鑫源房地产开发有限公司",
    "华信置业集团",
    "盛世房地产开发有限公司",
    "青溪城投置业有限公司",
    "金鼎地产有限公司",
];
pub const CONTRACTORS: &[&str] = &[
    "宏建建筑工程有限公司",
    "鼎盛建设集团",
    "永兴建筑劳务有限公司",
    "华通路桥工程有限公司",
    "广厦建工有限公司",
    "顺发装饰工程有限公司",
];
pub const PROJECTS: &[&str] = &[
    "县人民医院新院区项目",
    "滨江安置房项目",
    "工业园标准厂房项目",
    "城南污水处理厂项目",
    "第二中学新校区项目",
    "高铁站前广场项目",
];
pub const PLATFORMS: &[&str] = &["聚财宝", "鑫利贷", "汇金理财", "惠民互助社", "金满仓", "融通天下"];
pub const PLANTS: &[&str] =
    &["青溪化工有限公司", "金龙造纸厂", "宏发砂石场", "顺达生猪养殖场", "华丰水泥有限公司", "兴旺皮革厂"];
pub const SCHOOLS: &[&str] = &["县第一中学", "城关小学", "实验小学", "青石中学", "金桥幼儿园", "县第二中学"];
pub const HOSPITALS: &[&str] = &["县人民医院", "县中医院", "青石镇卫生院", "县妇幼保健院"];
pub const PROPERTY_FIRMS: &[&str] = &["安居物业", "金管家物业", "绿城服务", "鑫诚物业"];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "罗", "高",
    "林", "谭", "邓", "彭", "曾", "肖", "田", "袁", "蒋", "唐", "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "桂兰", "建国",
    "建华", "志强", "海燕", "春花", "国庆", "红梅", "德明", "玉兰", "小平", "文斌", "水生", "满秀",
];

/// Villages of a town: six stems picked by the town's position, so names are stable.
pub fn villages(town_idx: usize) -> Vec<String> {
    (0..6).map(|i| format!("{}村", VILLAGE_STEMS[(town_idx * 5 + i * 7) % VILLAGE_STEMS.len()])).collect()
}

/// A person who writes in: the raw fields an export carries.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    /// Drawn for every person, read by no stage: kept so the generator's random stream,
    /// and with it every sample, stays the same.
    #[allow(dead_code)]
    pub town: usize,
    #[allow(dead_code)]
    pub village: usize,
}

/// Made-up but well-formed: ID numbers pass the GB 11643 check digit, phones are 11 digits.
pub fn person<R: Rng>(rng: &mut R) -> Person {
    let name = format!("{}{}", SURNAMES.choose(rng).unwrap(), GIVEN.choose(rng).unwrap());
    let year = rng.random_range(1945..2004);
    let body = format!(
        "431122{year}{:02}{:02}{:03}",
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        rng.random_range(0..1000)
    );
    let id_number = format!("{body}{}", id_check_digit(&body));
    let prefix = ["138", "139", "135", "136", "150", "151", "152", "158", "159", "177", "180", "186", "187", "199"];
    let phone = format!("{}{:08}", prefix.choose(rng).unwrap(), rng.random_range(0..100_000_000u32));
    Person { name, id_number, phone, town: rng.random_range(0..TOWNS.len()), village: rng.random_range(0..6) }
}

/// ISO 7064 MOD 11-2 check digit of the first 17 digits of a resident ID.
pub fn id_check_digit(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// Gazetteer and populations as CSV texts (kind,name,town,county / town,population).
pub fn gazetteer_csv() -> (String, String) {
    let mut g = String::from("kind,name,town,county\n");
    g.push_str(&format!("county,{COUNTY},,{COUNTY}\n"));
    let mut p = String::from("town,county,population\n");
    for (i, (town, pop)) in TOWNS.iter().enumerate() {
        g.push_str(&format!("town,{town},{town},{COUNTY}\n"));
        for v in villages(i) {
            g.push_str(&format!("village,{v},{town},{COUNTY}\n"));
        }
        p.push_str(&format!("{town},{COUNTY},{pop}\n"));
    }
    let lists: [(&str, &[&str]); 9] = [
        ("road", ROADS),
        ("estate", ESTATES),
        ("company", DEVELOPERS),
        ("company", CONTRACTORS),
        ("project", PROJECTS),
        ("platform", PLATFORMS),
        ("company", PLANTS),
        ("school", SCHOOLS),
        ("hospital", HOSPITALS),
    ];
    for (kind, names) in lists {
        for (i, n) in names.iter().enumerate() {
            g.push_str(&format!("{kind},{n},{},{COUNTY}\n", TOWNS[i % 4].0));
        }
    }
    (g, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_the_standard() {
        // the standard's published example 11010519491231002X
        assert_eq!(id_check_digit("11010519491231002"), 'X');
    }
}
