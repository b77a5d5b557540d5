//! The web portal for applicants (`/`) and the console for officers (`/console`): HTML pages
//! rendered on the server from `templates/pages/`, calling the same use cases as the JSON API.
//! The essential path needs no JavaScript; every form carries a CSRF token; every page carries
//! the security headers (a Content-Security-Policy without inline scripts among them).

mod account;
mod admin;
mod age_chart;
mod apply;
mod apply_check;
mod apply_documents;
mod booking;
mod cases;
mod console;
mod console_case;
mod draft;
mod error_summary;
pub mod errors;
mod form;
mod form_designer;
pub mod i18n;
mod pay;
mod schedules;
pub mod schema_form;
pub mod session;
mod share_check;
mod share_codes;

pub use error_summary::{plain_summary, summary};
pub use form::Form;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use minijinja::Environment;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::app::{self, User};
use crate::db::users::UserRow;
use crate::web::state::AppState;
use session::Visitor;

/// The Content-Security-Policy of every page: no inline script or style, nothing from elsewhere.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

macro_rules! page_template {
    ($name:literal) => {
        ($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/pages/", $name)))
    };
}

/// Every page template.
const TEMPLATES: &[(&str, &str)] = &[
    page_template!("layout.html"),
    page_template!("field.html"),
    page_template!("home.html"),
    page_template!("form_page.html"),
    page_template!("message.html"),
    page_template!("apply_start.html"),
    page_template!("step.html"),
    page_template!("documents.html"),
    page_template!("check.html"),
    page_template!("dashboard.html"),
    page_template!("case.html"),
    page_template!("console_queue.html"),
    page_template!("console_case.html"),
    page_template!("console_schedule.html"),
    page_template!("console_appointments.html"),
    page_template!("console_form_designer.html"),
    page_template!("admin.html"),
    page_template!("pay_test.html"),
    page_template!("withdraw.html"),
    page_template!("pay_stripe.html"),
    page_template!("payment_result.html"),
    page_template!("share_codes.html"),
    page_template!("share_code_created.html"),
    page_template!("share_check.html"),
];

/// The portal's style sheet.
const STYLE: &str = include_str!("../../../assets/portal/portal.css");
/// The card form's script of the Stripe adapter (the only script of the portal).
const STRIPE_PAY: &str = include_str!("../../../assets/portal/stripe-pay.js");

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, source) in TEMPLATES {
            if let Err(err) = env.add_template(name, source) {
                tracing::error!(template = name, error = %err, "page template does not parse");
            }
        }
        env
    })
}

/// What every page of language `lang` shows alike: its messages (`t`) and the language switch.
fn shared(lang: &'static str) -> minijinja::Value {
    static SHARED: OnceLock<HashMap<&'static str, minijinja::Value>> = OnceLock::new();
    let all = SHARED.get_or_init(|| {
        let languages: Vec<Value> =
            i18n::LANGUAGES.iter().map(|(code, name)| json!({"code": code, "name": name})).collect();
        i18n::LANGUAGES
            .iter()
            .map(|(code, _)| {
                let value = minijinja::context! {
                    t => minijinja::Value::from_serialize(i18n::messages(code)),
                    languages => minijinja::Value::from_serialize(&languages),
                };
                (*code, value)
            })
            .collect()
    });
    all.get(lang).cloned().unwrap_or_default()
}

/// What every page handler starts from: the request, the service, who is signed in, the
/// language, and the CSRF token of its forms.
pub struct Ctx {
    /// The request.
    pub req: HttpRequest,
    /// The service.
    pub state: web::Data<AppState>,
    /// The signed-in account, if any.
    pub visitor: Option<UserRow>,
    /// The page's language.
    pub lang: &'static str,
    csrf: String,
    cookies: Vec<Cookie<'static>>,
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Ctx, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let visitor = Visitor::from_request(&req, payload);
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("state missing"))?;
            let Visitor(visitor) = visitor.await?;
            let (lang, switched) = i18n::choose(&req, visitor.as_ref().map(|v| v.preferred_language.as_str()));
            let mut cookies = Vec::new();
            // A link switches this browser's pages only: a GET changes nothing of the account
            // (its e-mails' language changes by the signed-in switch's POST, or at sign-in).
            if switched {
                cookies.push(session::cookie(&state, i18n::LANG_COOKIE, lang.to_owned()));
            }
            let (csrf, fresh) = session::csrf_token(&state, &req);
            cookies.extend(fresh);
            Ok(Ctx { req, state, visitor, lang, csrf, cookies })
        })
    }
}

impl Ctx {
    /// The signed-in account as the use cases take it.
    pub fn user(&self) -> Option<User> {
        Visitor(self.visitor.clone()).user()
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        i18n::message(self.lang, key)
    }

    /// Whether a form's CSRF field repeats the cookie.
    pub fn csrf_ok(&self, form: &HashMap<String, String>) -> bool {
        session::csrf_matches(&self.state, &self.req, form.get(session::CSRF_FIELD).map(String::as_str))
    }

    fn finish(&self, mut response: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
        for cookie in &self.cookies {
            response.cookie(cookie.clone());
        }
        response
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "same-origin"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        response
    }

    /// Renders `template` with `extra` over the context every page has.
    pub fn render_status(&self, status: StatusCode, template: &str, extra: Value) -> HttpResponse {
        self.render_page(status, template, extra, None)
    }

    fn render_page(
        &self,
        status: StatusCode,
        template: &str,
        extra: Value,
        prepared: Option<minijinja::Value>,
    ) -> HttpResponse {
        let visitor = self.visitor.as_ref().map(|v| {
            let (home, label) = home_of(v);
            json!({"name": v.full_name, "home": home, "home_label": self.t(label)})
        });
        let mut context = json!({
            "lang": self.lang,
            "visitor": visitor,
            "csrf": self.csrf,
            "path": self.req.path(),
            "state_name": self.state.config.state_name(self.lang),
            "home": self.visitor.as_ref().map_or("/", |v| if v.role() == crate::domain::role::Role::Applicant { "/" } else { home_of(v).0 }),
        });
        if let (Some(fields), Value::Object(extra)) = (context.as_object_mut(), extra) {
            fields.extend(extra);
        }
        // The messages and languages are the same for every page of a language: made template
        // values once, and shared, rather than copied into each page's context.
        let context = minijinja::value::merge_maps([
            minijinja::Value::from_serialize(&context),
            prepared.unwrap_or_default(),
            shared(self.lang),
        ]);
        let body = environment().get_template(template).and_then(|t| t.render(context));
        match body {
            Ok(html) => self.finish(HttpResponse::build(status)).content_type("text/html; charset=utf-8").body(html),
            Err(err) => {
                tracing::error!(template, error = %format!("{err:#}"), "page did not render");
                self.finish(HttpResponse::InternalServerError()).content_type("text/plain").body("error")
            }
        }
    }

    /// Renders `template` (200).
    pub fn render(&self, template: &str, extra: Value) -> HttpResponse {
        self.render_status(StatusCode::OK, template, extra)
    }

    /// Renders `template` (200) with `prepared`, template values made once and shared by
    /// many pages (a language's view of the catalogue), beside the page's own.
    pub fn render_prepared(&self, template: &str, prepared: minijinja::Value) -> HttpResponse {
        self.render_page(StatusCode::OK, template, Value::Null, Some(prepared))
    }

    /// A redirect after a POST (303) or to sign in.
    pub fn redirect(&self, to: &str) -> HttpResponse {
        self.finish(HttpResponse::SeeOther()).insert_header((header::LOCATION, to.to_owned())).finish()
    }

    /// A redirect that also sets a cookie.
    pub fn redirect_with(&self, to: &str, cookies: impl IntoIterator<Item = Cookie<'static>>) -> HttpResponse {
        let mut response = self.finish(HttpResponse::SeeOther());
        for cookie in cookies {
            response.cookie(cookie);
        }
        response.insert_header((header::LOCATION, to.to_owned())).finish()
    }

    /// A page with a heading and some paragraphs.
    pub fn message(&self, status: StatusCode, heading: &str, paragraphs: &[String]) -> HttpResponse {
        let home = json!({"href": "/", "text": self.t("go_home")});
        self.render_status(
            status,
            "message.html",
            json!({"title": heading, "heading": heading, "paragraphs": paragraphs, "links": [home]}),
        )
    }

    /// The page for a failed use case (validation problems are shown by the page that asked).
    pub fn fail(&self, err: app::Error) -> HttpResponse {
        use app::Error as E;
        match err {
            E::NotFound => self.message(StatusCode::NOT_FOUND, &self.t("not_found_title"), &[self.t("not_found_text")]),
            E::Unauthenticated(_) => self.redirect(&format!("/login?next={}", self.req.path())),
            E::Forbidden(detail) => self.message(StatusCode::FORBIDDEN, &self.t("forbidden_title"), &[detail]),
            E::Conflict(detail) => self.message(StatusCode::CONFLICT, &self.t("conflict_title"), &[detail]),
            E::RateLimited { .. } => {
                self.message(StatusCode::TOO_MANY_REQUESTS, &self.t("busy_title"), &[self.t("busy_text")])
            }
            E::Invalid(problems) => self.message(
                StatusCode::UNPROCESSABLE_ENTITY,
                &self.t("there_is_a_problem"),
                &problems.iter().map(|p| i18n::problem(self.lang, p, None)).collect::<Vec<_>>(),
            ),
            other => {
                if let E::Internal(cause) = &other {
                    tracing::error!(error = %format!("{cause:#}"), "page failed");
                }
                self.message(StatusCode::SERVICE_UNAVAILABLE, &self.t("failure_title"), &[self.t("failure_text")])
            }
        }
    }

    /// The 403 page of a form whose CSRF token does not match.
    pub fn csrf_refused(&self) -> HttpResponse {
        self.message(StatusCode::FORBIDDEN, &self.t("csrf_title"), &[self.t("csrf_text")])
    }

    /// The signed-in account, or the way to the sign-in page.
    pub fn require_user(&self) -> Result<User, HttpResponse> {
        self.user().ok_or_else(|| self.redirect(&format!("/login?next={}", self.req.path())))
    }
}

/// The status of a page that shows a form: 422 when it comes back with problems.
pub fn status_for(clean: bool) -> StatusCode {
    if clean { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

/// Where an account starts, and the message naming it: applicants their cases, staff the
/// console, administrators the administration.
pub fn home_of(account: &UserRow) -> (&'static str, &'static str) {
    match account.role() {
        crate::domain::role::Role::Admin => ("/console/admin", "administration"),
        role if role.handles_cases() => ("/console", "console"),
        _ => ("/account/cases", "my_cases"),
    }
}

/// Runs a fallible step of a page handler: on failure, answers with the failure's page.
macro_rules! attempt {
    ($ctx:expr, $result:expr) => {
        match $result {
            Ok(value) => value,
            Err(err) => return $ctx.fail(err.into()),
        }
    };
}
pub(crate) use attempt;

/// Checks the CSRF field of a posted form.
macro_rules! check_csrf {
    ($ctx:expr, $form:expr) => {
        if !$ctx.csrf_ok(&$form) {
            return $ctx.csrf_refused();
        }
    };
}
pub(crate) use check_csrf;

/// Signed in, or off to the sign-in page.
macro_rules! signed_in {
    ($ctx:expr) => {
        match $ctx.require_user() {
            Ok(user) => user,
            Err(response) => return response,
        }
    };
}
pub(crate) use signed_in;

/// `GET /assets/stripe-pay.js`.
async fn stripe_pay_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(STRIPE_PAY)
}

/// `GET /assets/portal.css`.
async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(STYLE)
}

/// Every page route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/portal.css", web::get().to(style))
        .route("/assets/stripe-pay.js", web::get().to(stripe_pay_script));
    account::configure(cfg);
    apply::configure(cfg);
    booking::configure(cfg);
    cases::configure(cfg);
    console::configure(cfg);
    admin::configure(cfg);
    schedules::configure(cfg);
    form_designer::configure(cfg);
    pay::configure(cfg);
    share_codes::configure(cfg);
    share_check::configure(cfg);
}

#[cfg(test)]
mod tests;
