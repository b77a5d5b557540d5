//! Seeds a database with issued visas and an API client, for the verification load test
//! (`scripts/load_verify.sh`). Prints the API key on the first line, then writes one JSON request
//! body per visa to the file given.
//!
//! ```sh
//! DATABASE_URL=... cargo run --release --example seed_visas -- 10000 bodies.txt
//! ```

use diesel::RunQueryDsl;
use evisa::db::{self, Db, issued_documents};
use evisa::domain::issued::{DocumentStatus, Holder, IssuedDocument, Passport, VisaTerms};
use evisa::domain::service::OutputKind;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let out = args.get(1).cloned().unwrap_or_else(|| "bodies.txt".into());
    let config = evisa::config::Config::from_env()?;
    let state = evisa::startup::bootstrap(config)?;
    let db: &Db = &state.db;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let kid = evisa::db::keys::active(&mut conn)?.map(|k| k.kid).unwrap_or_default();
    let applicant = {
        use evisa::app::accounts::{self, AccountInput};
        let account = accounts::validate(AccountInput {
            email: format!("seed-{}@example.org", uuid::Uuid::new_v4().simple()),
            password: "Seed-account-password-2027".into(),
            full_name: "Seed".into(),
            role: evisa::domain::role::Role::Applicant,
            post: None,
            preferred_language: None,
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        accounts::insert(&mut conn, &account, "unusable").map_err(|e| anyhow::anyhow!("{e}"))?.id
    };
    let today = chrono::Utc::now().date_naive();
    let mut bodies = String::new();
    db.write_transaction(&mut conn, |conn| {
        for i in 0..count {
            let case_id = uuid::Uuid::new_v4().to_string();
            let now = db::now();
            diesel::insert_into(db::schema::cases::table)
                .values(&evisa::db::cases::NewCase {
                    id: &case_id,
                    reference: &format!("SEED-{i:07}-{}", &case_id[..4]),
                    applicant_id: &applicant,
                    service: "visa",
                    service_code: "TOURIST",
                    post_code: "UTO-HQ",
                    status: "issued",
                    form: "{}",
                    surname: None,
                    given_names: None,
                    nationality: None,
                    created_at: now,
                    updated_at: now,
                    form_version: 1,
                })
                .execute(conn)?;
            let number = evisa::issuance::e_visa::new_visa_number();
            let passport = format!("P{i:08}");
            let visa = IssuedDocument {
                number: number.clone(),
                kind: OutputKind::EVisa,
                case_id,
                service_code: "TOURIST".into(),
                holder: Holder {
                    surname: "Seed".into(),
                    given_names: format!("Holder {i}"),
                    sex: Some("X".into()),
                    date_of_birth: "1990-01-01".parse().unwrap_or(today),
                    place_of_birth: Some("Nowhere".into()),
                    nationality: "GBR".into(),
                    passport: Some(Passport { number: passport.clone(), expiry: today + chrono::Duration::days(3650) }),
                },
                terms: Some(VisaTerms {
                    type_letter: 'C',
                    entries: "single".into(),
                    valid_from: today,
                    valid_until: today + chrono::Duration::days(90),
                    duration_of_stay_days: 30,
                }),
                issuing_state: "UTO".into(),
                issuing_post: "UTO-HQ".into(),
                issue_date: today,
                kid: kid.clone(),
                status: DocumentStatus::Valid,
                pdf: None,
                revocation: None,
                created_at: now,
            };
            issued_documents::insert(conn, &visa)?;
            bodies.push_str(&format!("{{\"visa_number\":\"{number}\",\"passport_number\":\"{passport}\"}}\n"));
        }
        Ok::<_, anyhow::Error>(())
    })?;
    std::fs::write(&out, bodies)?;
    let (_, key) = db
        .write_transaction(&mut conn, |conn| {
            evisa::app::clients::create(conn, "Load test", "evisa", &["verify".to_owned()], (None, "system"), None)
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{key}");
    Ok(())
}
