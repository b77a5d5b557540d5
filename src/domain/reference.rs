//! Human-readable case references such as `UTO-2026-000123`.

/// Formats the reference of the `number`th case of `year` at the service of `state`.
pub fn format_reference(state: &str, year: i32, number: i64) -> String {
    format!("{state}-{year}-{number:06}")
}

/// The counter scope that numbers the references of one state and year.
pub fn counter_scope(state: &str, year: i32) -> String {
    format!("{state}-{year}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_zero_padded_and_grow_past_six_digits() {
        assert_eq!(format_reference("UTO", 2026, 123), "UTO-2026-000123");
        assert_eq!(format_reference("UTO", 2027, 1_234_567), "UTO-2027-1234567");
        assert_eq!(counter_scope("UTO", 2026), "UTO-2026");
    }
}
