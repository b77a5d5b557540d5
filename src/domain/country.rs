//! ICAO three-letter codes of states and organisations (Doc 9303 Part 3).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Codes that ICAO Doc 9303 uses besides ISO 3166-1 alpha-3: Germany's one-letter code,
/// British nationality categories, UN and EU documents, stateless persons and refugees,
/// and the specimen state Utopia.
const ICAO_SPECIAL_CODES: &[&str] = &[
    "D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XBA", "XIM", "XCC", "XCE", "XCO", "XEC", "XPO",
    "XES", "XMP", "XOM", "XDC", "XXA", "XXB", "XXC", "XXX", "EUE", "RKS", "UTO",
];

/// The code ICAO Doc 9303 Part 3 prints in machine readable zones for a state or organisation:
/// its ISO 3166-1 alpha-3 code, except Germany, whose code is `D` (padded to `D<<` in the MRZ).
pub fn mrz_code(code: &str) -> &str {
    match code {
        "DEU" => "D",
        other => other,
    }
}

/// A state or organisation code as used in travel documents (`GBR`, `KAZ`, `D`, `UNO`, ...).
/// Forms describe it as three letters or fillers, which the portal offers as a list of countries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^[A-Z<]{3}$"))]
pub struct CountryCode(String);

impl CountryCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text is not an ICAO state or organisation code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an ICAO three-letter state code (for example GBR, KAZ, UTO)")]
pub struct InvalidCountryCode;

impl FromStr for CountryCode {
    type Err = InvalidCountryCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Codes are upper case by definition; accepting lower case would hide typos in stored data.
        let known = ICAO_SPECIAL_CODES.contains(&s)
            || (s.len() == 3
                && s.bytes().all(|b| b.is_ascii_uppercase())
                && isocountry::CountryCode::for_alpha3(s).is_ok());
        if known { Ok(CountryCode(s.to_owned())) } else { Err(InvalidCountryCode) }
    }
}

impl TryFrom<String> for CountryCode {
    type Error = InvalidCountryCode;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_icao_codes_are_accepted() {
        for code in ["GBR", "KAZ", "FRA", "D", "UTO", "XXA", "UNO"] {
            assert_eq!(code.parse::<CountryCode>().unwrap().as_str(), code);
        }
    }

    #[test]
    fn unknown_or_lower_case_codes_are_refused() {
        for code in ["gbr", "GB", "ZZZ", "", "GBRR", "DE"] {
            assert!(code.parse::<CountryCode>().is_err(), "{code:?} must be refused");
        }
    }
}
