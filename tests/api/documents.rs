use crate::backend_tests;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 180, 160]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .unwrap();
    bytes
}

backend_tests! {
    async fn photos_and_scans_are_stored_and_read_back(app: TestApp) {
        let applicant = app.applicant("quinn").await;
        let draft = app.draft(&applicant, &valid_application()).await;
        let id = draft["id"].as_str().unwrap();
        let photo = photo_png(420, 540);
        let response = app.put_bytes(&format!("/api/v1/applications/{id}/documents/photo"), &applicant.token, "image/png", photo.clone()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let meta: Value = response.json().await.unwrap();
        assert_eq!(meta["content_type"], "image/png");
        assert_eq!(meta["size_bytes"], photo.len());

        let read = app.get(&format!("/api/v1/applications/{id}/documents/photo"), &applicant.token).await;
        assert_eq!(read.status(), StatusCode::OK);
        assert_eq!(read.headers()["content-type"], "image/png");
        assert_eq!(read.bytes().await.unwrap().to_vec(), photo);

        let replacement = jpeg(400, 520);
        let replaced = app.put_bytes(&format!("/api/v1/applications/{id}/documents/photo"), &applicant.token, "image/jpeg", replacement.clone()).await;
        assert_eq!(replaced.status(), StatusCode::OK);
        let read = app.get(&format!("/api/v1/applications/{id}/documents/photo"), &applicant.token).await;
        assert_eq!(read.bytes().await.unwrap().to_vec(), replacement);

        let scan = app.put_bytes(&format!("/api/v1/applications/{id}/documents/passport"), &applicant.token, "application/pdf", minimal_pdf()).await;
        assert_eq!(scan.status(), StatusCode::OK);
        let fetched: Value = app.get(&format!("/api/v1/applications/{id}"), &applicant.token).await.json().await.unwrap();
        let kinds: Vec<&str> = fetched["documents"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["passport", "photo"]);
        let missing = app.get(&format!("/api/v1/applications/{id}/documents/visa"), &applicant.token).await;
        problem(missing, StatusCode::NOT_FOUND).await;
    }

    async fn documents_are_checked_by_decoding(app: TestApp) {
        let applicant = app.applicant("rosa").await;
        let draft = app.draft(&applicant, &valid_application()).await;
        let id = draft["id"].as_str().unwrap();
        let path = format!("/api/v1/applications/{id}/documents/photo");

        let not_png = app.put_bytes(&path, &applicant.token, "image/png", b"\x89PNG but not really".to_vec()).await;
        assert_eq!(error_fields(&problem(not_png, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["body"]);
        let mislabelled = app.put_bytes(&path, &applicant.token, "image/png", jpeg(413, 531)).await;
        problem(mislabelled, StatusCode::UNPROCESSABLE_ENTITY).await;
        let tiny = app.put_bytes(&path, &applicant.token, "image/png", photo_png(100, 130)).await;
        let tiny = problem(tiny, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(tiny["errors"][0]["detail"].as_str().unwrap().contains("at least"));
        let landscape = app.put_bytes(&path, &applicant.token, "image/png", photo_png(600, 450)).await;
        problem(landscape, StatusCode::UNPROCESSABLE_ENTITY).await;
        let pdf_photo = app.put_bytes(&path, &applicant.token, "application/pdf", minimal_pdf()).await;
        problem(pdf_photo, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        let huge = app.put_bytes(&path, &applicant.token, "image/png", vec![0u8; 6 * 1024 * 1024]).await;
        problem(huge, StatusCode::PAYLOAD_TOO_LARGE).await;
        let broken_pdf = app.put_bytes(&format!("/api/v1/applications/{id}/documents/passport"), &applicant.token, "application/pdf", b"%PDF-1.4 truncated".to_vec()).await;
        problem(broken_pdf, StatusCode::UNPROCESSABLE_ENTITY).await;

        let fetched: Value = app.get(&format!("/api/v1/applications/{id}"), &applicant.token).await.json().await.unwrap();
        assert!(fetched["documents"].as_array().unwrap().is_empty(), "nothing was stored");
        // The offline kit the node publishes aside, no bytes were stored.
        let documents = app.data_dir.path().join("documents");
        let stored: Vec<_> = walk(documents.clone()).into_iter().filter(|p| !p.starts_with(documents.join("published"))).collect();
        assert!(stored.is_empty(), "no orphaned bytes: {stored:?}");
    }
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return vec![];
    };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(e.path()) } else { vec![e.path()] }).collect()
}
