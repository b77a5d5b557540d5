//! Every page template parses.

use super::*;

#[test]
fn every_page_template_parses() {
    let env = environment();
    for (name, _) in TEMPLATES {
        assert!(env.get_template(name).is_ok(), "{name}");
    }
}
