//! The applicant's journey to a paid, submitted request, in Chromium at 390 px in Russian:
//! register, fill the service's form, pay on the test provider, see the receipt, submit, and
//! read the confirmation.

use crate::backend_tests;
use crate::browser::{
    Driver, PHONE, accessible, axe_source, choose, fill, path, press, register, set, shoot, text, upload,
};
use crate::helpers::*;

backend_tests! {
    async fn a_prepaid_request_is_paid_and_submitted_in_the_portal_in_russian_on_a_phone(app: TestApp) {
        let Some(driver) = Driver::start().await else { return };
        let axe = axe_source();
        let phone = driver.window(PHONE).await;
        phone.goto(&format!("{}/?lang=ru", app.address)).await.unwrap();
        register(&phone, &app, "Aigerim").await;
        phone.goto(&format!("{}/apply/LEGALISATION", app.address)).await.unwrap();
        press(&phone, "main form button[type=submit]").await;
        fill(&phone, "f-applicant-surname", "Нурлы").await;
        fill(&phone, "f-applicant-given_names", "Айгерим").await;
        set(&phone, "f-applicant-date_of_birth", "1991-05-04").await;
        choose(&phone, "f-applicant-nationality", "UTO").await;
        press(&phone, "main form button[type=submit]").await;
        let case_id = path(&phone).await.split('/').nth(2).unwrap().to_owned();
        fill(&phone, "f-document-kind", "Свидетельство о рождении").await;
        fill(&phone, "f-document-issued_by", "ЗАГС Алматы").await;
        set(&phone, "f-document-issue_date", "2001-03-04").await;
        press(&phone, "main form button[type=submit]").await;
        press(&phone, "main form button[type=submit]").await;
        let dir = tempfile::tempdir().unwrap();
        let scan = dir.path().join("document.pdf");
        std::fs::write(&scan, minimal_pdf()).unwrap();
        upload(&phone, "document_scan", &scan).await;
        press(&phone, "main p a.button").await;

        // Check your answers: the fee is paid before the application goes.
        assert_eq!(path(&phone).await, format!("/cases/{case_id}/check"));
        let check = text(&phone).await;
        assert!(check.contains("Оплатить 25.00 EUR") && !check.contains("Подать заявление"), "{check}");
        shoot(&phone, "pay-check", PHONE).await;
        accessible(&phone, &axe, "check answers with a fee").await;
        press(&phone, "main form button[type=submit]").await;

        // The test provider's page, marked TEST.
        assert!(path(&phone).await.starts_with("/pay/test/"));
        assert!(text(&phone).await.contains("Это тестовая страница оплаты"), "{}", text(&phone).await);
        shoot(&phone, "pay-test-provider", PHONE).await;
        accessible(&phone, &axe, "test provider").await;
        press(&phone, "button[value=pay]").await;

        // The receipt, then the application goes.
        let receipt = text(&phone).await;
        assert!(receipt.contains("Оплата получена") && receipt.contains("25.00 EUR") && receipt.contains("Квитанция"), "{receipt}");
        shoot(&phone, "pay-receipt", PHONE).await;
        accessible(&phone, &axe, "payment received").await;
        press(&phone, "main p a.button").await;
        assert!(text(&phone).await.contains("Подать заявление"));
        press(&phone, "main form button[type=submit]").await;
        let case = text(&phone).await;
        assert!(case.contains("Платежи") && case.contains("25.00 EUR"), "{case}");
        assert!(case.contains("Заявление подано") && case.contains("Что будет дальше") && case.contains("UTO-2026-"), "{case}");
        shoot(&phone, "pay-submitted", PHONE).await;
        accessible(&phone, &axe, "submitted and paid").await;
        assert_eq!(app.scalar(&format!("SELECT status AS value FROM cases WHERE id = '{case_id}'")), "submitted");
        phone.close().await.unwrap();
    }
}
