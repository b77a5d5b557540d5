//! Administrators manage the catalogue: a new consular service is a row (its form schema,
//! documents, fee, review and output), never a code path. A changed form schema is a new form
//! version; open cases keep the version they were written against. A service in use is
//! deactivated, never deleted. Every change is audited.

use serde::Deserialize;
use serde_json::Value;

use super::forms;
use super::{Admin, Error, Result};
use crate::db::catalog::{self, NewService, ServiceChanges, ServiceRow};
use crate::db::{self, AnyConnection, Db, admin_events};
use crate::domain::FieldError;
use crate::domain::service::{DocumentRequirement, Eligibility, Fee, InformationLapse, OutputKind};
use crate::domain::texts::Texts;

/// Media types documents may be uploaded as.
const MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];
/// Largest document a service may accept, in bytes.
const MAX_DOCUMENT_BYTES: u64 = 20 * 1024 * 1024;

/// A service as an administrator describes it; on a change, `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ServiceInput {
    /// Display name.
    pub name: Option<String>,
    /// What the service is.
    pub description: Option<String>,
    /// Who may apply.
    pub eligibility: Option<Eligibility>,
    /// The form's JSON Schema.
    pub form_schema: Option<Value>,
    /// The documents it asks for.
    pub documents: Option<Vec<DocumentRequirement>>,
    /// The fee.
    pub fee: Option<Fee>,
    /// Whether the fee is paid before submission.
    pub prepaid: Option<bool>,
    /// Whether the document is issued only once the fee is paid.
    pub paid_before_issue: Option<bool>,
    /// What an unanswered request for information leads to.
    pub information_lapse: Option<InformationLapse>,
    /// Whether answering a request for information moves the deadline.
    pub information_pauses_clock: Option<bool>,
    /// Days to a decision.
    pub processing_days: Option<i32>,
    /// Whether approvals need a second person.
    pub four_eyes: Option<bool>,
    /// What approval produces (set once, on creation).
    pub output: Option<OutputKind>,
    /// Whether new cases may be opened.
    pub active: Option<bool>,
    /// Its words in other languages (replacing those it had).
    pub texts: Option<Texts>,
}

fn check(input: &ServiceInput, creating: bool) -> Result<()> {
    let mut problems = Vec::new();
    let text = |field: &str, value: &Option<String>, max: usize, problems: &mut Vec<FieldError>| {
        if let Some(value) = value
            && (value.trim().is_empty() || value.chars().count() > max)
        {
            problems.push(FieldError::new(field, "invalid", format!("between 1 and {max} characters")));
        }
    };
    text("name", &input.name, 200, &mut problems);
    text("description", &input.description, 2000, &mut problems);
    if creating {
        for (field, present) in [
            ("name", input.name.is_some()),
            ("eligibility", input.eligibility.is_some()),
            ("form_schema", input.form_schema.is_some()),
            ("fee", input.fee.is_some()),
            ("processing_days", input.processing_days.is_some()),
            ("output", input.output.is_some()),
        ] {
            if !present {
                problems.push(FieldError::required(field));
            }
        }
    }
    if let Some(texts) = &input.texts {
        problems.extend(texts.problems());
    }
    if let Some(schema) = &input.form_schema
        && let Err(found) = forms::check_schema(schema)
    {
        problems.extend(found);
    }
    for (index, document) in input.documents.iter().flatten().enumerate() {
        let kind_ok = !document.kind.is_empty()
            && document.kind.len() <= 40
            && document.kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        let media_ok =
            !document.media_types.is_empty() && document.media_types.iter().all(|m| MEDIA_TYPES.contains(&m.as_str()));
        if !kind_ok || !media_ok || !(1..=MAX_DOCUMENT_BYTES).contains(&document.max_bytes) {
            problems.push(FieldError::new(
                format!("documents[{index}]"),
                "invalid",
                format!(
                    "a kind of a-z, 0-9 and _, media types among {}, at most {MAX_DOCUMENT_BYTES} bytes",
                    MEDIA_TYPES.join(", ")
                ),
            ));
        }
    }
    if let Some(documents) = &input.documents {
        let mut kinds: Vec<&str> = documents.iter().map(|d| d.kind.as_str()).collect();
        kinds.sort_unstable();
        if kinds.windows(2).any(|w| w[0] == w[1]) {
            problems.push(FieldError::new("documents", "duplicate", "each kind once"));
        }
    }
    if let Some(fee) = &input.fee
        && (fee.amount_minor < 0 || fee.currency.len() != 3 || !fee.currency.bytes().all(|b| b.is_ascii_uppercase()))
    {
        problems.push(FieldError::new(
            "fee",
            "invalid",
            "a non-negative amount in minor units and an ISO 4217 currency",
        ));
    }
    if input.processing_days.is_some_and(|d| !(1..=365).contains(&d)) {
        problems.push(FieldError::new("processing_days", "out_of_range", "between 1 and 365"));
    }
    // E-visa services come with their visa settings (category, entries, stay), which this route
    // does not take.
    if input.output == Some(OutputKind::EVisa) {
        problems.push(FieldError::new(
            "output",
            "not_available",
            "visa types are not added through this route; use certificate, appointment or decision",
        ));
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Invalid(problems)) }
}

fn documents_json(documents: &[DocumentRequirement]) -> Result<String> {
    Ok(serde_json::to_string(documents)?)
}

fn check_code(code: &str) -> Result<()> {
    if code.len() < 2
        || code.len() > 40
        || !code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(Error::invalid_field("code", "invalid", "2 to 40 characters of A-Z, 0-9 and _"));
    }
    Ok(())
}

/// Stores a checked new service with version 1 of its form, and audits it as done by `actor`
/// (`None`: the service itself, seeding).
fn insert_new(
    conn: &mut AnyConnection,
    code: &str,
    input: &ServiceInput,
    sort_order: i32,
    actor: Option<&str>,
    request_id: Option<&str>,
) -> Result<()> {
    let (Some(name), Some(eligibility), Some(schema), Some(fee), Some(days), Some(output)) = (
        input.name.as_deref(),
        input.eligibility,
        input.form_schema.as_ref(),
        input.fee.as_ref(),
        input.processing_days,
        input.output,
    ) else {
        return Err(Error::internal(anyhow::anyhow!("checked fields went missing")));
    };
    let now = db::now();
    let documents = documents_json(input.documents.as_deref().unwrap_or_default())?;
    let texts = input.texts.as_ref().map_or_else(|| "{}".to_owned(), Texts::to_json);
    catalog::insert_service(
        conn,
        &NewService {
            code,
            name: name.trim(),
            description: input.description.as_deref().unwrap_or_default().trim(),
            eligibility: eligibility.as_str(),
            form_version: 1,
            documents: &documents,
            fee_minor: fee.amount_minor,
            currency: &fee.currency,
            prepaid: input.prepaid.unwrap_or(false),
            paid_before_issue: input.paid_before_issue.unwrap_or(false),
            processing_days: days,
            four_eyes: input.four_eyes.unwrap_or(false),
            output: output.as_str(),
            active: input.active.unwrap_or(true),
            sort_order,
            created_at: now,
            updated_at: now,
            texts: &texts,
            information_lapse: input.information_lapse.unwrap_or_default().as_str(),
            information_pauses_clock: input.information_pauses_clock.unwrap_or(true),
        },
    )?;
    catalog::insert_form(conn, code, 1, &schema.to_string(), now)?;
    let details = serde_json::json!({"name": name, "output": output.as_str(), "form_version": 1});
    let role = if actor.is_some() { "admin" } else { "system" };
    admin_events::record(conn, "create_service", code, (actor, role), details, request_id)?;
    Ok(())
}

/// Adds a service whose form is version 1 of `input.form_schema`.
pub async fn create_service(
    db: &Db,
    admin: &Admin,
    code: String,
    input: ServiceInput,
    request_id: String,
) -> Result<ServiceRow> {
    let code = code.trim().to_owned();
    check_code(&code)?;
    check(&input, true)?;
    let actor = admin.id.clone();
    db.write(move |conn| {
        if catalog::find_service(conn, &code)?.is_some() {
            return Err(Error::Conflict(format!("a service with the code {code} exists")));
        }
        insert_new(conn, &code, &input, 1000, Some(&actor), Some(&request_id))?;
        catalog::find_service(conn, &code)?.ok_or(Error::NotFound)
    })
    .await
    .inspect(|_| db.catalogue_changes().count())
}

/// A service of the seeded catalogue, as `assets/catalogue/services.json` describes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedService {
    code: String,
    name: String,
    description: String,
    eligibility: Eligibility,
    form_schema: Value,
    documents: Vec<DocumentRequirement>,
    fee: Fee,
    prepaid: bool,
    processing_days: i32,
    four_eyes: bool,
    output: OutputKind,
}

/// The consular services every installation starts with, beside the visa types.
const SEEDED: &str = include_str!("../../assets/catalogue/services.json");

/// Adds each seeded service whose code the catalogue does not hold yet, checked like an
/// administrator's; services already present (seeded before, or changed or deactivated since)
/// are left as they are. Returns the codes added.
pub fn seed(db: &Db, conn: &mut AnyConnection) -> Result<Vec<String>> {
    let seeds: Vec<SeedService> = serde_json::from_str(SEEDED)?;
    let mut added = Vec::new();
    for (index, seed) in seeds.into_iter().enumerate() {
        if catalog::find_service(conn, &seed.code)?.is_some() {
            continue;
        }
        let input = ServiceInput {
            name: Some(seed.name),
            description: Some(seed.description),
            eligibility: Some(seed.eligibility),
            form_schema: Some(seed.form_schema),
            documents: Some(seed.documents),
            fee: Some(seed.fee),
            prepaid: Some(seed.prepaid),
            paid_before_issue: None,
            information_lapse: None,
            information_pauses_clock: None,
            processing_days: Some(seed.processing_days),
            four_eyes: Some(seed.four_eyes),
            output: Some(seed.output),
            active: Some(true),
            texts: None,
        };
        check_code(&seed.code)?;
        check(&input, true)?;
        let order = 100 + i32::try_from(index).unwrap_or(0);
        db.write_transaction(conn, |conn| insert_new(conn, &seed.code, &input, order, None, None))?;
        added.push(seed.code);
    }
    Ok(added)
}

/// The Russian and Kazakh words of the built-in services and grounds.
const SEEDED_TEXTS: &str = include_str!("../../assets/catalogue/texts.json");

#[derive(Deserialize)]
struct SeedTexts {
    services: std::collections::BTreeMap<String, Texts>,
    grounds: std::collections::BTreeMap<String, Texts>,
}

/// Gives the built-in services and refusal grounds their words in Russian and Kazakh where they
/// have none (installed before texts existed, or just seeded); texts an administrator gave are
/// left alone. Returns how many rows were given texts.
pub fn seed_texts(conn: &mut AnyConnection) -> Result<usize> {
    let seeds: SeedTexts = serde_json::from_str(SEEDED_TEXTS)?;
    let mut given = 0;
    for (code, texts) in &seeds.services {
        let untranslated = catalog::find_service(conn, code)?.is_some_and(|s| s.texts().is_empty());
        if untranslated {
            let changes = ServiceChanges { texts: Some(texts.to_json()), ..ServiceChanges::default() };
            given += catalog::update_service(conn, code, &changes)?;
        }
    }
    let grounds = catalog::list_refusal_grounds(conn)?;
    for ground in grounds.iter().filter(|g| Texts::parse(&g.texts).is_empty()) {
        if let Some(texts) = seeds.grounds.get(&ground.code) {
            given += catalog::set_ground_texts(conn, &ground.code, &texts.to_json())?;
        }
    }
    Ok(given)
}

/// Gives every service whose kind describes its own form (the e-visa's) that form as its next
/// version where its current one differs, so that the form has one description, in code; cases
/// keep the version they were started with. Returns the codes given a new version.
pub fn keep_own_forms(db: &Db, conn: &mut AnyConnection) -> Result<Vec<String>> {
    let mut renewed = Vec::new();
    for service in catalog::list_all_services(conn)? {
        let Some(own) = crate::issuance::issuer(service.output()?).own_form() else { continue };
        let current = catalog::form_schema(conn, &service.code, service.form_version)?;
        if current.and_then(|c| serde_json::from_str::<Value>(&c).ok()).as_ref() == Some(&own) {
            continue;
        }
        db.write_transaction(conn, |conn| -> Result<()> {
            let next = service.form_version + 1;
            catalog::insert_form(conn, &service.code, next, &own.to_string(), db::now())?;
            let changes = ServiceChanges { form_version: Some(next), ..ServiceChanges::default() };
            catalog::update_service(conn, &service.code, &changes)?;
            let details = serde_json::json!({"form_version": next, "reason": "the form its issuer describes"});
            admin_events::record(conn, "update_service", &service.code, (None, "system"), details, None)?;
            Ok(())
        })?;
        renewed.push(service.code);
    }
    Ok(renewed)
}

/// Changes a service. A new form schema becomes the next form version.
pub async fn update_service(
    db: &Db,
    admin: &Admin,
    code: String,
    input: ServiceInput,
    request_id: String,
) -> Result<ServiceRow> {
    check(&input, false)?;
    if input.output.is_some() {
        return Err(Error::invalid_field("output", "immutable", "what a service produces is fixed when it is added"));
    }
    let actor = admin.id.clone();
    db.write(move |conn| {
        let service = catalog::find_service(conn, &code)?.ok_or(Error::NotFound)?;
        if input.form_schema.is_some() && crate::issuance::issuer(service.output()?).own_form().is_some() {
            return Err(Error::invalid_field(
                "form_schema",
                "immutable",
                "this kind of service describes its own form",
            ));
        }
        let now = db::now();
        let form_version = match &input.form_schema {
            Some(schema) => {
                let next = service.form_version + 1;
                catalog::insert_form(conn, &code, next, &schema.to_string(), now)?;
                Some(next)
            }
            None => None,
        };
        let changes = ServiceChanges {
            name: input.name.map(|n| n.trim().to_owned()),
            description: input.description.map(|d| d.trim().to_owned()),
            eligibility: input.eligibility.map(|e| e.as_str().to_owned()),
            form_version,
            documents: input.documents.as_deref().map(documents_json).transpose()?,
            fee_minor: input.fee.as_ref().map(|f| f.amount_minor),
            currency: input.fee.map(|f| f.currency),
            prepaid: input.prepaid,
            paid_before_issue: input.paid_before_issue,
            processing_days: input.processing_days,
            four_eyes: input.four_eyes,
            active: input.active,
            texts: input.texts.as_ref().map(Texts::to_json),
            information_lapse: input.information_lapse.map(|l| l.as_str().to_owned()),
            information_pauses_clock: input.information_pauses_clock,
            updated_at: Some(now),
        };
        catalog::update_service(conn, &code, &changes)?;
        let details = serde_json::json!({"form_version": form_version, "active": input.active});
        admin_events::record(conn, "update_service", &code, (Some(&actor), "admin"), details, Some(&request_id))?;
        catalog::find_service(conn, &code)?.ok_or(Error::NotFound)
    })
    .await
    .inspect(|_| db.catalogue_changes().count())
}
