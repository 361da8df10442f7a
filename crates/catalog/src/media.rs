//! Images: stored in PostgreSQL, named by the SHA-256 of their bytes. The type is read from the
//! bytes, not trusted from the request: only PNG, JPEG and WebP are kept (no SVG, which can
//! carry script), up to 2 MiB.

use platform::error::{Error, Result};
use sha2::{Digest, Sha256};

pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// What an accepted upload is.
#[derive(Debug, Clone)]
pub struct Image {
    pub sha256: String,
    pub content_type: &'static str,
    pub width: usize,
    pub height: usize,
}

pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The public URL of an image.
pub fn url(sha256: &str) -> String {
    format!("/api/media/{sha256}")
}

/// Checks an upload: size, a declared type that matches the bytes, dimensions that decode.
pub fn inspect(declared: Option<&str>, bytes: &[u8]) -> Result<Image> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::PayloadTooLarge);
    }
    if bytes.is_empty() {
        return Err(Error::invalid("body", "the image is empty"));
    }
    let content_type = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Webp) => "image/webp",
        _ => return Err(Error::UnsupportedMediaType),
    };
    let declared = declared
        .and_then(|d| d.split(';').next())
        .map(|d| d.trim().to_ascii_lowercase());
    if declared.as_deref() != Some(content_type) {
        return Err(Error::UnsupportedMediaType);
    }
    let size = imagesize::blob_size(bytes)
        .map_err(|_| Error::invalid("body", "the image header does not decode"))?;
    if size.width == 0 || size.height == 0 || size.width > 10_000 || size.height > 10_000 {
        return Err(Error::invalid(
            "body",
            "image dimensions must be 1 to 10000 pixels",
        ));
    }
    Ok(Image {
        sha256: hex::encode(Sha256::digest(bytes)),
        content_type,
        width: size.width,
        height: size.height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest PNG: 1×1, one grey pixel.
    pub const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A,
        0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x60,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x48, 0xAF, 0xA4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn a_png_is_accepted_and_named_by_its_hash() {
        let image = inspect(Some("image/png"), PNG_1X1).unwrap();
        assert_eq!(image.content_type, "image/png");
        assert_eq!((image.width, image.height), (1, 1));
        assert!(is_sha256(&image.sha256));
    }

    #[test]
    fn wrong_or_lying_types_are_refused() {
        assert!(matches!(
            inspect(Some("image/jpeg"), PNG_1X1),
            Err(Error::UnsupportedMediaType)
        ));
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
        assert!(matches!(
            inspect(Some("image/svg+xml"), svg),
            Err(Error::UnsupportedMediaType)
        ));
        assert!(matches!(
            inspect(Some("image/png"), b"not an image"),
            Err(Error::UnsupportedMediaType)
        ));
    }

    #[test]
    fn oversized_uploads_are_refused() {
        let mut big = PNG_1X1.to_vec();
        big.resize(MAX_BYTES + 1, 0);
        assert!(matches!(
            inspect(Some("image/png"), &big),
            Err(Error::PayloadTooLarge)
        ));
    }
}
