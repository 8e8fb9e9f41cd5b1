//! Pairing QR codes: terminal unicode (the default), SVG and PNG.

use image::{ImageFormat, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

fn encode(data: &str, level: EcLevel) -> Result<QrCode> {
    QrCode::with_error_correction_level(data.as_bytes(), level)
        .map_err(|e| Error::invalid("QR code content", e.to_string()))
}

/// Error correction of image files: M, as they may be printed and handled; L for contents too
/// long for M (a long issuer and user name with a SHA512 secret).
fn encode_file(data: &str) -> Result<QrCode> {
    encode(data, EcLevel::M).or_else(|_| encode(data, EcLevel::L))
}

/// Error correction on the terminal: L. A code on a screen is not smudged or torn, and L keeps
/// the default enrollment at version 5 (37 modules).
const TERMINAL_EC: EcLevel = EcLevel::L;

/// Light modules around the terminal code. The standard asks for 4; off a screen, 2 scan
/// reliably and keep the default enrollment (with its text and prompt) within 24 lines.
const TERMINAL_QUIET_ZONE: usize = 2;

/// How the terminal code is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shade {
    /// For dark-background terminals (the usual): light modules and the quiet zone are drawn
    /// as blocks, dark modules are left as the background.
    #[default]
    DarkBackground,
    /// For light-background terminals: dark modules are drawn as blocks, light modules and the
    /// quiet zone are the background.
    LightBackground,
}

/// Renders `data` as unicode half blocks, two modules per character cell (a square module on
/// a usual terminal font), with a quiet zone; see [`Shade`]. Fails, like the image renderers,
/// when `data` does not fit in a QR code.
pub fn terminal(data: &str, shade: Shade) -> Result<Zeroizing<String>> {
    let code = encode(data, TERMINAL_EC)?;
    let width = code.width();
    let dark: Zeroizing<Vec<bool>> = Zeroizing::new(
        code.into_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    );
    let size = width + 2 * TERMINAL_QUIET_ZONE;
    // Whether the half cell at (x, y) of the code with its quiet zone is drawn as a block.
    let drawn = |x: usize, y: usize| -> bool {
        if y >= size {
            return false; // below the code: the last line's lower half, when `size` is odd
        }
        let module_dark = match (
            x.checked_sub(TERMINAL_QUIET_ZONE),
            y.checked_sub(TERMINAL_QUIET_ZONE),
        ) {
            (Some(cx), Some(cy)) if cx < width && cy < width => dark[cy * width + cx],
            _ => false, // the quiet zone is light
        };
        match shade {
            Shade::DarkBackground => !module_dark,
            Shade::LightBackground => module_dark,
        }
    };
    let mut out = Zeroizing::new(String::with_capacity((size + 1) * size.div_ceil(2) * 3));
    for y in (0..size).step_by(2) {
        for x in 0..size {
            out.push(match (drawn(x, y), drawn(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// Renders `data` as an SVG document.
pub fn svg(data: &str) -> Result<Zeroizing<String>> {
    let code = encode_file(data)?;
    Ok(Zeroizing::new(
        code.render::<svg::Color<'_>>()
            .min_dimensions(256, 256)
            .quiet_zone(true)
            .build(),
    ))
}

/// Renders `data` as a greyscale PNG.
pub fn png(data: &str) -> Result<Zeroizing<Vec<u8>>> {
    let code = encode_file(data)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_beyond_a_version_40_code_are_refused_not_truncated() {
        // Version 40-L holds 2953 bytes of binary data.
        let long = "é".repeat(2000);
        for shade in [Shade::DarkBackground, Shade::LightBackground] {
            assert!(terminal(&long, shade).is_err());
        }
        assert!(png(&long).is_err() && svg(&long).is_err());
    }

    #[test]
    fn terminal_code_is_square_with_its_quiet_zone() {
        // Version 1 (21 modules) plus 2 quiet modules each side: 25 columns, 13 lines.
        let text = terminal("hello", Shade::DarkBackground).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 13);
        assert!(lines.iter().all(|l| l.chars().count() == 25));
        // The quiet zone is drawn on a dark background, left blank on a light one.
        assert!(lines[0].chars().all(|c| c == '█'));
        let inverted = terminal("hello", Shade::LightBackground).unwrap();
        assert!(inverted.lines().next().unwrap().chars().all(|c| c == ' '));
    }
}
