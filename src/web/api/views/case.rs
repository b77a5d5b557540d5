//! How a case is shown: its documents, fee, appointment and history, as the visa application
//! (`/api/v1/applications`) or as any service's case (`/api/v1/cases`, `/api/v1/requests`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::CaseFile;
use crate::db::appointments::AppointmentRow;
use crate::db::cases::CaseRow;
use crate::db::documents::DocumentRow;
use crate::db::events::EventRow;
use crate::db::fees::CaseFeeRow;
use crate::domain::decision::Decision;
use crate::domain::role::Role;
use crate::issuance::e_visa::form::VisaApplicationForm;

use super::utc;

/// A document's metadata.
#[derive(Serialize)]
pub struct DocumentView {
    kind: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    uploaded_at: DateTime<Utc>,
}

impl From<DocumentRow> for DocumentView {
    fn from(row: DocumentRow) -> Self {
        DocumentView {
            kind: row.kind,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            uploaded_at: utc(row.uploaded_at),
        }
    }
}

/// The decision of a case as a viewer may see it: applicants see only final ones. A stored value
/// that no longer parses (it was written by this code, so it should not happen) is logged and
/// left out rather than failing the listing.
fn shown_decision(case: &CaseRow, staff: bool) -> Option<Decision> {
    case.decision
        .as_deref()
        .and_then(|d| {
            serde_json::from_str::<Decision>(d)
                .map_err(|err| tracing::error!(case = %case.id, error = %err, "stored decision does not parse"))
                .ok()
        })
        .filter(|d| staff || d.is_final())
}

/// A visa application with its form and documents.
#[derive(Serialize)]
pub struct ApplicationView {
    /// The case id.
    pub id: String,
    reference: String,
    status: String,
    service: String,
    visa_type: String,
    post: String,
    #[serde(flatten)]
    form: VisaApplicationForm,
    documents: Vec<DocumentView>,
    priority: String,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    decision_deadline: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    visa_number: Option<String>,
    /// The decision; applicants see only final ones.
    decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned_officer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommended_by: Option<String>,
}

impl ApplicationView {
    /// The view of a case and its documents for a viewer of the given role. Applicants do not
    /// see who handles their case nor pending recommendations. A stored value that no longer
    /// parses (it was written by this code, so it should not happen) is logged and left out
    /// rather than failing the listing.
    pub fn new(file: CaseFile, viewer: Role) -> ApplicationView {
        let CaseFile { case, documents, issued_number, .. } = file;
        let staff = viewer.handles_cases();
        let form = serde_json::from_str(&case.form).unwrap_or_else(|err| {
            tracing::error!(case = %case.id, error = %err, "stored form does not parse");
            VisaApplicationForm::default()
        });
        let decision = shown_decision(&case, staff);
        ApplicationView {
            id: case.id,
            reference: case.reference,
            status: case.status.as_str().to_owned(),
            service: case.service,
            visa_type: case.service_code,
            post: case.post_code,
            form,
            documents: documents.into_iter().map(DocumentView::from).collect(),
            priority: case.priority,
            version: case.version,
            created_at: utc(case.created_at),
            updated_at: utc(case.updated_at),
            submitted_at: case.submitted_at.map(utc),
            decision_deadline: case.decision_deadline.map(utc),
            decided_at: case.decided_at.map(utc),
            visa_number: issued_number,
            decision,
            assigned_officer_id: if staff { case.assigned_officer_id } else { None },
            recommended_by: if staff { case.recommended_by } else { None },
        }
    }
}

/// The details of each action that an applicant may see; everything else in an event's details
/// (officers' identities, recommendations, internal reasoning) is for staff only.
const APPLICANT_DETAILS: [(&str, &[&str]); 9] = [
    ("edit", &["changed"]),
    ("upload_document", &["kind", "size_bytes", "sha256"]),
    ("request_info", &["items"]),
    ("refuse", &["grounds"]),
    ("issue", &["visa_number", "document_number", "valid_from", "valid_until"]),
    ("revoke", &["visa_number", "document_number", "grounds"]),
    ("payment", &["amount_minor", "currency", "status"]),
    ("book_appointment", &["start", "end"]),
    ("move_appointment", &["start", "end"]),
];

/// The allow-listed part of an event's details, for the applicant; `None` when nothing is left.
fn applicant_details(action: &str, details: serde_json::Value) -> Option<serde_json::Value> {
    let allowed = APPLICANT_DETAILS.iter().find(|(a, _)| *a == action)?.1;
    let serde_json::Value::Object(fields) = details else { return None };
    let kept: serde_json::Map<String, serde_json::Value> =
        fields.into_iter().filter(|(key, _)| allowed.contains(&key.as_str())).collect();
    (!kept.is_empty()).then_some(serde_json::Value::Object(kept))
}

/// Any case (a consular request or a visa application) in the service-neutral shape: the form
/// as the service defines it.
#[derive(Serialize)]
pub struct CaseView {
    /// The case id.
    pub id: String,
    reference: String,
    status: &'static str,
    service: String,
    post: String,
    form: serde_json::Value,
    form_version: i32,
    documents: Vec<DocumentView>,
    priority: String,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    decision_deadline: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    /// The number of the document issued for the case.
    document_number: Option<String>,
    /// The fee due, what has been paid and what is outstanding.
    fee: Option<FeeView>,
    /// The appointment, once booked.
    appointment: Option<AppointmentView>,
    /// The decision; applicants see only final ones.
    decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assigned_officer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommended_by: Option<String>,
}

impl CaseView {
    /// The view of a case for a viewer of the given role (staff see who handles it).
    pub fn new(file: CaseFile, viewer: Role) -> CaseView {
        let staff = viewer.handles_cases();
        let CaseFile { case, documents, issued_number, fee, appointment } = file;
        let form = serde_json::from_str(&case.form).unwrap_or_else(|err| {
            tracing::error!(case = %case.id, error = %err, "stored form does not parse");
            serde_json::Value::Null
        });
        let decision = shown_decision(&case, staff);
        CaseView {
            id: case.id,
            reference: case.reference,
            status: case.status.as_str(),
            service: case.service_code,
            post: case.post_code,
            form,
            form_version: case.form_version,
            documents: documents.into_iter().map(DocumentView::from).collect(),
            priority: case.priority,
            version: case.version,
            created_at: utc(case.created_at),
            updated_at: utc(case.updated_at),
            submitted_at: case.submitted_at.map(utc),
            decision_deadline: case.decision_deadline.map(utc),
            decided_at: case.decided_at.map(utc),
            document_number: issued_number,
            fee: fee.map(FeeView::from),
            appointment: appointment.map(AppointmentView::from),
            decision,
            assigned_officer_id: if staff { case.assigned_officer_id } else { None },
            recommended_by: if staff { case.recommended_by } else { None },
        }
    }
}

/// The fee of a case.
#[derive(Serialize)]
pub struct FeeView {
    amount_minor: i64,
    currency: String,
    paid_minor: i64,
    outstanding_minor: i64,
}

impl From<CaseFeeRow> for FeeView {
    fn from(row: CaseFeeRow) -> Self {
        FeeView {
            outstanding_minor: row.outstanding_minor(),
            amount_minor: row.amount_minor,
            currency: row.currency,
            paid_minor: row.paid_minor,
        }
    }
}

/// A booked appointment.
#[derive(Serialize)]
pub struct AppointmentView {
    post: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl From<AppointmentRow> for AppointmentView {
    fn from(row: AppointmentRow) -> Self {
        AppointmentView { post: row.post_code, start: utc(row.starts_at), end: utc(row.ends_at) }
    }
}

/// One audit event, as shown to a given viewer.
#[derive(Serialize)]
pub struct EventView {
    id: String,
    action: String,
    from_status: Option<String>,
    to_status: String,
    actor_role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_id: Option<String>,
    note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    staff_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    internal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl EventView {
    /// The event as `viewer` may see it: `None` for staff-only events shown to an applicant,
    /// who also never sees staff identities or request ids.
    pub fn for_viewer(row: EventRow, viewer: Role) -> Option<EventView> {
        let staff = viewer.handles_cases();
        if row.internal && !staff {
            return None;
        }
        let details = row.details.as_deref().and_then(|d| serde_json::from_str(d).ok());
        let details = if staff { details } else { details.and_then(|d| applicant_details(&row.action, d)) };
        Some(EventView {
            id: row.id,
            action: row.action,
            from_status: row.from_status,
            to_status: row.to_status,
            actor_role: row.actor_role,
            actor_id: if staff { row.actor_id } else { None },
            note: row.note,
            staff_note: if staff { row.staff_note } else { None },
            internal: staff.then_some(row.internal),
            details,
            request_id: if staff { row.request_id } else { None },
            created_at: utc(row.created_at),
        })
    }
}
