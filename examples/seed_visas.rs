//! Seeds a database with issued visas (one in twenty revoked) and an API client, for the
//! verification load test (`scripts/load_verify.sh`). Prints the API key, and writes request
//! bodies for each mix into the directory given, one per line:
//!
//! - `known.txt`: every valid visa with its passport;
//! - `border.txt`: what a border sees, 100,000 checks: 60% numbers never issued (each different),
//!   25% valid visas with their passport, 10% valid visas with a wrong passport, 5% revoked visas;
//! - `token.txt`: the QR token of every visa.
//!
//! ```sh
//! DATABASE_URL=... cargo run --release --example seed_visas -- 10000 bodies/
//! ```

use diesel::RunQueryDsl;
use evisa::db::{self, Db, issued_documents};
use evisa::domain::issued::{DocumentStatus, Holder, IssuedDocument, Passport, VisaTerms};
use evisa::domain::service::OutputKind;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let out = std::path::PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "bodies".into()));
    std::fs::create_dir_all(&out)?;
    let config = evisa::config::Config::from_env()?;
    let state = evisa::startup::bootstrap(config)?;
    let db: &Db = &state.db;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let signer = state.keys.active(&mut conn)?;
    let kid = signer.kid.clone();
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
    let (mut known, mut revoked, mut tokens, mut passports) = (Vec::new(), Vec::new(), String::new(), Vec::new());
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
                status: if i % 20 == 0 { DocumentStatus::Revoked } else { DocumentStatus::Valid },
                pdf: None,
                revocation: (i % 20 == 0)
                    .then(|| evisa::domain::issued::Revocation { at: now, grounds: Some("[\"SEEDED\"]".into()) }),
                created_at: now,
            };
            issued_documents::insert(conn, &visa)?;
            let claims = evisa::issuance::e_visa::claims::claims(&visa)?;
            let token = evisa::issuance::kit::token::sign(&claims, &signer)?;
            tokens.push_str(&format!("{{\"token\":\"{token}\"}}\n"));
            let body = format!("{{\"visa_number\":\"{number}\",\"passport_number\":\"{passport}\"}}");
            if i % 20 == 0 {
                revoked.push(body)
            } else {
                known.push((number, body))
            }
            passports.push(passport);
        }
        Ok::<_, anyhow::Error>(())
    })?;
    std::fs::write(out.join("known.txt"), known.iter().map(|(_, body)| format!("{body}\n")).collect::<String>())?;
    std::fs::write(out.join("token.txt"), tokens)?;
    let mut border = String::new();
    for i in 0..100_000usize {
        let pick = |list_len: usize| (i * 7919 + i / 100 * 104_729) % list_len.max(1);
        let line = match i % 100 {
            // Never issued: a fresh random number each time.
            0..=59 => format!(
                "{{\"visa_number\":\"{}\",\"passport_number\":\"{}\"}}",
                evisa::issuance::e_visa::new_visa_number(),
                passports[pick(passports.len())]
            ),
            60..=84 => known[pick(known.len())].1.clone(),
            85..=94 => {
                let (number, _) = &known[pick(known.len())];
                format!("{{\"visa_number\":\"{number}\",\"passport_number\":\"WRONG{i:04}\"}}")
            }
            _ => revoked[pick(revoked.len())].clone(),
        };
        border.push_str(&line);
        border.push('\n');
    }
    std::fs::write(out.join("border.txt"), border)?;
    let (_, key) = db
        .write_transaction(&mut conn, |conn| {
            evisa::app::clients::create(conn, "Load test", "evisa", &["verify".to_owned()], (None, "system"), None)
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{key}");
    Ok(())
}
