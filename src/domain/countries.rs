//! Country names in English, Russian and Kazakh from CLDR (`assets/countries.json`, written by
//! `scripts/countries.py`), by ICAO code, each language's list in its alphabet's order. Forms
//! show the names and store the code.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Data {
    names: HashMap<String, HashMap<String, String>>,
    order: HashMap<String, Vec<String>>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../../assets/countries.json"))
            .unwrap_or_else(|_| Data { names: HashMap::new(), order: HashMap::new() })
    })
}

/// The name of the country with ICAO code `code` in `lang` (English for a language without
/// names), if the code names a country.
pub fn name(code: &str, lang: &str) -> Option<&'static str> {
    let names = data().names.get(code)?;
    names.get(lang).or_else(|| names.get("en")).map(String::as_str)
}

/// Every country as `(code, name)` in `lang`, in that language's alphabetical order.
pub fn list(lang: &str) -> Vec<(&'static str, &'static str)> {
    let data = data();
    let order = data.order.get(lang).or_else(|| data.order.get("en"));
    order.into_iter().flatten().filter_map(|code| name(code, lang).map(|name| (code.as_str(), name))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::country::CountryCode;

    #[test]
    fn names_come_in_each_language_by_icao_code() {
        assert_eq!(name("KAZ", "kk"), Some("Қазақстан"));
        assert_eq!(name("KAZ", "ru"), Some("Казахстан"));
        assert_eq!(name("DEU", "en"), Some("Germany"), "stored as DEU; the MRZ prints D");
        assert_eq!(name("RKS", "ru"), Some("Косово"));
        assert_eq!(name("XXA", "kk"), Some("Азаматтығы жоқ адам"));
        assert_eq!(name("GBR", "de"), Some("United Kingdom"));
    }

    #[test]
    fn each_list_is_complete_and_in_its_alphabets_order() {
        for lang in ["en", "ru", "kk"] {
            let list = list(lang);
            assert!(list.len() > 240, "{lang}: {}", list.len());
            let refused: Vec<&str> =
                list.iter().map(|(code, _)| *code).filter(|code| code.parse::<CountryCode>().is_err()).collect();
            assert!(refused.is_empty(), "{lang}: codes forms would refuse: {refused:?}");
        }
        let kk: Vec<&str> = list("kk").iter().map(|(_, n)| *n).collect();
        let position = |n: &str| kk.iter().position(|x| *x == n).unwrap();
        // Қ follows К and precedes Л in the Kazakh alphabet, whatever their code points.
        assert!(position("Кения") < position("Қазақстан") && position("Қазақстан") < position("Латвия"));
        let ru: Vec<&str> = list("ru").iter().map(|(_, n)| *n).collect();
        assert!(ru.iter().position(|x| *x == "Австралия") < ru.iter().position(|x| *x == "Япония"));
    }
}
