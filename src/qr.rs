//! Pairing QR codes: terminal unicode (the default), SVG and PNG.

use image::{ImageFormat, Luma};
use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

fn encode(data: &str) -> Result<QrCode> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| Error::invalid("QR code content", e.to_string()))
}

/// Renders `data` as unicode half blocks, two modules per character cell, with a quiet zone.
/// Light modules are printed as blocks: on the usual dark terminal, that reads as dark-on-light,
/// which phone cameras scan.
pub fn terminal(data: &str) -> Result<Zeroizing<String>> {
    let code = encode(data)?;
    Ok(Zeroizing::new(
        code.render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    ))
}

/// Renders `data` as an SVG document.
pub fn svg(data: &str) -> Result<Zeroizing<String>> {
    let code = encode(data)?;
    Ok(Zeroizing::new(
        code.render::<svg::Color<'_>>()
            .min_dimensions(256, 256)
            .quiet_zone(true)
            .build(),
    ))
}

/// Renders `data` as a greyscale PNG.
pub fn png(data: &str) -> Result<Zeroizing<Vec<u8>>> {
    let code = encode(data)?;
    let img = code
        .render::<Luma<u8>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| Error::io("cannot encode PNG", std::io::Error::other(e.to_string())))?;
    Ok(Zeroizing::new(out.into_inner()))
}
