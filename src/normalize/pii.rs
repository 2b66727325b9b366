//! Personal data: the keyed `person_key` and masking of identifiers inside free text.
//!
//! Raw names, ID numbers and phones are moved to the `persons` table; analytics tables
//! carry only `person_key`, a keyed BLAKE3 hash. The key lives outside the warehouse:
//! `MINQING_KEY` (any string) or the key file (`MINQING_KEY_FILE`, default
//! `~/.config/minqing/person.key`, created with random bytes on first use). Without the
//! key the hash cannot be recomputed from a guessed ID number or phone.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::{Error, Result};

/// The secret that keys `person_key`.
#[derive(Clone)]
pub struct PersonKey([u8; 32]);

impl std::fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonKey(…)")
    }
}

/// Where the key came from, for the run log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(PathBuf),
    Created(PathBuf),
}

impl PersonKey {
    /// Derive a key from any secret text.
    pub fn from_secret(secret: &[u8]) -> Self {
        PersonKey(blake3::derive_key("minqing 2026 person_key v1", secret))
    }

    /// `MINQING_KEY`, else the key file, created when absent.
    pub fn load() -> Result<(Self, KeySource)> {
        if let Ok(s) = std::env::var("MINQING_KEY") {
            if !s.is_empty() {
                return Ok((Self::from_secret(s.as_bytes()), KeySource::Env));
            }
        }
        let path = std::env::var_os("MINQING_KEY_FILE").map(PathBuf::from).unwrap_or_else(default_key_file);
        Self::load_or_create(&path)
    }

    pub fn load_or_create(path: &Path) -> Result<(Self, KeySource)> {
        match std::fs::read(path) {
            Ok(bytes) if !bytes.is_empty() => Ok((Self::from_secret(&bytes), KeySource::File(path.to_path_buf()))),
            Ok(_) => Err(Error::input(path, "the person key file is empty; delete it to have a new one made")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; 32];
                rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut secret)
                    .map_err(|e| Error::input(path, format!("no randomness for a new key: {e}")))?;
                let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                crate::warehouse::atomic_write(path, hex.as_bytes())?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
                }
                Ok((Self::from_secret(hex.as_bytes()), KeySource::Created(path.to_path_buf())))
            }
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The person key for one record: ID number, else phone, else account or name with region.
    pub fn person_key(
        &self,
        id_number: Option<&str>,
        phone: Option<&str>,
        name: Option<&str>,
        region: Option<&str>,
    ) -> Option<String> {
        self.person_key_bits(id_number, phone, name, region).map(|b| format!("{b:024x}"))
    }

    /// The person key as the 96-bit number its 24 hex digits spell (numbers order as the
    /// keys do): for linking, which compares millions of keys and need not spell them.
    pub fn person_key_bits(
        &self,
        id_number: Option<&str>,
        phone: Option<&str>,
        name: Option<&str>,
        region: Option<&str>,
    ) -> Option<u128> {
        let ident = if let Some(id) = id_number.map(normalize_id).filter(|s| !s.is_empty()) {
            format!("id:{id}")
        } else if let Some(p) = phone.map(digits_only).filter(|s| s.len() >= 7) {
            format!("phone:{}", p.trim_start_matches("86").trim_start_matches('0'))
        } else if let Some(n) = name.map(str::trim).filter(|s| !s.is_empty() && !is_anonymous(s)) {
            format!("name:{n}|{}", region.unwrap_or(""))
        } else {
            return None;
        };
        let h = blake3::keyed_hash(&self.0, ident.as_bytes());
        let mut b = [0u8; 16];
        b[4..].copy_from_slice(&h.as_bytes()[..12]);
        Some(u128::from_be_bytes(b))
    }
}

fn default_key_file() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("minqing").join("person.key")
}

pub(crate) fn normalize_id(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

pub(crate) fn digits_only(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn is_anonymous(name: &str) -> bool {
    matches!(name, "匿名" | "无" | "-" | "—" | "未知" | "网友" | "市民")
}

/// Runs of digits (with an optional trailing X) and phones written with separators.
static NUMBER_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"1[3-9]\d[- ]\d{4}[- ]\d{4}|0\d{2,3}-\d{7,8}|\d{6,}[Xx]?").expect("static regex"));

/// Vehicle plates: province, issuing letter, five or six letters and digits (new-energy
/// plates have six).
static PLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·• ]?[A-HJ-NP-Z0-9]{5,6}")
        .expect("static regex")
});

/// Mask identifiers inside free text: mobile phones (`138****5678`), landlines
/// (`0731-****8888`), resident ID numbers (`430102********123X`), bank cards
/// (`6222 **** 1234`) and vehicle plates (`湘A***45`). Other numbers (amounts, years,
/// case numbers) are kept.
pub fn mask_identifiers(text: &str) -> std::borrow::Cow<'_, str> {
    let numbers = mask_numbers(text);
    if !PLATE.is_match(&numbers) {
        return numbers;
    }
    std::borrow::Cow::Owned(mask_plates(&numbers))
}

fn mask_plates(text: &str) -> String {
    PLATE
        .replace_all(text, |c: &regex::Captures| {
            let m = c.get(0).expect("whole match");
            if text[m.end()..].chars().next().is_some_and(|a| a.is_ascii_alphanumeric()) {
                return m.as_str().to_string();
            }
            let chars: Vec<char> = m.as_str().chars().filter(|c| c.is_ascii_alphanumeric() || !c.is_ascii()).collect();
            let chars: Vec<char> = chars.into_iter().filter(|c| !matches!(c, '·' | '•')).collect();
            let n = chars.len();
            let mut out: String = chars[..2].iter().collect();
            out.push_str(&"*".repeat(n - 4));
            out.extend(&chars[n - 2..]);
            out
        })
        .into_owned()
}

/// Replace a petitioner's own name where the text repeats it: `张三` → `张某`.
pub fn mask_name<'t>(text: &'t str, name: Option<&str>) -> std::borrow::Cow<'t, str> {
    let Some(name) = name.map(str::trim) else { return text.into() };
    let n = name.chars().count();
    if !(2..=4).contains(&n) || !name.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) || is_anonymous(name) {
        return text.into();
    }
    if !text.contains(name) {
        return text.into();
    }
    let surname: String = name.chars().take(if n == 4 { 2 } else { 1 }).collect();
    text.replace(name, &format!("{surname}某")).into()
}

fn mask_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    NUMBER_RUN.replace_all(text, |c: &regex::Captures| {
        let m = c.get(0).expect("whole match");
        // a run glued to more digits or Latin letters is a code, not an identifier
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before.is_some_and(|b| b.is_ascii_alphanumeric()) || after.is_some_and(|a| a.is_ascii_alphanumeric()) {
            return m.as_str().to_string();
        }
        // the fraction of a decimal number (`1.35483870967742`, chart coordinates)
        if text[..m.start()].ends_with('.')
            && text[..m.start() - 1].chars().next_back().is_some_and(|c| c.is_ascii_digit())
        {
            return m.as_str().to_string();
        }
        mask_one(m.as_str())
    })
}

fn mask_one(s: &str) -> String {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x').collect();
    let n = digits.len();
    if s.contains('-') && s.starts_with('0') {
        let (area, num) = s.split_once('-').unwrap_or((s, ""));
        let keep = num.len().saturating_sub(4);
        return format!("{area}-{}{}", "*".repeat(keep), &num[keep..]);
    }
    if n == 11 && digits.starts_with('1') && !digits.contains(['X', 'x']) {
        return format!("{}****{}", &digits[..3], &digits[7..]);
    }
    if n == 18 && looks_like_resident_id(&digits) {
        return format!("{}********{}", &digits[..6], &digits[14..]);
    }
    if (15..=19).contains(&n) && !digits.contains(['X', 'x']) && luhn(&digits) {
        return format!("{} **** {}", &digits[..4], &digits[n - 4..]);
    }
    if n == 15 && digits.chars().all(|c| c.is_ascii_digit()) {
        // old 15-digit resident ID
        return format!("{}*****{}", &digits[..6], &digits[11..]);
    }
    s.to_string()
}

/// Date part plausible (birth year 1900–2029, month, day).
fn looks_like_resident_id(d: &str) -> bool {
    let num = |r: std::ops::Range<usize>| d.get(r).and_then(|x| x.parse::<u32>().ok()).unwrap_or(0);
    let (y, m, day) = (num(6..10), num(10..12), num(12..14));
    (1900..2030).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day)
}

fn luhn(d: &str) -> bool {
    let mut sum = 0;
    for (i, c) in d.chars().rev().enumerate() {
        let mut v = c.to_digit(10).unwrap_or(0);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// True when the text still holds an unmasked phone or ID number (used by tests and the
/// output scanner).
pub fn has_raw_identifier(text: &str) -> bool {
    mask_identifiers(text) != text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored warehouses hold keys spelt as the first 24 hex digits of the keyed hash: the
    /// spelling must not change, and the number must order as the spelling does.
    #[test]
    fn a_person_key_is_spelt_as_stored_warehouses_hold_it() {
        let key = PersonKey::from_secret(b"test");
        let stored = |ident: &str| blake3::keyed_hash(&key.0, ident.as_bytes()).to_hex()[..24].to_string();
        let a = key.person_key(None, Some("138-1234-5678"), None, None).unwrap();
        assert_eq!(a, stored("phone:13812345678"));
        let b = key.person_key(Some("430102198001011234"), None, None, None).unwrap();
        assert_eq!(b, stored("id:430102198001011234"));
        let bits = |s: &str| u128::from_str_radix(s, 16).unwrap();
        assert_eq!(a.cmp(&b), bits(&a).cmp(&bits(&b)));
        assert_eq!(key.person_key_bits(None, Some("138-1234-5678"), None, None), Some(bits(&a)));
    }

    #[test]
    fn masks_identifiers_in_text() {
        let t = "我叫张三，电话13812345678，身份证430102198001011234，另一个号码 139-1234-5678，座机0731-88889999。";
        let m = mask_identifiers(t);
        assert_eq!(
            m,
            "我叫张三，电话138****5678，身份证430102********1234，另一个号码 139****5678，座机0731-****9999。"
        );
        assert!(has_raw_identifier(t));
        assert!(!has_raw_identifier(&m));
    }

    #[test]
    fn keeps_amounts_years_and_codes() {
        for t in [
            "拖欠工资1250000元",
            "2019年至今",
            "工单号GD2019022800123",
            "编号A00074011",
            "共计305000元",
            "<path d=\"M 1.35483870967742 0.580645161290324\"/>",
        ] {
            assert_eq!(mask_identifiers(t), t, "{t}");
        }
    }

    #[test]
    fn masks_plates_and_the_petitioners_own_name() {
        assert_eq!(mask_identifiers("肇事车辆湘A12345逃逸，另一辆粤B·D12345"), "肇事车辆湘A***45逃逸，另一辆粤B****45");
        assert_eq!(mask_identifiers("青石镇A区3号楼"), "青石镇A区3号楼");
        assert!(has_raw_identifier("车牌湘A12345") && !has_raw_identifier("车牌湘A***45"));
        assert_eq!(mask_name("我是张三，张三的工资被拖欠", Some("张三")), "我是张某，张某的工资被拖欠");
        assert_eq!(mask_name("欧阳娜娜反映", Some("欧阳娜娜")), "欧阳某反映");
        assert_eq!(mask_name("网友反映", Some("网友")), "网友反映");
        assert_eq!(mask_name("Tom says", Some("Tom")), "Tom says");
    }

    #[test]
    fn masks_bank_cards() {
        // 6222021234567890128 passes the Luhn check
        assert!(luhn("6222021234567890128"));
        assert_eq!(mask_identifiers("卡号6222021234567890128"), "卡号6222 **** 0128");
    }

    #[test]
    fn person_key_prefers_id_then_phone_then_name() {
        let k = PersonKey::from_secret(b"test");
        let by_id = k.person_key(Some("430102198001011234"), Some("13812345678"), Some("张三"), None);
        assert_eq!(by_id, k.person_key(Some("430102 19800101 1234"), None, None, None));
        let by_phone = k.person_key(None, Some("138-1234-5678"), Some("张三"), None);
        assert_eq!(by_phone, k.person_key(None, Some("+86 13812345678"), None, None));
        assert_ne!(by_id, by_phone);
        assert_eq!(k.person_key(None, None, Some("匿名"), None), None);
        let other_key = PersonKey::from_secret(b"other");
        assert_ne!(by_id, other_key.person_key(Some("430102198001011234"), None, None, None));
        assert_eq!(by_id.unwrap().len(), 24);
    }
}
