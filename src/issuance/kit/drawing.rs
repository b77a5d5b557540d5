//! Drawing primitives every issued document's page uses: colours, a line of text, a rule, an
//! image placed at a width, and how the PDF is written.

use printpdf::{
    Color, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfSaveOptions, Point, Pt, Rgb, TextItem,
    XObjectTransform,
};

use super::images::Placed;

/// A new document titled `title`, its metadata saying who issued it (`author`), what it is
/// (`subject`), and that it was made now by this service.
pub fn new_document(title: &str, author: &str, subject: String) -> PdfDocument {
    let mut doc = PdfDocument::new(title);
    let now = printpdf::OffsetDateTime::now();
    let info = &mut doc.metadata.info;
    info.creation_date = now;
    info.modification_date = now;
    info.metadata_date = now;
    info.author = author.to_owned();
    info.creator = "evisa".into();
    info.producer = "evisa".into();
    info.subject = subject;
    doc
}

/// An RGB colour (components 0 to 1).
pub fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

/// One line of text in `font` at `size` points, its baseline starting at (x, y) mm.
pub fn text(ops: &mut Vec<Op>, font: PdfFontHandle, size: f32, x: f32, y: f32, content: &str) {
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFont { font, size: Pt(size) });
    ops.push(Op::SetTextCursor { pos: Point::new(Mm(x), Mm(y)) });
    ops.push(Op::ShowText { items: vec![TextItem::Text(content.to_owned())] });
    ops.push(Op::EndTextSection);
}

/// A straight line from (x1, y1) to (x2, y2) mm in the current outline colour and thickness.
pub fn rule(ops: &mut Vec<Op>, x1: f32, y1: f32, x2: f32, y2: f32) {
    ops.push(Op::DrawLine {
        line: Line {
            points: vec![
                LinePoint { p: Point::new(Mm(x1), Mm(y1)), bezier: false },
                LinePoint { p: Point::new(Mm(x2), Mm(y2)), bezier: false },
            ],
            is_closed: false,
        },
    });
}

/// How issued documents are written: streams as they are drawn, without the maximum-effort
/// recompression of every stream that would cost more than the rest of the document together
/// (the photo arrives compressed; the rest is a few kilobytes of text, font and QR code).
pub fn save_options() -> PdfSaveOptions {
    PdfSaveOptions { optimize: false, ..PdfSaveOptions::default() }
}

/// Places an image `width_mm` wide with its lower-left corner at (x, y).
pub fn place(ops: &mut Vec<Op>, image: &Placed, x: f32, y: f32, width_mm: f32) {
    let dpi = image.width as f32 / (width_mm / 25.4);
    ops.push(Op::UseXobject {
        id: image.id.clone(),
        transform: XObjectTransform {
            translate_x: Some(Mm(x).into()),
            translate_y: Some(Mm(y).into()),
            dpi: Some(dpi),
            ..XObjectTransform::default()
        },
    });
}
